/*
 * test_signals.c - the text rules of incidents.md "Signals": every signal
 * with what must and must not raise it, the word splitting of alert types
 * (case changes, acronyms, digits, "DDoS"), display-name punctuation, code
 * fragments, and the "a,b" / "-" parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/signals.h"
#include "model/alert.h"

/* Signals of (alert type, display name), both NUL-terminated. */
static uint32_t sig(const char *type, const char *name)
{
    return corral_signals_from_text(type, strlen(type), name, strlen(name));
}

#define EXPECT(type, name, flags) assert_int_equal(sig((type), (name)), (uint32_t)(flags))

static void crypto_mining(void **state)
{
    (void)state;
    EXPECT("VM_CoinMiner", "", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("K8S.NODE_DigitalCurrencyMining", "", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("AzureDNS_CurrencyMining", "", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("VM_MinerInContainerImage", "", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("", "Digital currency mining related behavior detected", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("", "Potential crypto coin miner started", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("", "Digital currency container detected", CORRAL_SIG_CRYPTO_MINING);
    /* Decided: the last word of a phrase also matches its plural. */
    EXPECT("", "Crypto miners detected", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("X_CoinMiners", "", CORRAL_SIG_CRYPTO_MINING);

    EXPECT("", "Determining the cause of an undermining change", 0);
    EXPECT("", "Mineral water", 0);
    EXPECT("", "Digital signature verified", 0);
    EXPECT("", "Currency exchange", 0);
    EXPECT("VM_Undermining", "", 0);
    /* Display names are not cut at case changes: "Cryptocoinminer" is one word. */
    EXPECT("", "Possible Cryptocoinminer download detected", 0);
    EXPECT("", "CoinMiner", 0);
}

static void brute_force(void **state)
{
    (void)state;
    EXPECT("SSH_Incoming_BF_OneToOne", "", CORRAL_SIG_BRUTE_FORCE);
    EXPECT("Generic_Incoming_BF_OneToOne", "", CORRAL_SIG_BRUTE_FORCE);
    EXPECT("VM_SshBruteForceFailed", "", CORRAL_SIG_BRUTE_FORCE);
    EXPECT("sql.db_bruteforce", "", CORRAL_SIG_BRUTE_FORCE); /* fragments ignore case */
    EXPECT("", "Suspected brute force attack", CORRAL_SIG_BRUTE_FORCE);
    EXPECT("", "Brute-force attempt", CORRAL_SIG_BRUTE_FORCE);
    EXPECT("", "BRUTE FORCE", CORRAL_SIG_BRUTE_FORCE);

    EXPECT("", "Brute strength", 0);
    EXPECT("", "Force field", 0);
    EXPECT("", "force brute", 0);
    EXPECT("", "brute attack force", 0);
    EXPECT("", "Successful BF attack", 0);
    EXPECT("VM_BFG", "", 0);
    EXPECT("Generic_BFOneToOne", "", 0);
    /* Code fragments are matched in the alert type only, never in the display name. */
    EXPECT("", "X_BF_Y", 0);
    EXPECT("", "BruteForce", 0);
}

static void exploit(void **state)
{
    (void)state;
    EXPECT("VM_HadoopYarnExploit", "", CORRAL_SIG_EXPLOIT);
    EXPECT("VM_MailserverExploitation", "", CORRAL_SIG_EXPLOIT);
    EXPECT("K8S.NODE_ExploitAttempt", "", CORRAL_SIG_EXPLOIT);
    EXPECT("", "Possible exploitation of the mailserver detected", CORRAL_SIG_EXPLOIT);
    EXPECT("", "Known exploits used", CORRAL_SIG_EXPLOIT);

    EXPECT("", "Exploitable configuration", 0);
    EXPECT("", "Unexploited", 0);
    /* An azure_toolkit alert is not also an exploit. */
    EXPECT("", "MicroBurst exploitation toolkit used to enumerate resources",
           CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("", "exploitation toolkit detected", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("VM_ExploitAttempt", "AzureHound tool invocation detected", CORRAL_SIG_AZURE_TOOLKIT);
}

static void fileless(void **state)
{
    (void)state;
    EXPECT("VM_FilelessAttackToolkit.Linux", "", CORRAL_SIG_FILELESS);
    EXPECT("", "Fileless Attack Technique Detected", CORRAL_SIG_FILELESS);
    EXPECT("", "FILELESS", CORRAL_SIG_FILELESS);

    EXPECT("", "File less than 1 MB", 0);
    EXPECT("VM_FileLessThan", "", 0);
    EXPECT("", "Filelessness", 0);
}

static void sas(void **state)
{
    (void)state;
    EXPECT("Storage.Blob_AccountSas.UnusualExternalAccess", "", CORRAL_SIG_SAS);
    EXPECT("storage.blob_accountsas", "", CORRAL_SIG_SAS);
    EXPECT("", "Unusual SAS token was used to access an Azure storage account", CORRAL_SIG_SAS);
    EXPECT("", "Shared access signature abuse", CORRAL_SIG_SAS);
    EXPECT("", "SAS tokens leaked", CORRAL_SIG_SAS);

    EXPECT("", "SAS language script", 0);
    EXPECT("", "Shared access key used", 0);
    EXPECT("", "token SAS", 0);
    EXPECT("Storage.Blob_Sasquatch", "", 0);
}

static void geo(void **state)
{
    (void)state;
    EXPECT("CosmosDB_GeoAnomaly", "", CORRAL_SIG_GEO);
    EXPECT("", "Geo-anomaly in access pattern", CORRAL_SIG_GEO);
    EXPECT("", "Access from an unusual location to a storage account", CORRAL_SIG_GEO);
    EXPECT("", "Access from an anomalous location", CORRAL_SIG_GEO);
    EXPECT("", "Access from unusual locations", CORRAL_SIG_GEO);
    EXPECT("X_TorAnomaly", "", CORRAL_SIG_GEO);
    EXPECT("", "Access from a Tor IP", CORRAL_SIG_GEO);
    EXPECT("", "[Tor] access", CORRAL_SIG_GEO);
    EXPECT("AI.Azure_AccessFromTor", "", CORRAL_SIG_GEO);

    /* "Tor" is a word: Storage, Monitor, Toronto are not Tor. */
    EXPECT("Storage.Blob_Upload", "Upload to a storage account", 0);
    EXPECT("Storage.Files_DeletionAnomaly", "Unusual deletion in a storage account", 0);
    EXPECT("VM_MonitorAgent", "Monitor agent stopped", 0);
    EXPECT("", "Login from the Toronto office", 0);
    EXPECT("VM_StorageAnomaly", "", 0);
    /* ...but a code fragment is a plain substring of the alert type, as incidents.md says. */
    EXPECT("VM_StorAnomaly", "", CORRAL_SIG_GEO);
    EXPECT("", "Unusual locale", 0);
    EXPECT("", "Geo-redundant storage", 0);
    EXPECT("", "Location unusual", 0);
}

static void suspicious_ip(void **state)
{
    (void)state;
    EXPECT("", "Access from suspicious IP", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("", "A logon from a malicious IP has been detected.", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("", "Connection from a threat intelligence IP", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("", "Operation from suspicious proxy IP address", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("", "Traffic from malicious IPs", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("SQL.DB_SuspiciousIpAnomaly", "", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("KV_SuspiciousIPAccessDenied", "", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("K8S_TI_Proxy", "", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("X_MaliciousIPAccess", "", CORRAL_SIG_SUSPICIOUS_IP); /* words Malicious, IP, Access */
    EXPECT("X_MaliciousIPsDetected", "", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("X_ProxyIp", "", CORRAL_SIG_SUSPICIOUS_IP);
    /* Tor exit node is both a place and a suspicious address. */
    EXPECT("", "Access from a Tor exit node", CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("API_AccessFromTorExitNode", "", CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);

    EXPECT("", "Suspicious IPC call", 0);
    EXPECT("", "IP address changed", 0);
    EXPECT("", "Suspicious activity from IP", 0);
    EXPECT("", "Threat intelligence feed updated", 0);
    EXPECT("", "Proxy configured", 0);
    EXPECT("X_TIMEOUT", "", 0);
    EXPECT("AppServices_IncomingTiClientIpFtp", "", 0);
}

static void ddos(void **state)
{
    (void)state;
    EXPECT("NETWORK_DDOS_DETECTED", "", CORRAL_SIG_DDOS);
    EXPECT("", "DDoS Attack detected for Public IP", CORRAL_SIG_DDOS);
    EXPECT("", "Indicators associated with DDOS toolkit detected", CORRAL_SIG_DDOS);
    EXPECT("", "(ddos)", CORRAL_SIG_DDOS);
    EXPECT("K8S.NODE_KnownLinuxDDoSToolkit", "", CORRAL_SIG_DDOS);
    EXPECT("X_DDoS", "", CORRAL_SIG_DDOS);
    EXPECT("X_LinuxDDOSToolkit", "", CORRAL_SIG_DDOS);
    EXPECT("X_DdosAttack", "", CORRAL_SIG_DDOS);
    EXPECT("", "Possible denial-of-service attack", CORRAL_SIG_DDOS);
    EXPECT("X_DenialOfService", "", CORRAL_SIG_DDOS);

    EXPECT("", "Dosage changed", 0);
    EXPECT("", "Denial of access", 0);
    EXPECT("X_DoSAttack", "", 0);
    EXPECT("X_DDoSer", "", 0);
}

static void exfiltration(void **state)
{
    (void)state;
    EXPECT("", "Possible data exfiltration detected", CORRAL_SIG_EXFILTRATION);
    EXPECT("AppServices_DataEgressArtifacts", "", CORRAL_SIG_EXFILTRATION);
    EXPECT("Storage.Blob_DataExfiltration.AmountOfDataAnomaly", "", CORRAL_SIG_EXFILTRATION);
    EXPECT("", "Data egress to an unknown host", CORRAL_SIG_EXFILTRATION);

    EXPECT("AzureDNS_DataInfiltration", "Possible data download via DNS tunnel", 0);
    EXPECT("", "Data ingress", 0);
    EXPECT("", "Egress rule changed", 0);
    EXPECT("", "Exfiltrate credentials", 0);
}

static void password_reset(void **state)
{
    (void)state;
    EXPECT("VM_VMAccessUnusualPasswordReset", "", CORRAL_SIG_PASSWORD_RESET);
    EXPECT("VM_VMAccessUnusualSSHReset", "", CORRAL_SIG_PASSWORD_RESET);
    EXPECT("VM_VMAccessUnusualConfigReset", "", CORRAL_SIG_PASSWORD_RESET);
    EXPECT("vm_sshreset", "", CORRAL_SIG_PASSWORD_RESET);
    EXPECT("", "Unusual user password reset in your virtual machine", CORRAL_SIG_PASSWORD_RESET);

    EXPECT("", "Possible password change using crypt-method detected", 0);
    EXPECT("K8S.NODE_SuspectPasswordChange", "", 0);
    EXPECT("", "The password was reset", 0);
    EXPECT("", "Unusual user SSH key reset", 0); /* SSHReset is a fragment of alert types */
    EXPECT("VM_SSHKeyReset", "", 0);
}

static void botnet(void **state)
{
    (void)state;
    EXPECT("", "Botnet activity", CORRAL_SIG_BOTNET);
    EXPECT("", "Command and control traffic", CORRAL_SIG_BOTNET);
    EXPECT("", "Command-and-Control beacon", CORRAL_SIG_BOTNET);
    EXPECT("", "Connection to a C2 server", CORRAL_SIG_BOTNET);
    EXPECT("Network_CommunicationWithC2", "", CORRAL_SIG_BOTNET);
    EXPECT("X_C2Server", "", CORRAL_SIG_BOTNET);
    EXPECT("VM_CompCommonBots", "", CORRAL_SIG_BOTNET);
    EXPECT("K8S.NODE_CommonBot", "", CORRAL_SIG_BOTNET);
    EXPECT("Network_ResourceIpIndicatedAsMalicious", "", CORRAL_SIG_BOTNET);

    EXPECT("", "Command line control", 0);
    EXPECT("", "Behavior similar to common Linux bots detected", 0);
    EXPECT("", "C2C marketplace", 0);
    EXPECT("X_AC2Beacon", "", 0);
    EXPECT("", "Robot detected", 0);
}

static void outgoing(void **state)
{
    (void)state;
    EXPECT("", "Suspicious outgoing RDP network activity", CORRAL_SIG_OUTGOING);
    EXPECT("PortScanning", "", CORRAL_SIG_OUTGOING);
    EXPECT("X_portscanning", "", CORRAL_SIG_OUTGOING);
    EXPECT("", "Port scanning detected", CORRAL_SIG_OUTGOING);
    EXPECT("X_OutgoingSpam", "", CORRAL_SIG_OUTGOING);

    EXPECT("", "Suspicious incoming RDP network activity", 0);
    EXPECT("", "Port scan", 0);
    EXPECT("", "Scanning port 22", 0);
}

static void azure_toolkit(void **state)
{
    (void)state;
    /* Tool names are matched as written and cut at case changes, so the type alone is enough. */
    EXPECT("ARM_MicroBurst.AzDomainInfo", "", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("ARM_PowerZure.StartRunbook", "", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("ARM_AzureHound", "", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("ARM_NetSPI.MaintainPersistence", "", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("ARM_Azurite", "", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("", "MicroBurst exploitation toolkit used", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("", "PowerZure function used", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("", "AzureHound tool invocation detected", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("", "Usage of NetSPI techniques", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("", "PREVIEW - Azurite toolkit run detected", CORRAL_SIG_AZURE_TOOLKIT);
    EXPECT("", "Azure toolkit run", CORRAL_SIG_AZURE_TOOLKIT);

    EXPECT("", "Fileless attack toolkit detected", CORRAL_SIG_FILELESS);
    EXPECT("", "Azure key vault accessed", 0);
    EXPECT("", "Micro burst of traffic", 0);
    EXPECT("ARM_Power", "", 0);
    EXPECT("", "Azure Resource Manager toolkit", 0);
}

static void account_never_from_text(void **state)
{
    (void)state;
    EXPECT("ARM_UnusedAccountPersistence", "Suspicious account activity by a user", 0);
    EXPECT("KV_UserAnomaly", "Unusual user accessed a key vault", 0);
    assert_int_equal(sig("", "Account SAS misuse") & CORRAL_SIG_ACCOUNT, 0);
}

static void several_signals(void **state)
{
    (void)state;
    EXPECT("DDOS", "Possible outgoing denial-of-service attack detected",
           CORRAL_SIG_DDOS | CORRAL_SIG_OUTGOING);
    EXPECT("RDP_Outgoing_BF_OneToMany", "Suspicious outgoing RDP network activity",
           CORRAL_SIG_BRUTE_FORCE | CORRAL_SIG_OUTGOING);
    EXPECT("Storage.Blob_TorAnomaly", "Authenticated access from a Tor exit node",
           CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
}

/* How alert types are cut into words, seen through the phrases they make. */
static void alert_type_words(void **state)
{
    (void)state;
    /* '_' and '.' separate, and so does any other punctuation. */
    EXPECT("K8S.NODE_DigitalCurrencyMining", "", CORRAL_SIG_CRYPTO_MINING);
    EXPECT("x-digital-currency", "", CORRAL_SIG_CRYPTO_MINING);
    /* An acronym run ends before its last capital: "TORAccess" is TOR, Access. */
    EXPECT("KV_TORAccess", "", CORRAL_SIG_GEO);
    EXPECT("X_SuspiciousIPAddress", "", CORRAL_SIG_SUSPICIOUS_IP);
    /* A lone plural 's' stays with its acronym ("IPs"), an 's' that starts a word does not. */
    EXPECT("X_MaliciousIPsSeen", "", CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("X_MaliciousIPsec", "", 0);
    /* Digits stay in their word: C2 and K8S are words, Base64 does not swallow Encoded. */
    EXPECT("X_WithC2", "", CORRAL_SIG_BOTNET);
    EXPECT("X_C2", "", CORRAL_SIG_BOTNET);
    EXPECT("X_Base64Exfiltration", "", CORRAL_SIG_EXFILTRATION);
    EXPECT("X_Win32TOR", "", CORRAL_SIG_GEO); /* the letter before the digits decides */
    EXPECT("X_K8STor", "", CORRAL_SIG_GEO);
    /* A capital after a lower-case letter starts a word, inside the word "Storage" nothing. */
    EXPECT("XStorageTor", "", CORRAL_SIG_GEO);
    EXPECT("XStorage", "", 0);
    /* All capitals are one word. */
    EXPECT("X_PORTSCANNINGX", "", CORRAL_SIG_OUTGOING); /* the fragment, not words */
    EXPECT("X_TOREXIT", "", 0);
    EXPECT("X_TOR_EXIT", "", CORRAL_SIG_GEO);
    /* Lower-case types have no case changes to cut at. */
    EXPECT("x_coinminer", "", 0);
    EXPECT("x_coin_miner", "", CORRAL_SIG_CRYPTO_MINING);
}

static void display_name_words(void **state)
{
    (void)state;
    EXPECT("", "(Tor)", CORRAL_SIG_GEO);
    EXPECT("", "\"botnet\"", CORRAL_SIG_BOTNET);
    EXPECT("", "Tor/proxy IP", CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
    EXPECT("", "via C2.", CORRAL_SIG_BOTNET);
    EXPECT("", "'Fileless'", CORRAL_SIG_FILELESS);
    EXPECT("", "denial-of-service", CORRAL_SIG_DDOS);
    EXPECT("", "data\\exfiltration", CORRAL_SIG_EXFILTRATION);
    EXPECT("", "mining\xe2\x80\x94miner", CORRAL_SIG_CRYPTO_MINING); /* UTF-8 em dash */
    EXPECT("", "  Tor  ", CORRAL_SIG_GEO);
    EXPECT("", "Tor's exit", CORRAL_SIG_GEO); /* the apostrophe separates */
    EXPECT("", "Storage-account", 0);
    EXPECT("", "Tor-", CORRAL_SIG_GEO);
    EXPECT("", "Torrent client", 0);
}

static void bounds_and_empty(void **state)
{
    (void)state;
    assert_int_equal(corral_signals_from_text(NULL, 0, NULL, 0), 0);
    assert_int_equal(corral_signals_from_text("", 0, "", 0), 0);
    /* Only [0, len) is read: the rest of the buffer must not count. */
    assert_int_equal(corral_signals_from_text("VM_CoinMinerXYZ", 5, "", 0), 0);
    assert_int_equal(corral_signals_from_text("VM_CoinMiner", 12, "Tor exit node", 3),
                     CORRAL_SIG_CRYPTO_MINING | CORRAL_SIG_GEO);
    char buf[4] = {'T', 'o', 'r', 'x'}; /* not NUL-terminated */
    assert_int_equal(corral_signals_from_text("", 0, buf, 3), CORRAL_SIG_GEO);
    assert_int_equal(corral_signals_from_text("", 0, buf, 4), 0);
    /* A long text is fine. */
    char big[20000];
    memset(big, 'a', sizeof(big));
    memcpy(big + sizeof(big) - 7, " botnet", 7);
    assert_int_equal(corral_signals_from_text(big, sizeof(big), big, sizeof(big)),
                     CORRAL_SIG_BOTNET);
}

static int parse(const char *s, uint32_t *out)
{
    return corral_signals_parse(s, strlen(s), out);
}

static void parse_lists(void **state)
{
    (void)state;
    uint32_t f = 0xdead;
    assert_int_equal(parse("-", &f), 0);
    assert_int_equal(f, 0);
    assert_int_equal(parse("crypto_mining,brute_force", &f), 0);
    assert_int_equal(f, CORRAL_SIG_CRYPTO_MINING | CORRAL_SIG_BRUTE_FORCE);
    assert_int_equal(parse(" geo , DDOS ", &f), 0);
    assert_int_equal(f, CORRAL_SIG_GEO | CORRAL_SIG_DDOS);
    assert_int_equal(parse("botnet", &f), 0);
    assert_int_equal(f, CORRAL_SIG_BOTNET);
    assert_int_equal(parse("account", &f), 0);
    assert_int_equal(f, CORRAL_SIG_ACCOUNT);
    assert_int_equal(parse("geo,geo", &f), 0);
    assert_int_equal(f, CORRAL_SIG_GEO);

    /* Every name, in enum order, round-trips. */
    for (unsigned i = 0; i < CORRAL_SIG_COUNT; i++) {
        const char *name = corral_signal_name((enum corral_signal)(1u << i));
        assert_int_equal(parse(name, &f), 0);
        assert_int_equal(f, 1u << i);
    }

    f = 0x1234;
    assert_int_equal(parse("", &f), -1);
    assert_int_equal(parse("bogus", &f), -1);
    assert_int_equal(parse("geo,,ddos", &f), -1);
    assert_int_equal(parse("geo,", &f), -1);
    assert_int_equal(parse(",geo", &f), -1);
    assert_int_equal(parse("geo,-", &f), -1);
    assert_int_equal(parse("--", &f), -1);
    assert_int_equal(parse("geo ddos", &f), -1);
    assert_int_equal(parse("crypto mining", &f), -1);
    assert_int_equal(f, 0x1234); /* untouched on failure */
    assert_int_equal(corral_signals_parse(NULL, 0, &f), -1);
    assert_int_equal(corral_signals_parse("geo,ddos", 3, &f), 0); /* only [0, len) */
    assert_int_equal(f, CORRAL_SIG_GEO);
}

/*
 * The word-list fast path against the original one. A display name of more
 * than 64 words takes the original path (each rule cutting the texts into
 * words as it goes); the padding words "zzq" can be no phrase's word, so
 * they change no answer, only the path. Both must agree on every row of
 * Microsoft's reference table and on many variations of them.
 */
static uint32_t sig_original_path(const char *type, size_t type_len, const char *name,
                                  size_t name_len)
{
    static char padded[4096 + 70 * 4];
    if (name_len > 4096) {
        fail_msg("name too long for the test");
    }
    memcpy(padded, name, name_len);
    size_t n = name_len;
    for (int i = 0; i < 70; i++) {
        memcpy(padded + n, " zzq", 4);
        n += 4;
    }
    return corral_signals_from_text(type, type_len, padded, n);
}

static void expect_same_paths(const char *type, size_t type_len, const char *name, size_t name_len)
{
    const uint32_t fast = corral_signals_from_text(type, type_len, name, name_len);
    const uint32_t slow = sig_original_path(type, type_len, name, name_len);
    if (fast != slow) {
        fail_msg("[%.*s] [%.*s]: word lists say %#x, the original path %#x", (int)type_len, type,
                 (int)name_len, name, fast, slow);
    }
}

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return *state >> 33;
}

static void fast_path_agrees(void **state)
{
    (void)state;
    const char *root = getenv("CORRAL_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/data/defender-alert-catalog.tsv",
             root != NULL && root[0] != '\0' ? root : ".");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("%s: cannot open", path);
    }
    static char types[2000][160];
    static char names[2000][320];
    size_t rows = 0;
    char line[2048];
    while (rows < 2000 && fgets(line, sizeof line, f) != NULL) {
        /* plan \t alert_type \t display_name \t ... */
        char *t1 = strchr(line, '\t');
        char *t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;
        char *t3 = t2 != NULL ? strchr(t2 + 1, '\t') : NULL;
        if (t3 == NULL) {
            continue;
        }
        snprintf(types[rows], sizeof types[rows], "%.*s", (int)(t2 - t1 - 1), t1 + 1);
        snprintf(names[rows], sizeof names[rows], "%.*s", (int)(t3 - t2 - 1), t2 + 1);
        rows++;
    }
    fclose(f);
    assert_true(rows > 500);
    uint64_t seed = 2024;
    for (size_t i = 0; i < rows; i++) {
        expect_same_paths(types[i], strlen(types[i]), names[i], strlen(names[i]));
        /* The type as a display name and the name as a type: other cuts of the same words. */
        expect_same_paths(names[i], strlen(names[i]), types[i], strlen(types[i]));
        for (int m = 0; m < 20; m++) {
            char type[400];
            char name[800];
            const size_t o = (size_t)(next_random(&seed) % rows);
            snprintf(type, sizeof type, "%s", types[i]);
            snprintf(name, sizeof name, "%s", names[i]);
            size_t tl = strlen(type);
            size_t nl = strlen(name);
            switch (next_random(&seed) % 6) {
            case 0: /* case flips in the type */
                for (size_t j = 0; j < tl; j++) {
                    if (((type[j] | 0x20) >= 'a' && (type[j] | 0x20) <= 'z') &&
                        next_random(&seed) % 3 == 0) {
                        type[j] ^= 0x20;
                    }
                }
                break;
            case 1: /* case flips in the name */
                for (size_t j = 0; j < nl; j++) {
                    if (((name[j] | 0x20) >= 'a' && (name[j] | 0x20) <= 'z') &&
                        next_random(&seed) % 3 == 0) {
                        name[j] ^= 0x20;
                    }
                }
                break;
            case 2: /* a separator or an 's' somewhere */
                if (nl > 0) {
                    name[next_random(&seed) % nl] = "_. -s'/S"[next_random(&seed) % 8];
                }
                if (tl > 0) {
                    type[next_random(&seed) % tl] = "_.sS0-Ab"[next_random(&seed) % 8];
                }
                break;
            case 3: /* two rows joined */
                snprintf(type + tl, sizeof type - tl, "%s", types[o]);
                snprintf(name + nl, sizeof name - nl, " %s", names[o]);
                break;
            case 4: /* cut short */
                name[nl > 0 ? next_random(&seed) % nl : 0] = '\0';
                type[tl > 0 ? next_random(&seed) % tl : 0] = '\0';
                break;
            default: /* lower-cased type, upper-cased name */
                for (size_t j = 0; j < tl; j++) {
                    if (type[j] >= 'A' && type[j] <= 'Z') {
                        type[j] ^= 0x20;
                    }
                }
                for (size_t j = 0; j < nl; j++) {
                    if (name[j] >= 'a' && name[j] <= 'z') {
                        name[j] ^= 0x20;
                    }
                }
                break;
            }
            expect_same_paths(type, strlen(type), name, strlen(name));
        }
    }
    /* Phrases at the edges of the texts, plurals, and texts made only of separators. */
    /* clang-format off */
    static const char *const texts[] = {
        "Tor", "tors", "Tor exit nodes", "exit node Tor", "C2s", "DDoS", "DDOSs", "ddos",
        "MicroBurst", "Micro Burst", "microbursts", "SSHReset", "IPs", "suspicious IPs",
        "Suspicious_IPs", "_BF_", "BF", "___", "", " ", "denial-of-service", "coin  miners",
        "VM_CoinMiners", "K8S", "Base64", "IPv4", "AzureHound", "azurehounds", "NetSPIs",
    };
    /* clang-format on */
    const size_t nt = sizeof texts / sizeof *texts;
    for (size_t i = 0; i < nt; i++) {
        for (size_t j = 0; j < nt; j++) {
            expect_same_paths(texts[i], strlen(texts[i]), texts[j], strlen(texts[j]));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crypto_mining),
        cmocka_unit_test(brute_force),
        cmocka_unit_test(exploit),
        cmocka_unit_test(fileless),
        cmocka_unit_test(sas),
        cmocka_unit_test(geo),
        cmocka_unit_test(suspicious_ip),
        cmocka_unit_test(ddos),
        cmocka_unit_test(exfiltration),
        cmocka_unit_test(password_reset),
        cmocka_unit_test(botnet),
        cmocka_unit_test(outgoing),
        cmocka_unit_test(azure_toolkit),
        cmocka_unit_test(account_never_from_text),
        cmocka_unit_test(several_signals),
        cmocka_unit_test(alert_type_words),
        cmocka_unit_test(display_name_words),
        cmocka_unit_test(bounds_and_empty),
        cmocka_unit_test(parse_lists),
        cmocka_unit_test(fast_path_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
