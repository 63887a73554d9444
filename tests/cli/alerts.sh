#!/bin/sh
# `corral alerts` on Microsoft's public samples: the fields a user checks,
# asserted on the real output. TAP output.
set -u
corral="$1"
root="${CORRAL_SOURCE_ROOT:-.}"
samples="$root/tests/data/samples"
. "$(dirname "$0")/tap.sh"

"$corral" alerts "$samples/GetAlertsSubscription_example.json" >"$work/rest" 2>"$work/rest.err"
status=$?
check "REST sample: exit status 0" '[ $status -eq 0 ]'
check "REST sample: no problems reported" '[ ! -s "$work/rest.err" ]'

# One python3 call per assertion set; it prints nothing and exits 1 on a mismatch.
check "REST sample: VM_EICAR plan, scope, ip and vm" "python3 - '$work/rest' <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
assert len(alerts) == 2, len(alerts)
a = next(a for a in alerts if a['alertType'] == 'VM_EICAR')
assert a['plan'] == 'Servers', a['plan']
assert a['scope'] == '20ff7fc3-e762-44dd-bd96-b71116dcdc23', a['scope']
ents = {(e['type'], e['key']) for e in a['entities']}
vm = '/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourcegroups/myrg1/providers/microsoft.compute/virtualmachines/vm1'
assert ('ip', '192.0.2.1') in ents, ents
assert ('vm', vm) in ents, ents
assert ('resource', vm) in ents, ents
assert a['severity'] == 'High' and a['status'] == 'Active'
assert a['tactics'] == ['Execution'] and a['stages'] == [8], (a['tactics'], a['stages'])
assert a['startTimeUtc'] == '2020-02-22T00:00:00.0000000Z', a['startTimeUtc']
assert a['shape'] == 'rest'
PY"

"$corral" alerts "$samples/test-alert.log" >"$work/export" 2>"$work/export.err"
status=$?
check "export sample: warnings only, exit status 0" '[ $status -eq 0 ] && ! grep -q ": error: " "$work/export.err"'
check "export sample: the alert and its \$ref-resolved entities" "python3 - '$work/export' <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
assert len(alerts) == 1, len(alerts)
a = alerts[0]
assert a['systemAlertId'] == '2517184898549829577_cdcf9f94-ec53-47a6-ab87-76130f87218d'
assert a['shape'] == 'export'
assert a['scope'] == 'aa40685b-417d-4664-b4ec-8f7640719adb', a['scope']
assert a['plan'] == 'ResourceManager', a['plan']
ents = {(e['type'], e['key']) for e in a['entities']}
vm = '/subscriptions/12cabcb4-86e8-404f-a3d2-1dc9982f45ca/resourcegroups/sample-rg/providers/microsoft.compute/virtualmachines/sample-vm'
for want in [('ip', '81.2.69.142'), ('vm', vm), ('resource', vm), ('domain', 'sample.domain'),
             ('user', 'sample-vm\\\\sample-account'), ('user', 'sample@contoso.com'),
             ('filehash', 'md5:sample-sha')]:
    assert want in ents, (want, sorted(ents))
# The process whose Host is a \$ref to the host entity gets that vm in its S1 key.
assert any(t == 'process' and k.startswith(vm + '|') for t, k in ents), sorted(ents)
assert 'account' in a['signals'], a['signals']
PY"
check "export sample: the dangling \$ref is a warning naming it" 'grep -q "test-alert.log:5\(:[0-9]*\)\?: warning: .*\"4\"" "$work/export.err"'

"$corral" alerts "$samples/GetAllIncidentAlerts.json" "$samples/GetIncidentById.json" >"$work/sentinel" 2>"$work/sentinel.err"
status=$?
check "Sentinel API samples: one alert, the incident skipped, exit 0" '[ $status -eq 0 ] && [ "$(wc -l <"$work/sentinel")" -eq 1 ]'
check "Sentinel API sample: scope from the workspace subscription, New is Active" "python3 - '$work/sentinel' <<'PY'
import json, sys
a = json.loads(open(sys.argv[1]).readline())
assert a['systemAlertId'] == 'baa8a239-6fde-4ab7-a093-d09f7b75c58c'
assert a['scope'] == 'bd794837-4d29-4647-9105-6339bfdb4e6a', a['scope']
assert a['status'] == 'Active' and a['severity'] == 'Low'
PY"

# Standard input, and the same alert read three ways gives the same normalized alert.
line5=$(sed -n 5p "$samples/test-alert.log")
printf '%s\n' "$line5" | "$corral" alerts >"$work/stdin" 2>/dev/null
check "stdin: the export alert decodes the same as from the file" \
    '[ "$(sed "s/,\"source\":.*//" "$work/stdin")" = "$(sed "s/,\"source\":.*//" "$work/export")" ]'
printf '[%s]\n' "$line5" | "$corral" alerts >"$work/arr" 2>/dev/null
check "array: the same alert in a JSON array decodes the same" \
    '[ "$(sed "s/,\"source\":.*//" "$work/arr")" = "$(sed "s/,\"source\":.*//" "$work/export")" ]'

check "--help documents the exit status" '"$corral" alerts --help | grep -q "Exit status"'
check "--version prints the version" '"$corral" --version | grep -q "^corral [0-9]"'
"$corral" alerts "$work/does-not-exist" >/dev/null 2>"$work/nofile.err"
status=$?
check "a missing file is exit status 2 with its name" '[ $status -eq 2 ] && grep -q "does-not-exist" "$work/nofile.err"'
"$corral" nonsense >/dev/null 2>&1
status=$?
check "an unknown command is exit status 2" '[ $status -eq 2 ]'
"$corral" catalog lookup Storage.Blob_TorAnomaly >"$work/lookup"
check "catalog lookup: Tor anomaly is a known Storage alert with geo" \
    'grep -q "^plan: *Storage" "$work/lookup" && grep -q "^signals:.* geo" "$work/lookup" && grep -q "^known: *yes" "$work/lookup"'
"$corral" catalog build "$root/data/defender-alert-catalog.tsv" >"$work/types.tsv"
check "catalog build reproduces the shipped table" 'cmp -s "$work/types.tsv" "$root/data/alert-types.tsv"'

echo "1..$n"
