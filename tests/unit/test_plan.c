/*
 * test_plan.c - plans from the alertType prefix (each rule of incidents.md,
 * and what is not a prefix), from productComponentName (the spellings seen in
 * the wild), and from every first-column value of Microsoft's alert table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "classify/plan.h"

static enum corral_plan prefix(const char *s)
{
    return corral_plan_from_prefix(s, strlen(s));
}

static enum corral_plan component(const char *s)
{
    return corral_plan_from_component(s, strlen(s));
}

static enum corral_plan column(const char *s)
{
    return corral_plan_from_catalog_column(s, strlen(s));
}

static void prefix_rules(void **state)
{
    (void)state;
    assert_int_equal(prefix("VM_CoinMiner"), CORRAL_PLAN_SERVERS);
    assert_int_equal(prefix("ARM_AzureHound"), CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(prefix("RM_MicroBurst.AzureRmVMBulkCMD"), CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(prefix("Storage.Blob_TorAnomaly"), CORRAL_PLAN_STORAGE);
    assert_int_equal(prefix("KV_TORAccess"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(prefix("SQL.DB_BruteForce"), CORRAL_PLAN_SQL);
    assert_int_equal(prefix("Synapse.SQLPool_GeoAnomaly"), CORRAL_PLAN_SQL);
    assert_int_equal(prefix("CosmosDB_TorAnomaly"), CORRAL_PLAN_COSMOSDB);
    assert_int_equal(prefix("AzureDNS_CurrencyMining"), CORRAL_PLAN_DNS);
    assert_int_equal(prefix("K8S_ExposedDashboard"), CORRAL_PLAN_CONTAINERS);
    assert_int_equal(prefix("K8S.NODE_CommonBot"), CORRAL_PLAN_CONTAINERS);
    assert_int_equal(prefix("AppServices_WpScanner"), CORRAL_PLAN_APPSERVICE);
    assert_int_equal(prefix("API_SpikeInPayload"), CORRAL_PLAN_APIS);
    assert_int_equal(prefix("AI.Azure_Jailbreak.ContentFiltering.BlockedAttempt"), CORRAL_PLAN_AI);
    assert_int_equal(prefix("Network_CommunicationWithC2"), CORRAL_PLAN_NETWORK);
    assert_int_equal(prefix("NETWORK_DDOS_DETECTED"), CORRAL_PLAN_NETWORK);
    /* Case-insensitive: Microsoft writes "Arm_Suspicious_Vault_Recovering" too. */
    assert_int_equal(prefix("Arm_Suspicious_Vault_Recovering"), CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(prefix("vm_x"), CORRAL_PLAN_SERVERS);
    assert_int_equal(prefix("k8s.node_x"), CORRAL_PLAN_CONTAINERS);
    /* The prefix alone is enough. */
    assert_int_equal(prefix("KV_"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(prefix("K8S"), CORRAL_PLAN_CONTAINERS);
}

static void not_prefixes(void **state)
{
    (void)state;
    assert_int_equal(prefix(""), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("VM.Windows_ApplockerBypass"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("VMX_Thing"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("StorageBlob_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("Storage_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("SQL_Incoming_BF_OneToOne"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("Synapse_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("AzureCosmosDB_SuspiciousListKeys"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("CosmosDB.X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("DNS_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("AzureDNS.X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("K8_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("AppService_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("APIX_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("AI_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("AIX.Y"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("Networks_X"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("ARMX"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("XVM_Y"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("SSH_Incoming_BF_OneToOne"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(prefix("PortScanning"), CORRAL_PLAN_UNKNOWN);
    /* Only [0, len) is read. */
    assert_int_equal(corral_plan_from_prefix("VM_X", 2), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(corral_plan_from_prefix("KV_X", 3), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(corral_plan_from_prefix(NULL, 0), CORRAL_PLAN_UNKNOWN);
}

static void components(void **state)
{
    (void)state;
    assert_int_equal(component("Servers"), CORRAL_PLAN_SERVERS);
    assert_int_equal(component("VirtualMachines"), CORRAL_PLAN_SERVERS);
    assert_int_equal(component("AppServices"), CORRAL_PLAN_APPSERVICE);
    assert_int_equal(component("Storage"), CORRAL_PLAN_STORAGE);
    assert_int_equal(component("StorageAccounts"), CORRAL_PLAN_STORAGE);
    assert_int_equal(component("SqlServers"), CORRAL_PLAN_SQL);
    assert_int_equal(component("SqlServerVirtualMachines"), CORRAL_PLAN_SQL);
    assert_int_equal(component("OpenSourceRelationalDatabases"), CORRAL_PLAN_SQL);
    assert_int_equal(component("CosmosDbs"), CORRAL_PLAN_COSMOSDB);
    assert_int_equal(component("KeyVaults"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(component("Arm"), CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(component("Dns"), CORRAL_PLAN_DNS);
    assert_int_equal(component("Containers"), CORRAL_PLAN_CONTAINERS);
    assert_int_equal(component("KubernetesService"), CORRAL_PLAN_CONTAINERS);
    assert_int_equal(component("ContainerRegistry"), CORRAL_PLAN_CONTAINERS);
    assert_int_equal(component("Api"), CORRAL_PLAN_APIS);
    assert_int_equal(component("AI"), CORRAL_PLAN_AI);
    assert_int_equal(component("Network"), CORRAL_PLAN_NETWORK);
    /* Case, spaces, '-' and '_' do not matter; plan names are components too. */
    assert_int_equal(component("keyvaults"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(component("Key Vaults"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(component("KEY_VAULT"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(component("storage-accounts"), CORRAL_PLAN_STORAGE);
    assert_int_equal(component("ResourceManager"), CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(component("AppService"), CORRAL_PLAN_APPSERVICE);
    assert_int_equal(component("CosmosDB"), CORRAL_PLAN_COSMOSDB);
    assert_int_equal(component("APIs"), CORRAL_PLAN_APIS);
    assert_int_equal(component("SQL"), CORRAL_PLAN_SQL);
    assert_int_equal(component("DDoS Protection"), CORRAL_PLAN_NETWORK);
}

static void unknown_components(void **state)
{
    (void)state;
    assert_int_equal(component(""), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(component("   "), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(component("Unknown"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(component("Serverless"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(component("KeyVaultz"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(component("Storage Accounts Extra"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(component("Defender"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(corral_plan_from_component(NULL, 0), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(corral_plan_from_component("Storage", 3), CORRAL_PLAN_UNKNOWN);
    char big[300];
    memset(big, 'a', sizeof(big));
    memcpy(big, "Storage", 7);
    assert_int_equal(corral_plan_from_component(big, sizeof(big)), CORRAL_PLAN_UNKNOWN);
}

/* Every distinct first column of data/defender-alert-catalog.tsv. */
static void catalog_columns(void **state)
{
    (void)state;
    static const struct {
        const char *column;
        enum corral_plan plan;
    } cases[] = {
        {"Azure DDoS Protection", CORRAL_PLAN_NETWORK},
        {"Azure network layer", CORRAL_PLAN_NETWORK},
        {"DNS (Defender for Servers P2 / legacy Defender for DNS)", CORRAL_PLAN_DNS},
        {"Defender for AI services", CORRAL_PLAN_AI},
        {"Defender for APIs", CORRAL_PLAN_APIS},
        {"Defender for App Service", CORRAL_PLAN_APPSERVICE},
        {"Defender for Azure Cosmos DB", CORRAL_PLAN_COSMOSDB},
        {"Defender for Containers - Kubernetes", CORRAL_PLAN_CONTAINERS},
        {"Defender for Key Vault", CORRAL_PLAN_KEYVAULT},
        {"Defender for Resource Manager", CORRAL_PLAN_RESOURCEMANAGER},
        {"Defender for SQL - SQL Database/MI/SQL on VM/Synapse", CORRAL_PLAN_SQL},
        {"Defender for Servers - Azure VM extensions", CORRAL_PLAN_SERVERS},
        {"Defender for Servers - Linux machines", CORRAL_PLAN_SERVERS},
        {"Defender for Servers - Windows machines", CORRAL_PLAN_SERVERS},
        {"Defender for Storage", CORRAL_PLAN_STORAGE},
        {"Defender for open-source relational databases", CORRAL_PLAN_SQL},
        {"Deprecated - Defender for Containers", CORRAL_PLAN_CONTAINERS},
        {"Deprecated - Defender for Servers Linux", CORRAL_PLAN_SERVERS},
        {"Deprecated - Defender for Servers Windows", CORRAL_PLAN_SERVERS},
        {"Security incident (correlation output)", CORRAL_PLAN_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum corral_plan got = column(cases[i].column);
        if (got != cases[i].plan) {
            fail_msg("'%s': got %s, want %s", cases[i].column, corral_plan_name(got),
                     corral_plan_name(cases[i].plan));
        }
    }
}

static void catalog_columns_by_words(void **state)
{
    (void)state;
    /* Case and punctuation do not matter, the words do. */
    assert_int_equal(column("defender for KEY VAULT"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(column("Defender-for-Storage"), CORRAL_PLAN_STORAGE);
    assert_int_equal(column("Defender for Servers P2"), CORRAL_PLAN_SERVERS);
    /* Bare plan and component names. */
    assert_int_equal(column("KeyVault"), CORRAL_PLAN_KEYVAULT);
    assert_int_equal(column("Servers"), CORRAL_PLAN_SERVERS);
    assert_int_equal(column("ResourceManager"), CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(column("StorageAccounts"), CORRAL_PLAN_STORAGE);
    /* Words, not substrings: "Serverless" is not "Servers", "Restorage" not "Storage". */
    assert_int_equal(column("Defender for Serverless"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column("Defender for Restorage"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column("Defender for Keys Vault"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column("Defender for Resource"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column("Security incidents"), CORRAL_PLAN_UNKNOWN);
    /* Correlation output is no plan, whatever plan it names. */
    assert_int_equal(column("Security incident (Defender for Servers)"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column("security INCIDENT"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column("Something else"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column(""), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(column("-"), CORRAL_PLAN_UNKNOWN);
    assert_int_equal(corral_plan_from_catalog_column(NULL, 0), CORRAL_PLAN_UNKNOWN);
    /* Only [0, len) is read. */
    assert_int_equal(corral_plan_from_catalog_column("Defender for Storage", 12),
                     CORRAL_PLAN_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefix_rules),
        cmocka_unit_test(not_prefixes),
        cmocka_unit_test(components),
        cmocka_unit_test(unknown_components),
        cmocka_unit_test(catalog_columns),
        cmocka_unit_test(catalog_columns_by_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
