from framework import *
from cases_pos import U, S, ALICE, BOB, IVAN, SP_DEPLOY, SP_BACKUP

XAVIER = ('xavier.mendes', '5b7d9f1a-3c5e-4a7b-9d1f-3a5c7e9b1d3f')

c = Case('chain-22-two-vms-shared-ip',
         'one IP brute-forces RDP on two vms; the second gets a registry persistence key and then '
         'scans RDP outwards: a chain over 2 vms tied by the IP with an outgoing alert, kind 22, '
         'entity the sorted vm keys')
t = '2025-07-13T03:10:00.2718281Z'
ve, vf = vmid('vm-sap-02', 'rg-sap-weu'), vmid('vm-sap-01', 'rg-sap-weu')
he, hf = host('vm-sap-02', ve, os='Windows'), host('vm-sap-01', vf, os='Windows')
c.alert('rdp2', 'sentinel', 'RDP_Incoming_BF_OneToOne', t, ve, [ip('198.51.100.160'), he], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('rdp1', 'sentinel', 'RDP_Incoming_BF_OneToOne', add_t(t, minutes=12), vf, [ip('198.51.100.160'), hf],
        intent='PreAttack', chk=dict(plan='Network', stages=[0]))
c.alert('reg1', 'sentinel', 'VM_RegistryPersistencyKey', add_t(t, hours=1, minutes=30), vf, [hf], intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))
c.alert('out1', 'sentinel', 'RDP_Outgoing_BF_OneToMany', add_t(t, hours=3), vf, [hf, ip('10.60.0.17')],
        intent='Discovery', chk=dict(plan='Network', signals=['brute_force', 'outgoing'], stages=[6]))
c.expect(22, 1, E('vm', key(vf) + ',' + key(ve)), ['rdp2', 'rdp1', 'reg1', 'out1'], severity='High')

c = Case('chain-vms-tied-by-domain',
         'SSH brute force and a download naming a domain on vm A, then a command line referencing '
         'the same domain on vm B: the domain ties the vms, one chain over both (kind 21) rather '
         'than a chain on vm A alone')
t = '2025-07-14T11:47:00.1414213Z'
va, vb = vmid('vm-etl-02', 'rg-data-weu'), vmid('vm-etl-01', 'rg-data-weu')
ha, hb = host('vm-etl-02', va), host('vm-etl-01', vb)
c.alert('bf', 'export', 'SSH_Incoming_BF_OneToOne', t, va, [ip('203.0.113.161'), ha], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('dl', 'export', 'VM_SuspectDownloadArtifacts', add_t(t, minutes=50), va,
        [ha, dns('update.kinsing-mirror.example')], intent='Persistence', chk=dict(plan='Servers', stages=[2]))
c.alert('cmd', 'export', 'VM_CommandlineSuspectDomain', add_t(t, hours=2, minutes=5), vb,
        [hb, dns('update.kinsing-mirror.example')], intent='Execution', chk=dict(plan='Servers', stages=[8]))
c.expect(21, 1, E('vm', key(vb) + ',' + key(va)), ['bf', 'dl', 'cmd'], severity='Medium')

c = Case('chain-vms-not-tied',
         'SSH brute force on one vm and an SSH key addition on another vm of the same resource group '
         'with no shared ip, domain, hash, process image or account: nothing ties them, each vm has '
         'one alert, no chain')
t = '2025-07-15T19:05:00.5772156Z'
vc, vd = vmid('vm-web-71'), vmid('vm-web-72')
c.alert('bf', 'rest', 'SSH_Incoming_BF_OneToOne', t, vc, [ip('203.0.113.162'), host('vm-web-71', vc)], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('key', 'rest', 'VM_SshKeyAddition', add_t(t, minutes=45), vd, [host('vm-web-72', vd)], name='New SSH key added',
        intent='Persistence', chk=dict(plan='Servers', stages=[2]))

c = Case('chain-cluster-alert-naming-host-is-on-the-vm',
         'a Containers alert on an Arc-enabled Kubernetes cluster that names the node host '
         '(Exploitation), then a Servers alert on that machine (Persistence): the cluster alert is '
         'on the vm too, so the chain is kind 21 on the machine')
t = '2025-07-16T07:30:00.1732050Z'
arc = arcid('edge-node-04')
cc = connid('edge-k3s-04')
c.alert('k8s', 'rest', 'K8S.NODE_ExploitAttempt', t, cc, [k8s_cluster(cc), host('edge-node-04', arc)],
        intent='Exploitation', chk=dict(plan='Containers', signals=['exploit'], stages=[1]))
c.alert('useradd', 'rest', 'VM_SuspectUserAddition', add_t(t, minutes=25), arc, [host('edge-node-04', arc)],
        intent='Persistence', chk=dict(plan='Servers', stages=[2]))
c.expect(21, 1, E('vm', key(arc)), ['k8s', 'useradd'], severity='Medium')

c = Case('neg-k12-service-principal-is-not-a-user',
         'a service principal fetches cluster credentials, then a cluster-admin binding on the same '
         'AKS cluster: kind 12 needs a user account, so no incident')
t = '2025-07-17T13:13:00.6931471Z'
aks = aksid('aks-prod-weu')
c.alert('arm', 'export', 'ARM_AnomalousServiceOperation.CredentialAccess', t, aks, [S(SP_DEPLOY)],
        intent='CredentialAccess', chk=dict(plan='ResourceManager', signals=['account']))
c.alert('k8s', 'export', 'K8S_ClusterAdminBinding', add_t(t, minutes=20), aks, [k8s_cluster(aks)], intent='Persistence',
        chk=dict(plan='Containers', signals=[]))

c = Case('rules-replace-built-in-kind',
         'a user rule file redefines suspicious-user-activity to accept one plan: two Resource '
         'Manager alerts of one user now form kind 1 (a rule whose kind is built in replaces it)')
t = '2025-07-18T16:20:00.3010299Z'
c.alert('a', 'rest', 'ARM_AnomalousOperation.Persistence', t, subid(), [U(XAVIER)], intent='Persistence',
        chk=dict(plan='ResourceManager', signals=['account']))
c.alert('b', 'rest', 'ARM_AnomalousOperation.PrivilegeEscalation', add_t(t, hours=2), subid(), [U(XAVIER)],
        intent='PrivilegeEscalation', chk=dict(plan='ResourceManager', signals=['account']))
c.rules = '''version: 1
rules:
  - kind: suspicious-user-activity
    number: 1
    title: Security incident detected suspicious user activity
    severity: High
    specificity: 0
    scenarios:
      - scenario: 1
        entity: user
        min_plans: 1
        description: >-
          Multiple alerts have been triggered by this user, from one Defender plan or more.
'''
c.expect(1, 1, E('user', XAVIER[1]), ['a', 'b'], severity='High', plans=['ResourceManager'])

c = Case('chain-largest-subset-must-have-two-plans',
         'on one vm, in time order: SSH key (Servers, Persistence), SSH brute force (Network, '
         'PreAttack), nohup (Servers, DefenseEvasion), suspicious activity (Servers, Execution): the '
         'largest ordered subset (2, 4, 8) has one plan only and is no chain; the largest that meets '
         'the rule is brute force, nohup, activity (kind 21), without the SSH key alert')
t = '2025-07-19T05:40:00.8414709Z'
vm = vmid('vm-web-58')
h = host('vm-web-58', vm)
c.alert('key', 'export', 'VM_SshKeyAddition', t, vm, [h], name='New SSH key added', intent='Persistence',
        chk=dict(plan='Servers', stages=[2]))
c.alert('bf', 'export', 'SSH_Incoming_BF_OneToOne', add_t(t, minutes=35), vm, [ip('198.51.100.123'), h], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('nohup', 'export', 'VM_SuspectNohup', add_t(t, hours=1, minutes=10), vm, [h], intent='DefenseEvasion',
        chk=dict(plan='Servers', stages=[4]))
c.alert('act', 'export', 'VM_SuspiciousActivity', add_t(t, hours=2), vm, [h], intent='Execution',
        chk=dict(plan='Servers', stages=[8]))
c.expect(21, 1, E('vm', key(vm)), ['bf', 'nohup', 'act'], severity='Medium')

c = Case('chain-tied-vm-without-staged-alerts',
         'a botnet chain on vm A (brute force, bot, C2); vm B is tied to it only by an unstaged alert '
         'naming the attacker IP: every chain member is on vm A, so the chain is on 1 vm, kind 18 '
         'with entity vm A (not kind 19)')
t = '2025-07-20T22:15:00.4142135Z'
va, vb = vmid('vm-web-81'), vmid('vm-web-80')
ha, hb = host('vm-web-81', va), host('vm-web-80', vb)
c.alert('bf', 'sentinel', 'SSH_Incoming_BF_OneToOne', t, va, [ip('203.0.113.163'), ha], intent='PreAttack',
        chk=dict(plan='Network', stages=[0]))
c.alert('conn', 'sentinel', 'VM_SuspectConnection', add_t(t, minutes=5), vb, [hb, ip('203.0.113.163')], intent='Unknown',
        chk=dict(plan='Servers', stages=[]))
c.alert('bot', 'sentinel', 'VM_CommonBot', add_t(t, hours=1), va, [ha], intent='Execution',
        chk=dict(plan='Servers', signals=['botnet'], stages=[8]))
c.alert('c2', 'sentinel', 'Network_CommunicationWithC2', add_t(t, hours=1, minutes=30), va, [ha, ip('203.0.113.70')],
        intent='CommandAndControl', chk=dict(plan='Network', signals=['botnet'], stages=[10]))
c.expect(18, 1, E('vm', key(va)), ['bf', 'bot', 'c2'], severity='Medium')
