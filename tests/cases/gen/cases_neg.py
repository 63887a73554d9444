from framework import *
from cases_pos import U, S, ALICE, BOB, CAROL, DAVE, FRANK, GRACE, HEIDI, IVAN, JUDY, MALLORY, NIAJ, OSCAR, PEGGY, SP_DEPLOY, SP_BACKUP

TRENT = ('trent.walker', 'b8a6c4e2-0f1d-4b3a-9c5e-7d9f1b3d5f7a')
VICTOR = ('victor.sato', '4c2a0e8f-6d4b-4a2c-8e0f-6b4d2f0a8c6e')
WENDY = ('wendy.kowalski', '93b5d7f9-1a3c-4e5a-b7c9-d1f3a5c7e9b1')

# ================================================================ single plan only
c = Case('neg-single-plan-user',
         'two Resource Manager alerts for the same user: one plan only, no incident (kind 1 needs '
         '2 plans)')
t = '2025-05-13T08:00:00.6161791Z'
c.alert('a', 'rest', 'ARM_AnomalousOperation.Persistence', t, subid(), [U(TRENT), ip('192.0.2.71')], intent='Persistence',
        chk=dict(plan='ResourceManager', signals=['account']))
c.alert('b', 'rest', 'ARM_AnomalousOperation.Collection', add_t(t, hours=1), subid(), [U(TRENT), ip('192.0.2.71')],
        intent='Collection', chk=dict(plan='ResourceManager', signals=['account']))

c = Case('neg-single-plan-ip',
         'two Storage suspicious-IP alerts from one IP on two storage accounts: one plan only, no '
         'kind 7')
t = '2025-05-14T08:00:00.1323463Z'
c.alert('a', 'sentinel', 'Storage.Blob_SuspiciousIp', t, stid('stcontosofinance'), [ip('203.0.113.91')],
        intent='PreAttack', severity='Medium', chk=dict(plan='Storage', signals=['suspicious_ip']))
c.alert('b', 'sentinel', 'Storage.Files_SuspiciousIp', add_t(t, minutes=30), stid('stfileshareshr'), [ip('203.0.113.91')],
        intent='PreAttack', severity='Medium', chk=dict(plan='Storage', signals=['suspicious_ip']))

c = Case('neg-single-plan-key-vault',
         'two Key Vault alerts on one vault by one user: one plan only, no kind 4 (neither user nor '
         'resource scenario) and no kind 1')
t = '2025-05-15T08:00:00.3663862Z'
kv = kvid('kv-payments-prod')
c.alert('a', 'export', 'KV_ListGetAnomaly', t, kv, [U(VICTOR), azres(kv), ip('192.0.2.72')], intent='CredentialAccess',
        chk=dict(plan='KeyVault'))
c.alert('b', 'export', 'KV_OperationVolumeAnomaly', add_t(t, hours=2), kv, [U(VICTOR), azres(kv), ip('192.0.2.72')],
        intent='CredentialAccess', chk=dict(plan='KeyVault'))

c = Case('neg-single-plan-sas',
         'a SAS token misuse then data exfiltration on the same storage account: both Storage, so '
         'no kind 5 (needs an alert of another plan)')
t = '2025-05-16T08:00:00.2661215Z'
st = stid('stfinancearchive')
c.alert('sas', 'rest', 'Storage.Blob_AccountSas.UnusualOperationFromExternalIp', t, st, [ip('203.0.113.78')],
        intent=['ResourceDevelopment', 'Exfiltration', 'Impact'], chk=dict(plan='Storage', signals=['sas']))
c.alert('exfil', 'rest', 'Storage.Blob_DataExfiltration.NumberOfBlobsAnomaly', add_t(t, hours=1), st, [ip('203.0.113.78')],
        intent='Exfiltration', severity='High', chk=dict(plan='Storage', signals=['exfiltration']))

c = Case('neg-single-plan-vm',
         'failed SSH brute force then a crypto miner on one vm, both Defender for Servers: no kind 3 '
         'and no machine chain (both need 2 plans)')
t = '2025-05-17T08:00:00.0061154Z'
vm = vmid('vm-jump-04')
h = host('vm-jump-04', vm)
c.alert('bf', 'sentinel', 'VM_SshBruteForceFailed', t, vm, [h, ip('198.51.100.111')], intent='Probing',
        chk=dict(plan='Servers', signals=['brute_force'], stages=[0]))
c.alert('miner', 'sentinel', 'VM_CryptoCoinMinerExecution', add_t(t, hours=2), vm, [h], intent='Execution', severity='High',
        chk=dict(plan='Servers', signals=['crypto_mining'], stages=[8]))

c = Case('neg-single-plan-chain',
         'three Defender for Servers alerts climbing the kill chain on one vm, with a bot alert: one '
         'plan only, so no machine chain (kind 18 would need 2 plans)')
t = '2025-05-18T08:00:00.4377411Z'
vm = vmid('vm-web-14')
h = host('vm-web-14', vm)
c.alert('login', 'export', 'VM_SshBruteForceSuccess', t, vm, [h, ip('198.51.100.112')], intent='Exploitation',
        chk=dict(plan='Servers', stages=[1]))
c.alert('key', 'export', 'VM_SshKeyAddition', add_t(t, minutes=20), vm, [h], name='New SSH key added', intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))
c.alert('bot', 'export', 'VM_CommonBot', add_t(t, hours=1), vm, [h], intent='Execution',
        chk=dict(plan='Servers', signals=['botnet'], stages=[8]))

c = Case('neg-single-plan-cluster',
         'a user binds cluster-admin and then a high-privilege role is created, both Defender for '
         'Containers alerts on one cluster: no kind 12 (needs a Containers alert following an '
         'account alert of another plan)')
t = '2025-05-19T08:00:00.8770210Z'
aks = aksid('aks-dev-weu', sub=SUB_DEV)
c.alert('bind', 'rest', 'K8S_ClusterAdminBinding', t, aks, [k8s_cluster(aks), U(WENDY)], intent='Persistence',
        chk=dict(plan='Containers', signals=['account']))
c.alert('role', 'rest', 'K8S_HighPrivilegesRole', add_t(t, minutes=5), aks, [k8s_cluster(aks), U(WENDY)], intent='Persistence',
        chk=dict(plan='Containers', signals=['account']))

c = Case('neg-api-alerts-on-two-services',
         'two API alerts from one IP but on two different API Management services: kind 11 needs 2 '
         'alerts on the same resource')
t = '2025-05-20T08:00:00.8492834Z'
c.alert('a', 'export', 'API_SpikeInPayload', t, apimid('apim-contoso-prod', 'orders-api'), [ip('203.0.113.89')],
        name='Unusually large request body transmitted between a single IP address and an API endpoint',
        intent='InitialAccess', chk=dict(plan='APIs'))
c.alert('b', 'export', 'API_ParameterEnumeration', add_t(t, minutes=3), apimid('apim-partners-prod', 'catalog-api'),
        [ip('203.0.113.89')], intent='InitialAccess', chk=dict(plan='APIs'))

# ================================================================ windows
def user_pair(c, shape, t, gap, who, suffix=''):
    c.alert('arm', shape, 'ARM_AnomalousOperation.Persistence', t, subid(), [U(who)], intent='Persistence',
            chk=dict(plan='ResourceManager', signals=['account']))
    c.alert('stor', shape, 'Storage.Blob_ApplicationAnomaly', add_t(t, **gap), stid('stcontosofinance'), [U(who)],
            intent='Execution', severity='Medium', chk=dict(plan='Storage', signals=['account']))

c = Case('window-gap-over-24h',
         'the two alerts of a kind-1 pair start 24 h and 1 s apart: two sessions, no incident')
t = '2025-05-21T09:00:00.9370407Z'
user_pair(c, 'export', t, dict(hours=24, seconds=1), TRENT)

c = Case('window-gap-exactly-24h',
         'the two alerts of a kind-1 pair start exactly 24 h apart: still one session, kind 1')
t = '2025-05-23T09:00:00.4790029Z'
user_pair(c, 'export', t, dict(hours=24), TRENT)
c.expect(1, 1, E('user', TRENT[1]), ['arm', 'stor'], firstActivityTimeUtc=t,
         lastActivityTimeUtc=add_t(t, hours=24))

c = Case('window-session-keeps-growing',
         'a user alert, another 20 h later (same plan), a Storage alert 20 h after that: each within '
         '24 h of the previous, so one session of 40 h and one kind-1 incident with all three')
t = '2025-05-25T09:00:00.4408133Z'
c.alert('arm1', 'sentinel', 'ARM_AnomalousOperation.Persistence', t, subid(), [U(VICTOR)], intent='Persistence',
        chk=dict(plan='ResourceManager'))
c.alert('arm2', 'sentinel', 'ARM_AnomalousOperation.Execution', add_t(t, hours=20), subid(), [U(VICTOR)],
        intent='Execution', chk=dict(plan='ResourceManager'))
c.alert('stor', 'sentinel', 'Storage.Blob_ApplicationAnomaly', add_t(t, hours=40), stid('stcontosofinance'), [U(VICTOR)],
        intent='Execution', severity='Medium', chk=dict(plan='Storage'))
c.file_order('arm2', 'arm1', 'stor')
c.expect(1, 1, E('user', VICTOR[1]), ['arm1', 'arm2', 'stor'], firstActivityTimeUtc=t,
         lastActivityTimeUtc=add_t(t, hours=40))

c = Case('window-following-gap-over-24h',
         'SSH brute force on a vm, then a crypto miner 25 h later: outside the window, so no kind 3 '
         'and no machine chain')
t = '2025-05-28T09:00:00.4966279Z'
vm = vmid('vm-jump-05')
h = host('vm-jump-05', vm)
c.alert('bf', 'rest', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('198.51.100.113'), h], intent='PreAttack',
        chk=dict(plan='Network', signals=['brute_force']))
c.alert('miner', 'rest', 'VM_CryptoCoinMinerExecution', add_t(t, hours=25), vm, [h], intent='Execution', severity='High',
        chk=dict(plan='Servers', signals=['crypto_mining']))

c = Case('window-option-2h',
         'with --window 2h a kind-1 pair 3 h apart is two sessions: no incident',
         args=['--window', '2h'])
t = '2025-05-30T09:00:00.1380939Z'
user_pair(c, 'rest', t, dict(hours=3), WENDY)

c = Case('window-two-sessions-two-incidents',
         'the same suspicious IP hits storage and Cosmos DB on day 1 and again on day 3: two '
         'sessions, two kind-7 incidents on the same IP, each with its own members')
t = '2025-06-01T09:00:00.7557498Z'
for i, off in enumerate([0, 48]):
    c.alert('stor%d' % (i + 1), 'rest', 'Storage.Blob_SuspiciousIp', add_t(t, hours=off), stid('stmediaassets'),
            [ip('203.0.113.92')], intent='PreAttack', severity='Medium', chk=dict(plan='Storage'))
    c.alert('cos%d' % (i + 1), 'rest', 'CosmosDB_SuspiciousIp', add_t(t, hours=off, minutes=40),
            cosmosid('cosmos-loyalty-prod'), [ip('203.0.113.92')], intent='InitialAccess', chk=dict(plan='CosmosDB'))
c.expect(7, 1, E('ip', '203.0.113.92'), ['stor1', 'cos1'])
c.expect(7, 1, E('ip', '203.0.113.92'), ['stor2', 'cos2'])

c = Case('window-max-span-7d',
         'a user alert every 20 h for 8 days, Resource Manager and Storage in turn: each starts within '
         '24 h of the previous, but a session lasts less than 7 days from its first alert (max_span), '
         'so the alert at 180 h starts a second session: two kind-1 incidents')
t = '2025-08-01T09:00:00.1234567Z'
for i in range(11):
    if i % 2 == 0:
        c.alert('a%d' % i, 'export', 'ARM_AnomalousOperation.Persistence', add_t(t, hours=20 * i), subid(),
                [U(TRENT)], intent='Persistence', chk=dict(plan='ResourceManager', signals=['account']))
    else:
        c.alert('a%d' % i, 'export', 'Storage.Blob_ApplicationAnomaly', add_t(t, hours=20 * i),
                stid('stcontosofinance'), [U(TRENT)], intent='Execution', severity='Medium',
                chk=dict(plan='Storage', signals=['account']))
c.expect(1, 1, E('user', TRENT[1]), ['a%d' % i for i in range(9)], firstActivityTimeUtc=t,
         lastActivityTimeUtc=add_t(t, hours=160))
c.expect(1, 1, E('user', TRENT[1]), ['a9', 'a10'], firstActivityTimeUtc=add_t(t, hours=180),
         lastActivityTimeUtc=add_t(t, hours=200))

c = Case('window-max-span-option-2d',
         'with --max-span 2d, user alerts at 0, 20, 40, 60 and 70 h (Resource Manager and Storage in '
         'turn) are cut at 48 h from the first: sessions of 0-40 h and 60-70 h, two kind-1 incidents',
         args=['--max-span', '2d'])
t = '2025-08-12T09:00:00.7654321Z'
for i, off in enumerate([0, 20, 40, 60, 70]):
    if i % 2 == 0:
        c.alert('a%d' % i, 'rest', 'ARM_AnomalousOperation.Persistence', add_t(t, hours=off), subid(),
                [U(WENDY)], intent='Persistence', chk=dict(plan='ResourceManager', signals=['account']))
    else:
        c.alert('a%d' % i, 'rest', 'Storage.Blob_ApplicationAnomaly', add_t(t, hours=off),
                stid('stcontosofinance'), [U(WENDY)], intent='Execution', severity='Medium',
                chk=dict(plan='Storage', signals=['account']))
c.expect(1, 1, E('user', WENDY[1]), ['a0', 'a1', 'a2'], firstActivityTimeUtc=t,
         lastActivityTimeUtc=add_t(t, hours=40))
c.expect(1, 1, E('user', WENDY[1]), ['a3', 'a4'], firstActivityTimeUtc=add_t(t, hours=60),
         lastActivityTimeUtc=add_t(t, hours=70))

c = Case('chain-cut-at-max-span-cell',
         'SSH brute force on a vm at 23:00 and a crypto miner on it at 01:00, across Thursday '
         '2025-08-07 00:00 UTC, a boundary of the 7-day cells counted from 1970-01-01 that machine '
         'components never cross: kind 3 scenario 2 (an entity session, only capped from its first '
         'alert) but no machine chain (the same pair on one side of it gives kind 21: k03s2)')
t = '2025-08-06T23:00:00.5550001Z'
vm = vmid('vm-jump-09')
h = host('vm-jump-09', vm)
c.alert('bf', 'export', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('203.0.113.58'), h],
        intent='PreAttack', chk=dict(plan='Network', signals=['brute_force'], stages=[0]))
c.alert('miner', 'export', 'VM_CryptoCoinMinerExecution', add_t(t, hours=2), vm, [h],
        intent='Execution', severity='High', chk=dict(plan='Servers', signals=['crypto_mining'], stages=[8]))
c.expect(3, 2, E('vm', key(vm)), ['bf', 'miner'], severity='High')

# ================================================================ wrong order
c = Case('order-k03s1-user-after-miner',
         'a crypto miner on a vm, then the Resource Manager user operation on it: the account alert '
         'comes after, so no kind 3 scenario 1')
t = '2025-06-04T09:00:00.8210282Z'
vm = vmid('vm-build-08', 'rg-ci-weu', SUB_DEV)
h = host('vm-build-08', vm)
c.alert('miner', 'export', 'VM_CryptoCoinMinerExecution', t, vm, [h], intent='Execution', severity='High',
        chk=dict(plan='Servers', signals=['crypto_mining'], stages=[8]))
c.alert('arm', 'export', 'ARM_AnomalousOperation.Execution', add_t(t, hours=1), vm, [U(BOB)], intent='Execution',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[8]))

c = Case('order-k03s2-brute-force-after-miner',
         'a crypto miner on a vm, then SSH brute force on it: wrong order, no kind 3 scenario 2; '
         'Execution then PreAttack goes back in the kill chain, so no machine chain either')
t = '2025-06-05T09:00:00.9972208Z'
vm = vmid('vm-jump-06')
h = host('vm-jump-06', vm)
c.alert('miner', 'sentinel', 'VM_CryptoCoinMinerExecution', t, vm, [h], intent='Execution', severity='High',
        chk=dict(plan='Servers', stages=[8]))
c.alert('bf', 'sentinel', 'SSH_Incoming_BF_OneToOne', add_t(t, hours=1), vm, [ip('198.51.100.114'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))

c = Case('order-k05-sas-after-other-plan',
         'a Resource Manager operation by a user on a storage account, then the SAS misuse: no kind 5 '
         '(the other-plan alert must follow the sas one); the Storage alert now follows the account '
         'alert on the resource, so kind 13 scenario 1 instead')
t = '2025-06-06T09:00:00.4104227Z'
st = stid('stfinancearchive')
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Impact', t, st, [U(PEGGY), ip('192.0.2.202')], intent='Impact',
        chk=dict(plan='ResourceManager', signals=['account']))
c.alert('sas', 'rest', 'Storage.Blob_AccountSas.UnusualExternalAccess', add_t(t, minutes=32), st, [ip('203.0.113.79')],
        intent=['ResourceDevelopment', 'Exfiltration', 'Impact'], chk=dict(plan='Storage', signals=['sas']))
c.expect(13, 1, E('resource', key(st)), ['arm', 'sas'])

c = Case('order-k08-exploit-after-fileless',
         'a fileless technique (Servers) then a command line exploit attempt (Containers) on the same '
         'Arc machine: wrong order, no kind 8; Execution then Exploitation goes back, no chain')
t = '2025-06-07T09:00:00.5499724Z'
arc = arcid('edge-node-03')
cc = connid('edge-k3s-03')
h = host('edge-node-03', arc)
c.alert('fileless', 'export', 'VM_FilelessAttackTechnique.Linux', t, arc, [h], intent='Execution',
        chk=dict(plan='Servers', signals=['fileless'], stages=[8]))
c.alert('exploit', 'export', 'K8S.NODE_ExploitAttempt', add_t(t, minutes=30), cc, [k8s_cluster(cc), host('edge-node-03', arc)],
        intent='Exploitation', chk=dict(plan='Containers', signals=['exploit'], stages=[1]))

c = Case('order-k10s1-user-after-exfiltration',
         'data leaves a Cosmos DB account, then a user runs an operation on it: no kind 10 scenario 1')
t = '2025-06-08T09:00:00.1274028Z'
cos = cosmosid('cosmos-crm-prod')
c.alert('exfil', 'rest', 'CosmosDB_DataExfiltrationAnomaly', t, cos, [ip('203.0.113.46')], intent='Exfiltration',
        chk=dict(plan='CosmosDB', signals=['exfiltration']))
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Collection', add_t(t, hours=2), cos, [U(GRACE)], intent='Collection',
        chk=dict(plan='ResourceManager', signals=['account']))

c = Case('order-k10s2-user-after-exfiltration-ip',
         'an IP extracts Cosmos DB data, then a user operates from that IP: no kind 10 scenario 2')
t = '2025-06-09T09:00:00.1667768Z'
c.alert('exfil', 'export', 'CosmosDB_DataExfiltrationAnomaly', t, cosmosid('cosmos-orders-prod'), [ip('198.51.100.78')],
        intent='Exfiltration', chk=dict(plan='CosmosDB'))
c.alert('arm', 'export', 'ARM_AnomalousOperation.Collection', add_t(t, minutes=50), subid(), [U(HEIDI), ip('198.51.100.78')],
        intent='Collection', chk=dict(plan='ResourceManager', signals=['account']))

c = Case('order-k10s3-reset-after-exfiltration',
         'an IP extracts storage data, then resets a vm password: no kind 10 scenario 3')
t = '2025-06-10T09:00:00.7677024Z'
vm = vmid('vm-db-05')
c.alert('exfil', 'sentinel', 'Storage.Blob_DataExfiltration.AmountOfDataAnomaly', t, stid('stbackupsweu'),
        [ip('192.0.2.89')], intent='Exfiltration', severity='High', chk=dict(plan='Storage', signals=['exfiltration']))
c.alert('reset', 'sentinel', 'VM_VMAccessUnusualPasswordReset', add_t(t, hours=4), vm,
        [host('vm-db-05', vm, os='Windows'), ip('192.0.2.89')], intent='CredentialAccess',
        chk=dict(plan='Servers', signals=['password_reset']))

c = Case('order-k12-user-after-containers',
         'a cluster-admin binding on an AKS cluster, then a user fetches admin credentials for it: no '
         'kind 12')
t = '2025-06-11T09:00:00.5535437Z'
aks = aksid('aks-prod-weu')
c.alert('k8s', 'rest', 'K8S_ClusterAdminBinding', t, aks, [k8s_cluster(aks)], intent='Persistence',
        chk=dict(plan='Containers'))
c.alert('arm', 'rest', 'ARM_AnomalousOperation.CredentialAccess', add_t(t, minutes=25), aks, [U(IVAN)],
        intent='CredentialAccess', chk=dict(plan='ResourceManager', signals=['account']))

c = Case('order-k13s1-user-after-storage',
         'a storage container is made public, then a user operates on the account: no kind 13 '
         'scenario 1')
t = '2025-06-12T09:00:00.4323964Z'
st = stid('stmarketingassets')
c.alert('acl', 'sentinel', 'Storage.Blob_OpenACL', t, st, [blob_container('campaign-drafts', st)], intent='Collection',
        chk=dict(plan='Storage'))
c.alert('arm', 'sentinel', 'ARM_AnomalousOperation.Collection', add_t(t, hours=3), st, [U(JUDY)], intent='Collection',
        chk=dict(plan='ResourceManager', signals=['account']))

c = Case('order-k13s2-user-after-storage-ip',
         'an IP reads a container anonymously, then a user operates from the same IP: no kind 13 '
         'scenario 2')
t = '2025-06-13T09:00:00.0501013Z'
c.alert('anon', 'export', 'Storage.Blob_AnonymousAccessAnomaly', t, stid('stpublicdownloads'), [ip('192.0.2.211')],
        intent='InitialAccess', severity='High', chk=dict(plan='Storage'))
c.alert('arm', 'export', 'ARM_AnomalousOperation.Execution', add_t(t, hours=1), subid(), [U(MALLORY), ip('192.0.2.211')],
        intent='Execution', chk=dict(plan='ResourceManager', signals=['account']))

c = Case('order-k14-toolkit-after-other-plan',
         'a user explores storage, then MicroBurst runs as that user: no kind 14 (the other-plan alert '
         'must follow the toolkit), so the generic kind 1 stands')
t = '2025-06-14T09:00:00.7902585Z'
c.alert('stor', 'rest', 'Storage.Blob_DataExplorationAnomaly', t, stid('stcontosofinance'), [U(NIAJ)],
        intent='Execution', severity='High', chk=dict(plan='Storage', signals=['account']))
c.alert('toolkit', 'rest', 'ARM_MicroBurst.AZStorageKeysREST', add_t(t, hours=2), subid(), [U(NIAJ), ip('198.51.100.181')],
        intent='Collection', chk=dict(plan='ResourceManager', signals=['account', 'azure_toolkit']))
c.expect(1, 1, E('user', NIAJ[1]), ['stor', 'toolkit'], severity='High')

# ================================================================ scopes
c = Case('scope-two-tenants-same-ip',
         'the same suspicious IP hits a storage account of one tenant and a Cosmos DB account of '
         'another (Sentinel rows with different TenantId): scopes never meet, no incident')
t = '2025-06-15T09:00:00.4110892Z'
c.alert('a', 'sentinel', 'Storage.Blob_SuspiciousIp', t, stid('stcontosofinance'), [ip('203.0.113.93')], intent='PreAttack',
        severity='Medium', chk=dict(plan='Storage', signals=['suspicious_ip'], scope=T_CONTOSO))
c.alert('b', 'sentinel', 'CosmosDB_SuspiciousIp', add_t(t, minutes=20), cosmosid('cosmos-fabrikam-web', 'rg-web', SUB_FAB),
        [ip('203.0.113.93')], intent='InitialAccess', tenant=T_FABRIKAM,
        chk=dict(plan='CosmosDB', signals=['suspicious_ip'], scope=T_FABRIKAM))

c = Case('scope-two-subscriptions-one-tenant',
         'continuous export from two subscriptions of one tenant (same AzureResourceTenantId): one '
         'scope, so the suspicious IP correlates (kind 7 scenario 1, scope = tenant)')
t = '2025-06-16T09:00:00.4352529Z'
c.alert('a', 'export', 'Storage.Blob_SuspiciousIp', t, stid('stcontosofinance'), [ip('203.0.113.94')], intent='PreAttack',
        severity='Medium', chk=dict(plan='Storage', scope=T_CONTOSO))
c.alert('b', 'export', 'CosmosDB_SuspiciousIp', add_t(t, minutes=20), cosmosid('cosmos-dev-sandbox', 'rg-dev', SUB_DEV),
        [ip('203.0.113.94')], intent='InitialAccess', chk=dict(plan='CosmosDB', scope=T_CONTOSO))
c.expect(7, 1, E('ip', '203.0.113.94'), ['a', 'b'], scope=T_CONTOSO)

c = Case('scope-account-tenant-does-not-decide',
         'REST alerts from two subscriptions (no tenant id on the records) naming the same user whose '
         'account entity carries AadTenantId: the scope is each subscription, so no kind 1')
t = '2025-06-17T09:00:00.1183079Z'
c.alert('a', 'rest', 'ARM_AnomalousOperation.Persistence', t, subid(SUB_PROD), [U(WENDY)], intent='Persistence',
        chk=dict(plan='ResourceManager', signals=['account'], scope=SUB_PROD))
c.alert('b', 'rest', 'Storage.Blob_ApplicationAnomaly', add_t(t, hours=1), stid('stdevscratch', 'rg-dev', SUB_DEV), [U(WENDY)],
        intent='Execution', severity='Medium', chk=dict(plan='Storage', signals=['account'], scope=SUB_DEV))

# ================================================================ built-in accounts
c = Case('builtin-accounts-are-not-users',
         'Administrator (with a machine SID shared by cloned vms) and SYSTEM named by a Servers alert '
         'and a SQL alert on two vms: built-in names with no domain are not user entities, so no '
         'kind 1 and nothing ties the vms')
t = '2025-06-18T09:00:00.4752954Z'
v1, v2 = vmid('vm-rdsh-01'), vmid('vm-sql-02', 'rg-sql-weu')
adm = account('Administrator', sid='S-1-5-21-1004336348-1177238915-682003330-500')
c.alert('srv', 'export', 'VM.Windows_KnownCredentialAccessTools', t, v1,
        [host('vm-rdsh-01', v1, os='Windows'), adm, account('SYSTEM', sid='S-1-5-18')], intent='CredentialAccess',
        chk=dict(plan='Servers', signals=[], stages=[5]))
c.alert('sql', 'export', 'SQL.VM_ShellExternalSourceAnomaly', add_t(t, hours=1), v2,
        [host('vm-sql-02', v2, os='Windows'), account('Administrator', sid='S-1-5-21-1004336348-1177238915-682003330-500')],
        intent='Execution', severity='High', chk=dict(plan='SQL', signals=[], stages=[8]))

c = Case('builtin-name-with-domain-is-a-user',
         'CONTOSO\\Administrator (a domain account) named by a Servers alert and a SQL alert on two '
         'vms: with a domain it is a user, kind 1; both alerts are Execution only, so no chain')
t = '2025-06-19T09:00:00.9993763Z'
v1, v2 = vmid('vm-dc-01'), vmid('vm-sql-03', 'rg-sql-weu')
c.alert('srv', 'sentinel', 'VM.Windows_KnownCredentialAccessTools', t, v1,
        [host('vm-dc-01', v1, os='Windows'), account('Administrator', nt='CONTOSO', sid='S-1-5-21-3623811015-3361044348-30300820-500')],
        intent='Execution', chk=dict(plan='Servers', signals=['account'], stages=[8]))
c.alert('sql', 'sentinel', 'SQL.VM_ShellExternalSourceAnomaly', add_t(t, hours=1), v2,
        [host('vm-sql-03', v2, os='Windows'), account('Administrator', nt='CONTOSO', sid='S-1-5-21-3623811015-3361044348-30300820-500')],
        intent='Execution', severity='High', chk=dict(plan='SQL', signals=['account'], stages=[8]))
c.expect(1, 1, E('user', 'contoso\\administrator'), ['srv', 'sql'], severity='High')

# ================================================================ machine chains
c = Case('chain-alert-without-stage-never-joins',
         'SSH brute force (PreAttack) then a bot alert whose intent is Unknown on the same vm: the '
         'unstaged alert never joins a chain, so there is no chain (kind 18 would need it)')
t = '2025-06-20T09:00:00.2527582Z'
vm = vmid('vm-web-31')
h = host('vm-web-31', vm)
c.alert('bf', 'sentinel', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('198.51.100.115'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('bot', 'sentinel', 'VM_CommonBot', add_t(t, hours=1), vm, [h], intent='Unknown',
        chk=dict(plan='Servers', signals=['botnet'], stages=[]))

c = Case('chain-unstaged-alert-still-ties-vms',
         'RDP brute force from an IP on vm A; an unstaged connection alert naming that IP on vm B; a '
         'successful login on vm B: the unstaged alert ties the vms but is not a member; the chain '
         '(PreAttack, Exploitation over 2 plans and 2 vms) is kind 23')
t = '2025-06-21T09:00:00.0747319Z'
va, vb = vmid('vm-app-41'), vmid('vm-app-42')
c.alert('rdp', 'export', 'RDP_Incoming_BF_OneToOne', t, va, [ip('203.0.113.140'), host('vm-app-41', va, os='Windows')],
        intent='PreAttack', chk=dict(plan='Network', stages=[0]))
c.alert('conn', 'export', 'VM_SuspectConnection', add_t(t, minutes=10), vb, [host('vm-app-42', vb), ip('203.0.113.140')],
        intent='Unknown', chk=dict(plan='Servers', signals=[], stages=[]))
c.alert('login', 'export', 'VM_LoginBruteForceSuccess', add_t(t, minutes=30), vb,
        [host('vm-app-42', vb, os='Windows'), ip('192.0.2.9')], intent='Exploitation', severity='Medium',
        chk=dict(plan='Servers', stages=[1]))
c.expect(23, 1, E('vm', key(va) + ',' + key(vb)), ['rdp', 'login'], severity='Medium')

c = Case('chain-goes-back-no-incident',
         'C2 communication (CommandAndControl) then a new SSH key (Persistence) on one vm: the order '
         'goes back in the kill chain, so no chain and no kind 18')
t = '2025-06-22T09:00:00.6403218Z'
vm = vmid('vm-web-51')
h = host('vm-web-51', vm)
c.alert('c2', 'rest', 'Network_CommunicationWithC2', t, vm, [h, ip('203.0.113.68')], intent='CommandAndControl',
        chk=dict(plan='Network', signals=['botnet'], stages=[10]))
c.alert('key', 'rest', 'VM_SshKeyAddition', add_t(t, hours=1), vm, [h], name='New SSH key added', intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))

c = Case('chain-one-vm-below-persistence',
         'SSH brute force (PreAttack) then a successful login (Exploitation) on one vm over 2 plans: '
         'a chain on 1 vm that does not reach Persistence and has no botnet/outgoing alert fits no '
         'kind, no incident')
t = '2025-06-23T09:00:00.6627353Z'
vm = vmid('vm-web-52')
h = host('vm-web-52', vm)
c.alert('bf', 'export', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('198.51.100.116'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('login', 'export', 'VM_SshBruteForceSuccess', add_t(t, minutes=20), vm, [h, ip('198.51.100.116')],
        intent='Exploitation', chk=dict(plan='Servers', stages=[1]))

c = Case('chain-botnet-wins-over-outgoing',
         'brute force, bot behaviour, then an outgoing DDoS from one vm: with both botnet and '
         'outgoing alerts the chain is kind 18, not 20')
t = '2025-06-24T09:00:00.1571730Z'
vm = vmid('vm-web-53')
h = host('vm-web-53', vm)
c.alert('bf', 'sentinel', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('198.51.100.117'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('bot', 'sentinel', 'VM_CommonBot', add_t(t, hours=1), vm, [h], intent='Execution',
        chk=dict(plan='Servers', signals=['botnet'], stages=[8]))
c.alert('ddos', 'sentinel', 'DDOS', add_t(t, hours=3), vm, [h, ip('192.0.2.250')], intent='Impact',
        chk=dict(plan='Network', signals=['ddos', 'outgoing'], stages=[12]))
c.expect(18, 1, E('vm', key(vm)), ['bf', 'bot', 'ddos'], severity='Medium')

c = Case('chain-outgoing-becomes-botnet',
         'a new SSH key, outgoing port scanning (a kind-20 chain so far), then C2 communication 4 h '
         'later (written before the scan): the chain becomes kind 18 and only 18 is reported')
t = '2025-06-25T09:00:00.7943378Z'
vm = vmid('vm-web-54')
h = host('vm-web-54', vm)
c.alert('key', 'rest', 'VM_SshKeyAddition', t, vm, [h], name='New SSH key added', intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))
c.alert('scan', 'rest', 'PortScanning', add_t(t, hours=1), vm, [h, ip('10.40.0.9')],
        name='Suspicious outgoing SSH traffic detected', intent='Discovery',
        chk=dict(plan='Network', signals=['outgoing'], stages=[6]))
c.alert('c2', 'rest', 'Network_CommunicationWithC2', add_t(t, hours=5), vm, [h, ip('203.0.113.69')], intent='CommandAndControl',
        severity='High', chk=dict(plan='Network', signals=['botnet'], stages=[10]))
c.file_order('key', 'c2', 'scan')
c.expect(18, 1, E('vm', key(vm)), ['key', 'scan', 'c2'], severity='High')

c = Case('chain-largest-subset-leaves-out-backward-alert',
         'stages in time order 0, 2, 5, 1, 8 on one vm: the Exploitation alert would go back, so the '
         'chain is the largest subset 0, 2, 5, 8 and that alert is not a member (kind 21)')
t = '2025-06-26T09:00:00.1543227Z'
vm = vmid('vm-web-55')
h = host('vm-web-55', vm)
c.alert('bf', 'export', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('198.51.100.118'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('key', 'export', 'VM_SshKeyAddition', add_t(t, minutes=30), vm, [h], name='New SSH key added', intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))
c.alert('pwd', 'export', 'VM_SuspectPasswordFileAccess', add_t(t, hours=1), vm, [h], intent='CredentialAccess',
        chk=dict(plan='Servers', stages=[5]))
c.alert('login', 'export', 'VM_SshBruteForceSuccess', add_t(t, hours=1, minutes=30), vm, [h, ip('198.51.100.119')],
        intent='Exploitation', chk=dict(plan='Servers', stages=[1]))
c.alert('act', 'export', 'VM_SuspiciousActivity', add_t(t, hours=2), vm, [h], intent='Execution',
        chk=dict(plan='Servers', stages=[8]))
c.expect(21, 1, E('vm', key(vm)), ['bf', 'key', 'pwd', 'act'], severity='Medium',
         why={'links': [{'alert': 'bf', 'stage': 0}, {'alert': 'key', 'stage': 2}, {'alert': 'pwd', 'stage': 5},
                        {'alert': 'act', 'stage': 8}]})

c = Case('chain-equal-subsets-earliest-wins',
         'stages in time order 0, 2, 1, 8 on one vm: {0,2,8} and {0,1,8} are equally large; the '
         'earliest alerts win, so the Persistence alert is a member and the Exploitation one is not')
t = '2025-06-27T09:00:00.7067682Z'
vm = vmid('vm-web-56')
h = host('vm-web-56', vm)
c.alert('bf', 'sentinel', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('198.51.100.120'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('key', 'sentinel', 'VM_SshKeyAddition', add_t(t, minutes=30), vm, [h], name='New SSH key added', intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))
c.alert('login', 'sentinel', 'VM_SshBruteForceSuccess', add_t(t, hours=1), vm, [h, ip('198.51.100.121')],
        intent='Exploitation', chk=dict(plan='Servers', stages=[1]))
c.alert('act', 'sentinel', 'VM_SuspiciousActivity', add_t(t, hours=2), vm, [h], intent='Execution',
        chk=dict(plan='Servers', stages=[8]))
c.expect(21, 1, E('vm', key(vm)), ['bf', 'key', 'act'], severity='Medium')

c = Case('chain-alert-with-several-tactics',
         'stages 0, 3, {2 or 4}, 8 on one vm: the alert with tactics Persistence,DefenseEvasion takes '
         'DefenseEvasion (4) to stay in order, all four are members (kind 21)')
t = '2025-06-28T09:00:00.4629563Z'
vm = vmid('vm-web-57')
h = host('vm-web-57', vm)
c.alert('bf', 'rest', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('198.51.100.122'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('priv', 'rest', 'VM_SuspectProcessAccountPrivilegeCombo', add_t(t, minutes=40), vm, [h],
        intent='PrivilegeEscalation', chk=dict(plan='Servers', stages=[3]))
c.alert('nohup', 'rest', 'VM_SuspectNohup', add_t(t, hours=1, minutes=5), vm, [h],
        intent=['Persistence', 'DefenseEvasion'], chk=dict(plan='Servers', stages=[2, 4]))
c.alert('act', 'rest', 'VM_SuspiciousActivity', add_t(t, hours=2), vm, [h], intent='Execution',
        chk=dict(plan='Servers', stages=[8]))
c.expect(21, 1, E('vm', key(vm)), ['bf', 'priv', 'nohup', 'act'], severity='Medium',
         tactics=['DefenseEvasion', 'Execution', 'Persistence', 'PreAttack', 'PrivilegeEscalation'],
         why={'links': [{'alert': 'bf', 'stage': 0}, {'alert': 'priv', 'stage': 3}, {'alert': 'nohup', 'stage': 4},
                        {'alert': 'act', 'stage': 8}]})

c = Case('chain-late-arrivals-reversed',
         'a kind-21 chain of four alerts over 5 h written newest first (each within the default '
         'lateness): the same incident as in time order')
t = '2025-06-29T09:00:00.2354659Z'
vm = vmid('vm-rdsh-04')
h = host('vm-rdsh-04', vm, os='Windows')
c.alert('rdp', 'sentinel', 'RDP_Incoming_BF_OneToOne', t, vm, [ip('203.0.113.52'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('login', 'sentinel', 'VM_LoginBruteForceSuccess', add_t(t, hours=1), vm, [h, ip('203.0.113.52')],
        intent='Exploitation', severity='Medium', chk=dict(plan='Servers', stages=[1]))
c.alert('reg', 'sentinel', 'VM_RegistryPersistencyKey', add_t(t, hours=3), vm, [h], intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))
c.alert('act', 'sentinel', 'VM_SuspiciousActivity', add_t(t, hours=5), vm, [h], intent='Execution',
        chk=dict(plan='Servers', stages=[8]))
c.file_order('act', 'reg', 'login', 'rdp')
c.expect(21, 1, E('vm', key(vm)), ['rdp', 'login', 'reg', 'act'], severity='Medium',
         firstActivityTimeUtc=t, lastActivityTimeUtc=add_t(t, hours=5))

# ================================================================ specific before generic
c = Case('suppress-service-principal-by-suspicious-ip',
         'a service principal operates from a suspicious proxy IP and then reads storage: kind 7 '
         'scenario 2 on the service principal; kind 2 holds the same alerts and is suppressed')
t = '2025-06-30T09:00:00.8799010Z'
c.alert('arm', 'rest', 'ARM_OperationFromSuspiciousProxyIP', t, subid(), [S(SP_DEPLOY), ip('192.0.2.67')],
        intent='DefenseEvasion', chk=dict(plan='ResourceManager', signals=['account', 'suspicious_ip']))
c.alert('stor', 'rest', 'Storage.Blob_ApplicationAnomaly', add_t(t, hours=2), stid('stcontosofinance'), [S(SP_DEPLOY)],
        intent='Execution', severity='Medium', chk=dict(plan='Storage', signals=['account']))
c.expect(7, 2, E('service_principal', SP_DEPLOY[1]), ['arm', 'stor'])

c = Case('suppress-suspicious-ip-by-sql',
         'a suspicious IP logs into SQL and reaches storage: kind 16 scenario 1 on the IP; kind 7 '
         'scenario 1 holds the same alerts and is suppressed')
t = '2025-07-01T09:00:00.1291538Z'
c.alert('sql', 'sentinel', 'SQL.DB_SuspiciousIpAnomaly', t, sqlid('sql-contoso-prod', 'crm'), [ip('203.0.113.95')],
        intent='PreAttack', chk=dict(plan='SQL', signals=['suspicious_ip']))
c.alert('stor', 'sentinel', 'Storage.Blob_SuspiciousIp', add_t(t, hours=1), stid('stcontosofinance'), [ip('203.0.113.95')],
        intent='PreAttack', severity='Medium', chk=dict(plan='Storage', signals=['suspicious_ip']))
c.expect(16, 1, E('ip', '203.0.113.95'), ['sql', 'stor'])

c = Case('suppress-suspicious-ip-by-key-vault',
         'a suspicious IP reaches a key vault and a Cosmos DB account: kind 4 scenario 2; kind 7 is '
         'suppressed')
t = '2025-07-02T09:00:00.2180666Z'
kv = kvid('kv-platform-shared')
c.alert('kv', 'export', 'KV_SuspiciousIPAccess', t, kv, [ip('203.0.113.96'), azres(kv)], intent='CredentialAccess',
        chk=dict(plan='KeyVault', signals=['suspicious_ip']))
c.alert('cos', 'export', 'CosmosDB_SuspiciousIp', add_t(t, minutes=15), cosmosid('cosmos-orders-prod'), [ip('203.0.113.96')],
        intent='InitialAccess', chk=dict(plan='CosmosDB', signals=['suspicious_ip']))
c.expect(4, 2, E('ip', '203.0.113.96'), ['kv', 'cos'])

c = Case('suppress-user-by-machine-chain',
         'a user runs a Persistence operation on a vm through Resource Manager, then suspicious '
         'activity under that user on the vm (Servers): a kind-21 chain holds both alerts, so kind 1 '
         'for the user is suppressed')
t = '2025-07-03T09:00:00.5689538Z'
vm = vmid('vm-dev-07', 'rg-dev', SUB_DEV)
h = host('vm-dev-07', vm, os='Windows')
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Persistence', t, vm, [U(ALICE), ip('192.0.2.73')], intent='Persistence',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[2]))
c.alert('act', 'rest', 'VM_SuspiciousActivity', add_t(t, hours=1), vm, [h, U(ALICE)], intent='Execution',
        chk=dict(plan='Servers', signals=['account'], stages=[8]))
c.expect(21, 1, E('vm', key(vm)), ['arm', 'act'], severity='Medium')

c = Case('suppress-not-when-partial-overlap',
         'a user operation on a vm then a miner on it (kind 3 scenario 1 on the resource), and the '
         'same user in a Storage alert elsewhere (kind 1 with the Resource Manager and Storage '
         'alerts): kind 3 does not hold all of kind 1, so both are reported')
t = '2025-07-04T09:00:00.6937238Z'
vm = vmid('vm-build-09', 'rg-ci-weu', SUB_DEV)
h = host('vm-build-09', vm)
c.alert('arm', 'export', 'ARM_AnomalousOperation.Execution', t, vm, [U(BOB)], intent='Execution',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[8]))
c.alert('miner', 'export', 'VM_CryptoCoinMinerExecution', add_t(t, minutes=40), vm, [h], intent='Execution', severity='High',
        chk=dict(plan='Servers', signals=['crypto_mining'], stages=[8]))
c.alert('stor', 'export', 'Storage.Blob_DataExplorationAnomaly', add_t(t, hours=3), stid('stcontosofinance'), [U(BOB)],
        intent='Execution', severity='Medium', chk=dict(plan='Storage', signals=['account']))
c.expect(3, 1, E('resource', key(vm)), ['arm', 'miner'])
c.expect(1, 1, E('user', BOB[1]), ['arm', 'stor'])

# ================================================================ members and context
c = Case('members-context-before-and-after',
         'on one vm: a suspicious download, a user operation, a miner, then a later suspicious '
         'activity (all Execution, so no chain): kind 3 scenario 1 holds all four, the first and '
         'last as context')
t = '2025-07-05T09:00:00.2064401Z'
vm = vmid('vm-build-10', 'rg-ci-weu', SUB_DEV)
h = host('vm-build-10', vm)
c.alert('dl', 'rest', 'VM_SuspectDownload', t, vm, [h], intent='Execution', chk=dict(plan='Servers', stages=[8]))
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Execution', add_t(t, minutes=20), vm, [U(BOB)], intent='Execution',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[8]))
c.alert('miner', 'rest', 'VM_CryptoCoinMinerExecution', add_t(t, hours=1), vm, [h], intent='Execution', severity='High',
        chk=dict(plan='Servers', signals=['crypto_mining'], stages=[8]))
c.alert('act', 'rest', 'VM_SuspiciousActivity', add_t(t, hours=7), vm, [h], intent='Execution',
        chk=dict(plan='Servers', stages=[8]))
c.file_order('arm', 'dl', 'act', 'miner')
c.expect(3, 1, E('resource', key(vm)), ['dl', 'arm', 'miner', 'act'], severity='High',
         why={'links': [{'alert': 'dl', 'role': 'context'},
                        {'alert': 'arm', 'role': 'rule', 'following': 'first'},
                        {'alert': 'miner', 'role': 'rule', 'following': 'then', 'after': 'arm'},
                        {'alert': 'act', 'role': 'context'}]})

# ================================================================ duplicates
c = Case('dup-one-alert-twice-is-one',
         'the same API alert twice (same systemAlertId; the second copy Resolved): counted once, so '
         'kind 11 (2 alerts) does not form')
t = '2025-07-06T09:00:00.8513021Z'
c.alert('a', 'export', 'API_SpikeInAPITraffic', t, apimid('apim-contoso-prod', 'orders-api'), [ip('203.0.113.97')],
        intent='Impact', chk=dict(plan='APIs'))
c.dup('a', status='Resolved')

c = Case('dup-member-listed-once',
         'a kind-1 pair where the Storage alert arrives twice (second copy InProgress): the incident '
         'lists it once')
t = '2025-07-07T09:00:00.6127570Z'
c.alert('arm', 'sentinel', 'ARM_AnomalousOperation.Persistence', t, subid(), [U(CAROL)], intent='Persistence',
        chk=dict(plan='ResourceManager'))
c.alert('stor', 'sentinel', 'Storage.Blob_ApplicationAnomaly', add_t(t, hours=1), stid('stcontosofinance'), [U(CAROL)],
        intent='Execution', severity='Medium', chk=dict(plan='Storage'))
c.dup('stor', status='InProgress')
c.file_order('stor', 'arm', 'stor#dup')
c.expect(1, 1, E('user', CAROL[1]), ['arm', 'stor'], status='Active')

# ================================================================ equal start times
c = Case('equal-start-sas-and-arm',
         'a SAS misuse and a user Resource Manager operation on one storage account at the same '
         'start time: equal start times count as following both ways, so kind 5 (other plan '
         'following sas) and kind 13 scenario 1 (Storage following account) both form')
t = '2025-07-08T09:00:00.2262661Z'
st = stid('stfinancearchive')
c.alert('sas', 'rest', 'Storage.Blob_AccountSas.InternalSasUsedExternally', t, st, [ip('203.0.113.80')],
        intent=['ResourceDevelopment', 'Exfiltration', 'Impact'], chk=dict(plan='Storage', signals=['sas']))
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Impact', t, st, [U(PEGGY), ip('192.0.2.203')], intent='Impact',
        chk=dict(plan='ResourceManager', signals=['account']))
c.autosort = True  # equal start times: members ordered by systemAlertId
c.expect(5, 1, E('resource', key(st)), ['sas', 'arm'])
c.expect(13, 1, E('resource', key(st)), ['sas', 'arm'])

c = Case('equal-start-reset-and-exfiltration',
         'a vm password reset and a storage exfiltration from the same IP with the same start time: '
         'equal start times count as following, kind 10 scenario 3')
t = '2025-07-09T09:00:00.1575417Z'
vm = vmid('vm-db-06')
c.alert('reset', 'export', 'VM_VMAccessUnusualSSHReset', t, vm, [host('vm-db-06', vm), ip('192.0.2.90')],
        intent='CredentialAccess', chk=dict(plan='Servers', signals=['password_reset']))
c.alert('exfil', 'export', 'Storage.Files_DataExfiltration.AmountOfDataAnomaly', t, stid('stfileshareshr'),
        [ip('192.0.2.90')], intent='Exfiltration', severity='High', chk=dict(plan='Storage', signals=['exfiltration']))
c.file_order('exfil', 'reset')
c.autosort = True
c.expect(10, 3, E('ip', '192.0.2.90'), ['reset', 'exfil'])

# ================================================================ entity normalisation
c = Case('ip-loopback-link-local-not-entities',
         'an App Service alert and a Servers alert both name only 127.0.0.1, ::1, 169.254.169.254, '
         'fe80::1 and 0.0.0.0: none of them is an IP entity, so no kind 17 scenario 2')
t = '2025-07-10T09:00:00.8049557Z'
vm = vmid('vm-web-61')
bad = ['127.0.0.1', '::1', '169.254.169.254', 'fe80::1', '0.0.0.0']
c.alert('app', 'rest', 'AppServices_ScanSensitivePage', t, siteid('app-blog-prod'), [ip(x) for x in bad],
        intent='PreAttack', chk=dict(plan='AppService'))
c.alert('srv', 'rest', 'VM_SuspectConnection', add_t(t, minutes=30), vm, [host('vm-web-61', vm)] + [ip(x) for x in bad],
        intent='Execution', chk=dict(plan='Servers'))

# ================================================================ user rules
c = Case('rules-custom-kind',
         'a user rule file adds a kind: on one Cosmos DB account, exfiltration following an unusual '
         'location, one plan allowed; the built-in rules give nothing here (one plan)')
t = '2025-07-11T09:00:00.2125362Z'
cos = cosmosid('cosmos-loyalty-prod')
c.alert('geo', 'rest', 'CosmosDB_GeoAnomaly', t, cos, [ip('192.0.2.142', ('VN', 'Hanoi', 45899))], intent='InitialAccess',
        chk=dict(plan='CosmosDB', signals=['geo']))
c.alert('exfil', 'rest', 'CosmosDB_DataExfiltrationAnomaly', add_t(t, hours=1), cos, [ip('192.0.2.142')],
        intent='Exfiltration', severity='High', chk=dict(plan='CosmosDB', signals=['exfiltration']))
c.rules = '''version: 1
rules:
  - kind: cosmos-exfiltration-after-unusual-location
    title: Cosmos DB data exfiltration after access from an unusual location
    severity: Medium
    scenarios:
      - scenario: 1
        entity: resource
        following:
          first: {signal: geo}
          then: {signal: exfiltration, plan: CosmosDB}
        min_plans: 1
        description: >-
          Data was extracted from a Cosmos DB account after it was accessed from an unusual
          location.
'''
c.expect('cosmos-exfiltration-after-unusual-location', 1, E('resource', key(cos)), ['geo', 'exfil'],
         severity='Medium', why={'rule': 'cosmos-exfiltration-after-unusual-location/1'})

c = Case('rules-custom-window',
         'a user rule with a 2 h window: geo at 0 h, exfiltration at 3 h (gap > 2 h, new session), '
         'geo at 4 h, exfiltration at 5 h: one incident of the second session, whose first alert (the '
         '3 h exfiltration) joins as context')
t = '2025-07-12T09:00:00.1942867Z'
cos = cosmosid('cosmos-crm-prod')
c.alert('geo1', 'export', 'CosmosDB_GeoAnomaly', t, cos, [ip('192.0.2.143')], intent='InitialAccess', chk=dict(plan='CosmosDB'))
c.alert('exfil1', 'export', 'CosmosDB_DataExfiltrationAnomaly', add_t(t, hours=3), cos, [ip('192.0.2.143')],
        intent='Exfiltration', chk=dict(plan='CosmosDB'))
c.alert('geo2', 'export', 'CosmosDB_GeoAnomaly', add_t(t, hours=4), cos, [ip('192.0.2.144')], intent='InitialAccess',
        chk=dict(plan='CosmosDB'))
c.alert('exfil2', 'export', 'CosmosDB_DataExfiltrationAnomaly', add_t(t, hours=5), cos, [ip('192.0.2.144')],
        intent='Exfiltration', severity='High', chk=dict(plan='CosmosDB'))
c.rules = '''version: 1
window: 24h
rules:
  - kind: cosmos-exfiltration-after-unusual-location
    title: Cosmos DB data exfiltration after access from an unusual location
    severity: Medium/High
    scenarios:
      - scenario: 1
        entity: resource
        window: 2h
        following:
          first: {signal: geo}
          then: {signal: exfiltration}
        min_plans: 1
        description: >-
          Data was extracted from a Cosmos DB account after it was accessed from an unusual
          location.
'''
c.expect('cosmos-exfiltration-after-unusual-location', 1, E('resource', key(cos)), ['exfil1', 'geo2', 'exfil2'],
         severity='High',
         why={'links': [{'alert': 'exfil1', 'role': 'context'},
                        {'alert': 'geo2', 'role': 'rule', 'following': 'first'},
                        {'alert': 'exfil2', 'role': 'rule', 'following': 'then', 'after': 'geo2'}]})
