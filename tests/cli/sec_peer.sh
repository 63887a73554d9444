#!/bin/sh
# The SEC peer of the correlate benchmark (bench/sec/user-activity.sec with
# bench/sec/UserActivity.pm) finds exactly the kind-1 groups of `corral correlate
# --no-builtin-rules --rules bench/sec/user-activity.yaml`, reading the same NDJSON: on the
# bundled sample, on the 7-day max_span case, and on alerts made here to hit each rule the Perl
# copies from corral (shapes, $ref, JSON-in-string columns, account keys, service principals,
# built-in names and SIDs, scope fall-backs, plan fall-backs, duplicates, late alerts, time
# offsets, the 24 h gap, rejected alerts). TAP output; skipped without sec or JSON::XS.
set -u
corral="$1"
root="${CORRAL_SOURCE_ROOT:-.}"
. "$(dirname "$0")/tap.sh"

if ! command -v sec >/dev/null 2>&1 || ! perl -MJSON::XS -e 1 2>/dev/null; then
    echo "1..0 # SKIP sec or JSON::XS (libjson-xs-perl) is not installed"
    exit 0
fi

# Alerts that exercise each rule, in arrival order; one user (or none) per scenario, 3 days apart.
python3 - "$work/edges.ndjson" <<'PY'
import datetime, json, sys
T0 = datetime.datetime(2025, 8, 1, tzinfo=datetime.timezone.utc)
ARM, STO, KV = "ARM_AnomalousOperation.Persistence", "Storage.Blob_ApplicationAnomaly", "Custom_X"
TENANT, SUB = "B7D3E1F4-8A2C-4E6B-9D0F-3C5A7E9B1D2F", "6C1F8A3E-4B2D-4F7A-9E5C-2D8B0A4F6C13"
RID = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1" % SUB
lines, n = [], [0]

def at(day, hours=0.0, fmt="%Y-%m-%dT%H:%M:%S.%fZ", tz=0):
    t = T0 + datetime.timedelta(days=day, hours=hours)
    return t.astimezone(datetime.timezone(datetime.timedelta(hours=tz))).strftime(fmt)

def aid():
    n[0] += 1
    return "edge_%03d" % n[0]

def rest(atype, start, entities, **extra):
    i = aid()
    props = {"alertType": atype, "systemAlertId": i, "startTimeUtc": start, "entities": entities,
             "alertDisplayName": "x", "resourceIdentifiers": [
                 {"type": "AzureResource", "azureResourceId": RID}]}
    props.update(extra)
    return {"id": "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Security/locations/"
                  "westeurope/alerts/%s" % (SUB, i), "name": i,
            "type": "Microsoft.Security/Locations/alerts", "properties": props}

def export(atype, start, entities, **extra):
    a = {"AlertType": atype, "SystemAlertId": aid(), "StartTimeUtc": start, "Entities": entities,
         "ResourceIdentifiers": [{"$id": "90", "AzureResourceId": RID, "Type": "AzureResource",
                                  "AzureResourceTenantId": TENANT}]}
    a.update(extra)
    return a

def sentinel(atype, start, entities, **extra):
    a = {"TenantId": TENANT, "SystemAlertId": aid(), "AlertType": atype, "StartTime": start,
         "Entities": json.dumps(entities), "ExtendedProperties": json.dumps({"k": "v"}),
         "ProductComponentName": ""}
    a.update(extra)
    return a

def acct(**f):
    return dict(f, Type="account")

def pair(make, day, e1, e2, t1=ARM, t2=STO, **extra):
    lines.append(make(t1, at(day), e1, **extra))
    lines.append(make(t2, at(day, 2), e2, **extra))

# 1 REST envelopes, lower camel-case entities (a group)
pair(rest, 0, [{"name": "ann", "upnSuffix": "contoso.com", "aadUserId": "a1", "type": "account"}],
     [{"name": "ann", "upnSuffix": "contoso.com", "aadUserId": "A1", "type": "account"}])
# 2 export: the account defined inside a process, then a bare $ref in the list (a group)
pair(export, 3, [{"$id": "4", "Type": "process", "ProcessId": "0x1",
                  "Account": {"$id": "5", "Name": "bob", "NTDomain": "CONTOSO", "Type": "account"}},
                 {"$ref": "5"}],
     [{"$id": "4", "Name": "Bob", "NTDomain": "contoso", "Sid": "S-1-5-21-1-2-3-1001",
       "Type": "account"}])
# 3 Sentinel: DOMAIN\name in Name (a group)
pair(sentinel, 6, [acct(Name="CONTOSO\\carol")], [acct(Name="carol", NTDomain="CONTOSO")])
# 4 Sentinel: name@suffix in Name, and a zero GUID that is no id (a group)
pair(sentinel, 9, [acct(Name="dave@Contoso.com")],
     [acct(Name="dave", UPNSuffix="contoso.com",
           AadUserId="00000000-0000-0000-0000-000000000000")])
# 5 service principals: an id alone, or said so (no group)
pair(export, 12, [acct(AadUserId="sp-1")], [acct(AadUserId="sp-1")])
pair(export, 15, [acct(Name="app", UPNSuffix="contoso.com", ObjectType="Service Principal")],
     [acct(Name="app", UPNSuffix="contoso.com", ObjectType="ServicePrincipal")])
# 6 built-in names and local domains (no group); Administrator of a domain (a group)
pair(export, 18, [acct(Name="NT AUTHORITY\\SYSTEM")],
     [acct(Name="SYSTEM", NTDomain="nt authority")])
pair(export, 19, [acct(Name="root", Sid="S-1-5-21-5-5-5-1000")],
     [acct(Name="ROOT", Sid="S-1-5-21-5-5-5-1000")])
pair(export, 21, [acct(Name="Administrator", NTDomain="FABRIKAM")],
     [acct(Name="fabrikam\\administrator")])
# 7 SIDs: well-known ones are no key (no group); a domain SID is (a group)
pair(export, 24, [acct(Sid="S-1-5-18")], [acct(Sid="s-1-5-18")])
pair(export, 25, [acct(Sid="S-1-5-32-544")], [acct(Sid="S-1-5-32-544")])
pair(export, 27, [acct(Sid="S-1-5-21-9-9-9-500")], [acct(Sid="s-1-5-21-9-9-9-500")])
# 8 keys in any case, ObjectGuid as the id (a group)
lines.append({"ALERTTYPE": ARM, "SYSTEMALERTID": aid(), "STARTTIMEUTC": at(30), "TENANTID": TENANT,
              "ENTITIES": [{"TYPE": "Account", "OBJECTGUID": "G-1", "NTDOMAIN": "X"}]})
lines.append({"alerttype": STO, "systemalertid": aid(), "starttime": at(30, 1),
              "tenantid": TENANT.lower(),
              "entities": [{"type": "ACCOUNT", "objectGuid": "g-1", "ntDomain": "x"}]})
# 9 a $ref to nothing reads as absent; the alert stays (a group)
pair(export, 33, [acct(Name="erin", NTDomain="C", Host={"$ref": "77"}), {"$ref": "78"}],
     [acct(Name="erin", NTDomain="C")])
# 10 a cycle of $ref rejects the alert (no group)
pair(export, 36, [{"$id": "4", "Name": "fay", "NTDomain": "C", "Type": "account",
                   "Host": {"$id": "5", "Type": "host", "HostName": "h", "Owner": {"$ref": "4"}}}],
     [acct(Name="fay", NTDomain="C")])
# 11 an ExtendedProperties string that is not JSON rejects the alert (no group)
pair(sentinel, 39, [acct(Name="gus", NTDomain="C")], [acct(Name="gus", NTDomain="C")],
     ExtendedProperties="{not json")
# 12 the same alert twice counts once (a group of 2)
lines.append(export(ARM, at(42), [acct(Name="hal", NTDomain="C")]))
lines.append(lines[-1])
lines.append(export(STO, at(42, 1), [acct(Name="hal", NTDomain="C")]))
# 13 an alert more than 24 h behind the newest is too late (no group); within 24 h it counts
lines.append(export(ARM, at(45), [acct(Name="ida", NTDomain="C")]))
lines.append(export(ARM, at(45, 30), []))
lines.append(export(STO, at(45, 1), [acct(Name="ida", NTDomain="C")]))
lines.append(export(ARM, at(48), [acct(Name="jon", NTDomain="C")]))
lines.append(export(ARM, at(48, 10), []))
lines.append(export(STO, at(48, 1), [acct(Name="jon", NTDomain="C")]))
# 14 times with offsets: exactly 24 h apart joins (a group); 24 h and 100 ns does not
lines.append(export(ARM, at(51, 0, "%Y-%m-%dT%H:%M:%S+02:00", 2), [acct(Name="kim", NTDomain="C")]))
lines.append(export(STO, at(52, 0, "%Y-%m-%dT%H:%M:%S.0000000Z"), [acct(Name="kim", NTDomain="C")]))
lines.append(export(ARM, at(54), [acct(Name="lou", NTDomain="C")]))
lines.append(export(STO, at(55, 0, "%Y-%m-%dT%H:%M:%S.0000001Z"), [acct(Name="lou", NTDomain="C")]))
# 15 plans: by productComponentName for an unknown type (a group); unknown plans do not count
pair(sentinel, 57, [acct(Name="mia", NTDomain="C")], [acct(Name="mia", NTDomain="C")],
     t2=KV, ProductComponentName="Key Vaults")
pair(sentinel, 60, [acct(Name="ned", NTDomain="C")], [acct(Name="ned", NTDomain="C")],
     t2="Custom_Y")
# 16 scope from the subscription of ids in any case: az CLI form and an envelope (a group)
lines.append({"id": "/SUBSCRIPTIONS/%s/providers/Microsoft.Security/alerts/x" % SUB,
              "alertType": ARM, "systemAlertId": aid(), "startTimeUtc": at(63),
              "entities": [{"name": "ola", "ntDomain": "C", "type": "account"}]})
lines.append(rest(STO, at(63, 1), [{"name": "ola", "ntDomain": "C", "type": "account"}],
                  resourceIdentifiers=[]))
# 17 a REST list and a JSON array on one line each (two groups)
pat = [{"name": "pat", "ntDomain": "C", "type": "account"}]
lines.append({"value": [rest(ARM, at(66), pat), rest(STO, at(66, 1), pat)]})
lines.append([export(ARM, at(69), [acct(Name="quin", NTDomain="C")]),
              export(STO, at(69, 1), [acct(Name="quin", NTDomain="C")])])
with open(sys.argv[1], "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
PY
# The alerts above that should form groups, per corral: scenarios 1-4, 6b, 7b, 8, 9, 12, 13b,
# 14a, 15a, 16, 17 (two).
expected_edges=15


# groups FILE KIND: corral's kind-1 incidents ("corral") or SEC's output ("sec") as sorted
# lines "scope user id,id,..." with ids sorted, on stdout.
groups() {
    python3 - "$1" "$2" <<'PY'
import json, re, sys
def dec(s):
    return "" if s == "-" else re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: chr(int(m.group(1), 16)), s)
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    if sys.argv[2] == "corral":
        d = json.loads(line)
        out.append((d["scope"], d["entity"]["key"], sorted(d["alerts"])))
    else:
        p = line.split()
        out.append((dec(p[0]), dec(p[1]), sorted(dec(i) for i in p[2].split(","))))
for scope, user, ids in sorted(out):
    print(json.dumps([scope, user, ids]))
PY
}

peer() { # $1 = name, $2 = input: corral and SEC groups into $work/$1.corral, $work/$1.sec
    "$corral" correlate -q --no-builtin-rules --rules "$root/bench/sec/user-activity.yaml" "$2" \
        >"$work/$1.out" 2>/dev/null
    groups "$work/$1.out" corral >"$work/$1.corral"
    CORRAL_SEC_DIR="$root/bench/sec" CORRAL_DATA_DIR="$root/data" \
        sec --conf="$root/bench/sec/user-activity.sec" --input="$2" --notail --intevents \
        --nodetach --nochildterm --log=/dev/null >"$work/$1.raw" 2>"$work/$1.err"
    sec_status=$?
    groups "$work/$1.raw" sec >"$work/$1.sec"
}

peer sample "$root/examples/alerts.ndjson"
check "sample: SEC exits 0 with nothing on stderr" \
    '[ $sec_status -eq 0 ] && [ ! -s "$work/sample.err" ]'
check "sample: SEC finds corral's kind-1 groups" \
    '[ -s "$work/sample.corral" ] && cmp -s "$work/sample.corral" "$work/sample.sec"'

peer span "$root/tests/cases/window-max-span-7d/input.ndjson"
check "7-day max_span: SEC finds corral's two groups" \
    '[ "$(wc -l <"$work/span.corral")" -eq 2 ] && cmp -s "$work/span.corral" "$work/span.sec"'

peer edges "$work/edges.ndjson"
check "edge cases: corral finds the $expected_edges groups the alerts were made for" \
    '[ "$(wc -l <"$work/edges.corral")" -eq $expected_edges ]'
check "edge cases: SEC finds the same groups" 'cmp -s "$work/edges.corral" "$work/edges.sec"'
cmp -s "$work/edges.corral" "$work/edges.sec" || diff "$work/edges.corral" "$work/edges.sec" >&2

export CORRAL_SEC_MAX_SPAN=0
peer nocap "$root/tests/cases/window-max-span-7d/input.ndjson"
unset CORRAL_SEC_MAX_SPAN
check "CORRAL_SEC_MAX_SPAN=0 lifts the cap: one group where corral finds two" \
    '[ "$(wc -l <"$work/nocap.sec")" -eq 1 ] && [ "$(wc -l <"$work/nocap.corral")" -eq 2 ]'

echo "1..$n"
