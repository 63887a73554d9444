import json, os, sys, yaml
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *

CAT_ROWS = [l.rstrip('\n').split('\t') for l in open(os.path.join(ROOT, 'data', 'defender-alert-catalog.tsv'))][1:]
SEV = {}
for r in CAT_ROWS:
    SEV.setdefault((r[1], r[2]), r[4])
    SEV.setdefault((r[1], None), r[4])

T_CONTOSO = 'b7d3e1f4-8a2c-4e6b-9d0f-3c5a7e9b1d2f'
T_FABRIKAM = 'e2a4c6b8-1d3f-4a5c-8e7b-9f0d2c4a6e81'
SUB_PROD = '6c1f8a3e-4b2d-4f7a-9e5c-2d8b0a4f6c13'
SUB_DEV = 'a93e5b27-0c4d-4e8f-b1a6-7d2f9c3e5b04'
SUB_FAB = '1f4b7d0a-3e6c-4a9f-8b2d-5c7e0f3a9d16'


def prov(sub, rg, ns, typ, name):
    return '/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s' % (sub, rg, ns, typ, name)

def vmid(name, rg='rg-prod-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.Compute', 'virtualMachines', name)
def arcid(name, rg='rg-edge-sites', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.HybridCompute', 'machines', name)
def stid(name, rg='rg-data-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.Storage', 'storageAccounts', name)
def kvid(name, rg='rg-secrets-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.KeyVault', 'vaults', name)
def sqlid(server, db=None, rg='rg-sql-weu', sub=SUB_PROD):
    r = prov(sub, rg, 'Microsoft.Sql', 'servers', server)
    return r + '/databases/' + db if db else r
def cosmosid(name, rg='rg-data-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.DocumentDB', 'databaseAccounts', name)
def siteid(name, rg='rg-web-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.Web', 'sites', name)
def apimid(name, api=None, rg='rg-api-weu', sub=SUB_PROD):
    r = prov(sub, rg, 'Microsoft.ApiManagement', 'service', name)
    return r + '/apis/' + api if api else r
def aksid(name, rg='rg-aks-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.ContainerService', 'managedClusters', name)
def connid(name, rg='rg-edge-sites', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.Kubernetes', 'connectedClusters', name)
def pipid(name, rg='rg-net-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.Network', 'publicIPAddresses', name)
def aiid(name, rg='rg-ai-weu', sub=SUB_PROD):
    return prov(sub, rg, 'Microsoft.CognitiveServices', 'accounts', name)
def subid(sub=SUB_PROD):
    return '/subscriptions/' + sub

def key(rid):
    return rid.lower()

def user(name, aad, upn='contoso.com', tenant=T_CONTOSO):
    return account(name, upn=upn, aad=aad, tenant=tenant)

def sp(name, aad, tenant=T_CONTOSO):
    return account(name, aad=aad, tenant=tenant)


SLUG = {1: 'suspicious-user-activity', 2: 'suspicious-service-principal-activity',
        3: 'suspicious-crypto-mining-activity', 4: 'suspicious-key-vault-activity',
        5: 'suspicious-sas-activity', 6: 'anomalous-geographical-location-activity',
        7: 'suspicious-ip-activity', 8: 'suspicious-fileless-attack-activity',
        9: 'suspicious-ddos-activity', 10: 'suspicious-data-exfiltration-activity',
        11: 'suspicious-api-activity', 12: 'suspicious-kubernetes-cluster-activity',
        13: 'suspicious-storage-activity', 14: 'suspicious-azure-toolkit-activity',
        15: 'suspicious-dns-activity', 16: 'suspicious-sql-activity',
        17: 'suspicious-app-service-activity',
        18: 'compromised-machine-with-botnet-communication',
        19: 'compromised-machines-with-botnet-communication',
        20: 'compromised-machine-with-malicious-outgoing-activity',
        21: 'compromised-machines',
        22: 'compromised-machines-with-malicious-outgoing-activity',
        23: 'multiple-machines', 24: 'shared-process'}

ALL = []


class Case:
    def __init__(self, name, description, fmt='ndjson', args=None, partial=False):
        self.name = name
        self.description = description
        self.fmt = fmt          # ndjson | array | restlist
        self.args = args or []
        self.partial = partial
        self.alerts = {}        # label -> alert dict
        self.order = []         # file order of labels (a label may repeat: duplicates)
        self.expects = []
        self.absents = []
        self.rules = None
        self.ids = Ids('corral-case:' + name)
        self.notes = {}
        ALL.append(self)

    def alert(self, label, shape, type, start, resource, entities=(), intent=None,
              severity=None, name=None, tenant=T_CONTOSO, **kw):
        assert type in CATALOG, type
        if name is None:
            names = sorted({n for n, *_ in CATALOG[type]})
            assert len(names) == 1 and '%{' not in names[0], (type, names)
            name = names[0]
        if severity is None:
            s = SEV.get((type, name)) or SEV.get((type, None))
            severity = s.split('/')[0] if s and s != '-' else 'Medium'
        a = dict(shape=shape, type=type, name=name, start=start, resource=resource,
                 entities=list(entities), intent=intent, severity=severity, tenant=tenant)
        a.update(kw)
        a['label'] = label
        self.alerts[label] = a
        self.order.append(label)
        return a

    def dup(self, label, **changes):
        """The same alert again (same systemAlertId), with some fields changed."""
        a = dict(self.alerts[label])
        a.update(changes)
        a['label'] = label + '#dup'
        self.alerts[label + '#dup'] = a
        self.order.append(label + '#dup')

    def file_order(self, *labels):
        assert sorted(labels) == sorted(self.order), (labels, self.order)
        self.order = list(labels)

    def expect(self, kind, scenario, entity, alerts, **fields):
        self.expects.append(dict(kind=kind, scenario=scenario, entity=entity, alerts=alerts, **fields))

    def absent(self, **fields):
        self.absents.append(fields)


def E(t, k):
    return {'type': t, 'key': k}
