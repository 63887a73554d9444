#!/bin/sh
# A file that mixes good alerts with every kind of bad record: every good
# alert must come out, and every bad record must get exactly one clear
# "file:line: error: reason" line on stderr. TAP output.
set -u
corral="$1"
. "$(dirname "$0")/tap.sh"
in="$work/mixed.ndjson"

good() { # $1 = id, $2 = extra members
    printf '{"SystemAlertId":"%s","AlertType":"VM_CoinMiner","AlertDisplayName":"Digital currency mining related behavior detected","StartTimeUtc":"2026-11-01T10:00:00.0000000Z","Severity":"High","AzureResourceId":"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"%s}\n' "$1" "${2:-}"
}

{
    good good-1                                                          # line 1
    printf '{"SystemAlertId":"bad-json","AlertType": \n'                 # line 2: truncated JSON
    printf '{"id":"/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Security/locations/westeurope/alerts/good-2","name":"good-2","type":"Microsoft.Security/Locations/alerts","properties":{"systemAlertId":"good-2","alertType":"KV_UnusualAccess","alertDisplayName":"Unusual access","startTimeUtc":"2026-11-01T11:00:00Z","severity":"Medium","status":"Active"}}\n'   # line 3
    printf '{"SystemAlertId":"bad-utf8","AlertType":"VM_X\377\376","StartTimeUtc":"2026-11-01T10:00:00Z"}\n'   # line 4: invalid UTF-8
    printf '{"AlertType":"VM_CoinMiner","StartTimeUtc":"2026-11-01T10:00:00Z"}\n'                              # line 5: no id
    printf '{"TenantId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","SystemAlertId":"good-3","AlertName":"Suspicious login","AlertType":"SQL.DB_GeoAnomaly","StartTime":"2026-11-01T12:00:00Z","AlertSeverity":"High","Status":"New","Entities":"[{\\"$id\\":\\"1\\",\\"Address\\":\\"203.0.113.7\\",\\"Type\\":\\"ip\\"}]"}\n'   # line 6
    printf '%s\n' "$(head -c 100000 /dev/zero | tr '\0' '[')"                                              # line 7: absurd nesting
    printf '{"SystemAlertId":"big","Padding":"%s"}\n' "$(head -c 52428800 /dev/zero | tr '\0' A)"            # line 8: a 50 MB line
    good good-4                                                          # line 9
    good good-5 ',"Entities":[{"$id":"1","Address":"198.51.100.4","Type":"ip"},{"$ref":"99"}]'   # line 10: $ref to nowhere (warning)
    good ref-cycle ',"Entities":[{"$id":"1","ProcessId":"12","Type":"process","ParentProcess":{"$ref":"1"}}]'   # line 11: cycle
    printf '{"SystemAlertId":"bad-time","AlertType":"VM_CoinMiner","StartTimeUtc":"2026-13-45T99:00:00Z"}\n'   # line 12: impossible time
    good good-6                                                          # line 13
    printf '{"type":"Microsoft.Security/assessments","id":"/subscriptions/x/providers/Microsoft.Security/assessments/1","properties":{"status":{"code":"Healthy"}}}\n'   # line 14: not an alert
} >"$in"

"$corral" alerts "$in" >"$work/out" 2>"$work/err"
status=$?
ids=$(sed -n 's/^{"systemAlertId":"\([^"]*\)".*/\1/p' "$work/out" | tr '\n' ' ')
check "every good alert is printed, in order" '[ "$ids" = "good-1 good-2 good-3 good-4 good-5 good-6 " ]'
check "exit status 1 says records were rejected" '[ $status -eq 1 ]'
for line in 2 4 5 7 8 11 12; do
    check "line $line has one error line" '[ "$(grep -c "^$in:$line\(:[0-9]*\)\?: error: " "$work/err")" -eq 1 ]'
done
check "the dangling \$ref on line 10 is a warning, and its alert is kept" \
    'grep -q "^$in:10\(:[0-9]*\)\?: warning: .*99" "$work/err"'
check "exactly seven error lines" '[ "$(grep -c ": error: " "$work/err")" -eq 7 ]'
check "the 50 MB line is reported as too large" 'grep -q "^$in:8\(:[0-9]*\)\?: error: .*\(large\|limit\)" "$work/err"'
check "the nesting is reported as too deep" 'grep -q "^$in:7\(:[0-9]*\)\?: error: .*\(deep\|depth\|nesting\)" "$work/err"'
check "the UTF-8 fault is named" 'grep -qi "^$in:4\(:[0-9]*\)\?: error: .*utf-8" "$work/err"'
check "the missing id is named" 'grep -qi "^$in:5\(:[0-9]*\)\?: error: .*systemAlertId" "$work/err"'
check "the cycle is named" 'grep -qi "^$in:11\(:[0-9]*\)\?: error: .*cycle" "$work/err"'
check "the non-alert record is skipped silently" '! grep -q "^$in:14" "$work/err"'

# The same records as a JSON array: an element that is bad does not spoil its neighbours.
arr="$work/array.json"
{
    echo '['
    good arr-1 | tr -d '\n'; echo ','
    printf '{"SystemAlertId":"arr-bad","AlertType":"VM_X","StartTimeUtc":"not a time"},\n'
    good arr-2 | tr -d '\n'; echo
    echo ']'
} >"$arr"
"$corral" alerts "$arr" >"$work/out2" 2>"$work/err2"
status=$?
ids=$(sed -n 's/^{"systemAlertId":"\([^"]*\)".*/\1/p' "$work/out2" | tr '\n' ' ')
check "array: good elements around a bad one are printed" '[ "$ids" = "arr-1 arr-2 " ]'
check "array: the bad element is reported at its own line" 'grep -q "^$arr:3\(:[0-9]*\)\?: error: " "$work/err2"'
check "array: exit status 1" '[ $status -eq 1 ]'

echo "1..$n"
