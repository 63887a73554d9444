"""Builders for realistic Defender for Cloud alerts in the three input shapes."""
import copy, json, os, random, uuid
from datetime import datetime, timedelta, timezone

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
TSV = os.path.join(ROOT, 'data', 'alert-types.tsv')
CATALOG = {}
for line in open(TSV):
    if line.startswith('#') or line.startswith('alert_type\t'):
        continue
    t, name, plan, sig, tac = line.rstrip('\n').split('\t')[:5]
    CATALOG.setdefault(t, []).append((name, plan, [] if sig == '-' else sig.split(','),
                                      [] if tac == '-' else tac.split(',')))

STAGE = {'PreAttack': 0, 'Probing': 0, 'Reconnaissance': 0, 'ResourceDevelopment': 0,
         'InitialAccess': 1, 'Exploitation': 1, 'Persistence': 2, 'PrivilegeEscalation': 3,
         'DefenseEvasion': 4, 'CredentialAccess': 5, 'Discovery': 6, 'LateralMovement': 7,
         'Execution': 8, 'Collection': 9, 'CommandAndControl': 10, 'Exfiltration': 11,
         'Impact': 12}

EPOCH = datetime(1, 1, 1)


def parse_t(s):
    # '2025-03-04T10:15:22.1234567Z' -> (datetime, extra 100ns digit)
    base, frac = s.rstrip('Z').split('.')
    dt = datetime.strptime(base, '%Y-%m-%dT%H:%M:%S')
    frac = (frac + '0000000')[:7]
    return dt, int(frac)


def ticks(s):
    dt, frac = parse_t(s)
    d = dt - EPOCH
    return d.days * 864000000000 + d.seconds * 10**7 + frac


def fmt_t(dt, frac7):
    return dt.strftime('%Y-%m-%dT%H:%M:%S') + '.%07dZ' % frac7


def add_t(s, **kw):
    dt, frac = parse_t(s)
    return fmt_t(dt + timedelta(**kw), frac)


class Ids:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def guid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def sysid(start, guid):
    return '%d_%s' % (3155378975999999999 - ticks(start), guid)


# ---------------------------------------------------------------- entities
# Entities are written in a neutral PascalCase form; nested entity objects that
# are the same Python object as a top-level entity become $ref in export and
# Sentinel shapes.

def account(name, upn=None, aad=None, nt=None, sid=None, tenant=None, oid=None, dns=None):
    e = {'Name': name}
    if nt is not None: e['NTDomain'] = nt
    if dns is not None: e['DnsDomain'] = dns
    if upn is not None: e['UPNSuffix'] = upn
    if sid is not None: e['Sid'] = sid
    if tenant is not None: e['AadTenantId'] = tenant
    if aad is not None: e['AadUserId'] = aad
    if oid is not None: e['ObjectGuid'] = oid
    e['Type'] = 'account'
    return e


def ip(addr, country=None, ti=False):
    e = {'Address': addr}
    if country:
        e['Location'] = {'CountryCode': country[0], 'City': country[1], 'Asn': country[2]}
    if ti:
        e['ThreatIntelligence'] = [{'ProviderName': 'Microsoft Threat Intelligence',
                                    'ThreatType': 'Botnet', 'Confidence': 0.9}]
    e['Type'] = 'ip'
    return e


def host(hostname, azure_id=None, os='Linux', oms=None, domain=None):
    e = {'HostName': hostname, 'NetBiosName': hostname.upper()}
    if domain: e['DnsDomain'] = domain
    if azure_id: e['AzureID'] = azure_id
    if oms: e['OMSAgentID'] = oms
    e['OSFamily'] = os
    e['Type'] = 'host'
    return e


def file(path, sha256=None):
    d, _, n = path.rpartition('/') if '/' in path else path.rpartition('\\')
    e = {'Directory': d, 'Name': n}
    if sha256:
        e['FileHashes'] = [{'Algorithm': 'SHA256', 'Value': sha256, 'Type': 'filehash'}]
    e['Type'] = 'file'
    return e


def process(pid, cmd, created, image=None, hostent=None, acct=None):
    e = {'ProcessId': pid, 'CommandLine': cmd, 'CreationTimeUtc': created}
    if image is not None: e['ImageFile'] = image
    if acct is not None: e['Account'] = acct
    if hostent is not None: e['Host'] = hostent
    e['Type'] = 'process'
    return e


def azres(rid):
    return {'ResourceId': rid, 'Type': 'azure-resource'}


def k8s_cluster(rid):
    return {'CloudResource': azres(rid), 'Type': 'K8s-cluster'}


def dns(domain, ips=()):
    return {'DomainName': domain, 'IpAdresses': list(ips), 'Type': 'dns'}


def blob_container(name, storage_rid):
    return {'Name': name, 'StorageResource': azres(storage_rid), 'Type': 'blob-container'}


# ---------------------------------------------------------------- shapes

def camel(k):
    special = {'UPNSuffix': 'upnSuffix', 'NTDomain': 'ntDomain', 'AadUserId': 'aadUserId',
               'AadTenantId': 'aadTenantId', 'AzureID': 'azureID', 'OMSAgentID': 'omsAgentID',
               'OSFamily': 'osFamily', 'NetBiosName': 'netBiosName', 'IpAdresses': 'ipAddresses',
               'Sid': 'sid', 'ObjectGuid': 'objectGuid'}
    if k in special:
        return special[k]
    return k[0].lower() + k[1:]


def rest_entities(ents):
    def conv(v):
        if isinstance(v, dict):
            return {camel(k): conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v
    return [conv(e) for e in ents]


def ref_entities(ents):
    """Json.NET style: every object with a Type gets a $id; later uses of the
    same (Python-identical) object become {"$ref": id}."""
    ids = {}
    counter = [3]  # 1, 2 are used by ResourceIdentifiers in real exports

    def conv(v):
        if isinstance(v, dict):
            if id(v) in ids:
                return {'$ref': ids[id(v)]}
            out = {}
            if 'Type' in v:
                counter[0] += 1
                ids[id(v)] = str(counter[0])
                out['$id'] = ids[id(v)]
            for k, x in v.items():
                out[k] = conv(x)
            return out
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v
    return [conv(e) for e in ents]


def sub_of(rid):
    parts = rid.split('/')
    return parts[2]


def rg_of(rid):
    parts = rid.split('/')
    return parts[4] if len(parts) > 4 else 'defaultresourcegroup-weu'


PRODUCT_COMPONENT = {'Servers': 'Servers', 'Storage': 'Storage', 'SQL': 'Databases',
                     'KeyVault': 'KeyVaults', 'ResourceManager': 'Arm', 'DNS': 'Dns',
                     'Containers': 'Containers', 'AppService': 'AppServices', 'APIs': 'Apis',
                     'CosmosDB': 'CosmosDbs', 'Network': 'Networking', 'AI': 'AI'}


def build(a, ids):
    """a: dict with shape, type, name, start, severity, intent, resource, entities,
    ext, status, tenant, desc."""
    shape = a['shape']
    start = a['start']
    end = a.get('end') or add_t(start, minutes=a.get('duration', 0))
    gen = add_t(end, minutes=3, seconds=17)
    guid = a.get('guid') or ids.guid()
    a['guid'] = guid
    sid = a.get('sysid') or sysid(start, guid)
    a['sysid'] = sid
    rid = a['resource']
    sub = sub_of(rid)
    rg = rg_of(rid)
    intent = a.get('intent')
    if isinstance(intent, list):
        intent_s = ','.join(intent)
    else:
        intent_s = intent
    plan = CATALOG[a['type']][0][1] if a['type'] in CATALOG else None
    desc = a.get('desc') or ('%s was detected on %s.' % (a['name'], rid.split('/')[-1]))
    ext = a.get('ext', {})
    compromised = a.get('compromised') or rid.split('/')[-1]
    ents = a.get('entities', [])
    ws = a.get('workspace', '8f3d2c1b-6a5e-4d7c-9b8a-0e1f2a3b4c5d')
    status = a.get('status', 'Active')
    uri = ('https://portal.azure.com/#blade/Microsoft_Azure_Security_AzureDefenderForData/AlertBlade/'
           'alertId/%s/subscriptionId/%s/resourceGroup/%s/referencedFrom/alertDeepLink/location/westeurope'
           % (sid, sub, rg))
    if shape in ('rest', 'azcli'):
        props = {
            'version': '2022-01-01',
            'alertType': a['type'],
            'systemAlertId': sid,
            'productComponentName': PRODUCT_COMPONENT.get(plan, 'Servers'),
            'alertDisplayName': a['name'],
            'description': desc,
            'severity': a['severity'],
            'intent': intent_s if intent_s is not None else 'Unknown',
            'startTimeUtc': start,
            'endTimeUtc': end,
            'resourceIdentifiers': [
                {'azureResourceId': rid, 'type': 'AzureResource'},
                {'workspaceId': ws, 'workspaceSubscriptionId': sub,
                 'workspaceResourceGroup': rg, 'agentId': a.get('agent', ids.guid()),
                 'type': 'LogAnalytics'}],
            'remediationSteps': ['Review the alert details and the affected resource.'],
            'vendorName': 'Microsoft',
            'status': {'New': 'Active'}.get(status, status),
            'extendedLinks': [],
            'alertUri': uri,
            'timeGeneratedUtc': gen,
            'productName': 'Microsoft Defender for Cloud',
            'processingEndTimeUtc': add_t(gen, seconds=1),
            'entities': rest_entities(ents),
            'isIncident': False,
            'correlationKey': None,
            'extendedProperties': ext,
            'compromisedEntity': compromised,
            'techniques': a.get('techniques', []),
            'subTechniques': [],
        }
        if 'tenant_rest' in a:
            props['resourceIdentifiers'][0]['azureResourceTenantId'] = a['tenant_rest']
        envid = ('/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Security/locations/'
                 'westeurope/alerts/%s' % (sub, rg, sid))
        if shape == 'rest':
            return {'id': envid, 'name': sid, 'type': 'Microsoft.Security/Locations/alerts',
                    'properties': props}
        out = {'id': envid, 'name': sid, 'type': 'Microsoft.Security/Locations/alerts'}
        out.update(props)
        return out
    tenant = a['tenant']
    if shape == 'export':
        return {
            'VendorName': 'Microsoft',
            'AlertType': a['type'],
            'ProductName': 'Microsoft Defender for Cloud',
            'StartTimeUtc': start,
            'EndTimeUtc': end,
            'TimeGenerated': gen,
            'ProcessingEndTime': add_t(gen, seconds=1),
            'Severity': a['severity'],
            'Status': {'Active': 'New'}.get(status, status),
            'ProviderAlertStatus': None,
            'ConfidenceLevel': None,
            'ConfidenceScore': None,
            'IsIncident': False,
            'SystemAlertId': sid,
            'CorrelationKey': None,
            'Intent': intent_s if intent_s is not None else 'Unknown',
            'AzureResourceId': rid,
            'WorkspaceId': ws,
            'WorkspaceSubscriptionId': sub,
            'WorkspaceResourceGroup': rg,
            'AgentId': None,
            'CompromisedEntity': compromised,
            'AlertDisplayName': a['name'],
            'Description': desc,
            'Entities': ref_entities(ents),
            'ExtendedLinks': [],
            'ResourceIdentifiers': [
                {'$id': '2', 'AzureResourceId': rid, 'Type': 'AzureResource',
                 'AzureResourceTenantId': tenant},
                {'$id': '3', 'AadTenantId': tenant, 'Type': 'AAD'}],
            'RemediationSteps': ['Review the alert details and the affected resource.'],
            'ExtendedProperties': ext,
            'AlertUri': uri,
        }
    if shape == 'sentinel':
        tac = intent_s if intent_s is not None else ''
        return {
            'TenantId': a.get('workspace_tenant', tenant),
            'TimeGenerated': gen,
            'DisplayName': a['name'],
            'AlertName': a['name'],
            'AlertSeverity': a['severity'],
            'Description': desc,
            'ProviderName': 'Azure Security Center',
            'VendorName': 'Microsoft',
            'VendorOriginalId': sid,
            'SystemAlertId': sid,
            'ResourceId': rid,
            'SourceComputerId': '',
            'AlertType': a['type'],
            'ConfidenceLevel': '',
            'ConfidenceScore': None,
            'IsIncident': False,
            'StartTime': start,
            'EndTime': end,
            'ProcessingEndTime': add_t(gen, seconds=1),
            'RemediationSteps': json.dumps(['Review the alert details and the affected resource.']),
            'ExtendedProperties': json.dumps(ext),
            'Entities': json.dumps(ref_entities(ents)),
            'SourceSystem': 'Detection',
            'WorkspaceSubscriptionId': sub,
            'WorkspaceResourceGroup': rg,
            'ExtendedLinks': '',
            'ProductName': 'Azure Security Center',
            'ProductComponentName': PRODUCT_COMPONENT.get(plan, 'Servers'),
            'AlertLink': uri,
            'Status': {'Active': 'New'}.get(status, status),
            'CompromisedEntity': compromised,
            'Tactics': tac,
            'Techniques': ','.join(a.get('techniques', [])),
            'SubTechniques': '',
            'Type': 'SecurityAlert',
        }
    raise ValueError(shape)
