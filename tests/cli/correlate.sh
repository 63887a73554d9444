#!/bin/sh
# `corral correlate`, `explain` and `rules` end to end on the bundled sample
# (examples/alerts.ndjson): stream and batch agree, every format is valid,
# explain finds what correlate wrote, bad rules files are refused. TAP output.
set -u
corral="$1"
root="${CORRAL_SOURCE_ROOT:-.}"
sample="$root/examples/alerts.ndjson"
. "$(dirname "$0")/tap.sh"

"$corral" correlate "$sample" >"$work/batch" 2>"$work/batch.err"
status=$?
check "sample: exit status 0, nothing on stderr" '[ $status -eq 0 ] && [ ! -s "$work/batch.err" ]'
check "sample: the attacks are found, sorted, each with its why" "python3 - '$work/batch' <<'PY'
import json, sys
incs = [json.loads(l) for l in open(sys.argv[1])]
kinds = sorted(i['kind'] for i in incs)
assert len(incs) == 11, kinds
for want in ['compromised-machine-with-botnet-communication', 'suspicious-kubernetes-cluster-activity',
             'suspicious-azure-toolkit-activity', 'suspicious-key-vault-activity', 'suspicious-sql-activity']:
    assert want in kinds, (want, kinds)
keys = [(i['firstActivityTimeUtc'], i['id']) for i in incs]
assert keys == sorted(keys), 'not sorted by first activity, then id'
for i in incs:
    assert len(i['why']['links']) == len(i['alerts'])
    assert [l['alert'] for l in i['why']['links']] == i['alerts']
    assert any(l['role'] == 'rule' for l in i['why']['links'])
    assert len(set(i['plans'])) >= 2 or i['kind'] == 'suspicious-api-activity'
    order = ['user', 'service_principal', 'ip', 'resource', 'vm', 'cluster', 'process',
             'process_image', 'domain', 'filehash', 'url']
    ents = [(order.index(e['type']), e['key'].encode()) for e in i['entities']]
    assert ents == sorted(set(ents)), 'entities not distinct and sorted by (type, key)'
PY"

"$corral" correlate --stream "$sample" >"$work/stream" 2>/dev/null
check "--stream: the final lines are exactly the batch output" \
    '[ "$(grep "\"event\":\"final\"" "$work/stream" | sed "s/,\"event\":\"final\",\"version\":[0-9]*}\$/}/")" = "$(cat "$work/batch")" ]'
check "--stream: every reported incident ends final or retracted; versions count up" "python3 - '$work/stream' <<'PY'
import json, sys
state, version, retracts = {}, {}, 0
for l in open(sys.argv[1]):
    d = json.loads(l)
    i, e = d['id'], d['event']
    assert state.get(i) != 'final', ('event after final', i, e)
    if e == 'update':
        assert d['version'] == version.get(i, 0) + 1, (i, d['version'])
        version[i] = d['version']
    elif e == 'final':
        assert d['version'] == max(version.get(i, 1), 1), (i, d['version'])
    else:
        assert e == 'retract' and state.get(i) == 'update', (i, state.get(i))
        version.pop(i, None)
        retracts += 1
    state[i] = e
assert retracts > 0, 'the sample has suppressed incidents: they must be retracted'
assert 'update' not in state.values(), 'an incident was left open'
PY"

"$corral" correlate --format defender "$sample" >"$work/defender"
check "--format defender: alert-shaped incidents with isIncident" "python3 - '$work/defender' <<'PY'
import json, sys
incs = [json.loads(l) for l in open(sys.argv[1])]
assert len(incs) == 11
for i in incs:
    assert i['isIncident'] is True and i['alertDisplayName'].startswith('Security incident')
    assert i['correlationKey'] == i['systemAlertId']
    assert all(e['type'] == 'SecurityAlert' for e in i['entities'])
PY"

id=$(head -n 1 "$work/batch" | sed 's/^{"id":"\([^"]*\)".*/\1/')
"$corral" explain "$id" "$sample" >"$work/explain"
status=$?
check "explain: finds the incident by id and tells its members" \
    '[ $status -eq 0 ] && grep -q "^Incident $id" "$work/explain" && grep -q "member alerts:" "$work/explain"'
"$corral" explain 00000000-nope "$sample" >/dev/null 2>&1
status=$?
check "explain: an unknown id is exit status 1" '[ $status -eq 1 ]'

"$corral" correlate --stats "$sample" >/dev/null 2>"$work/stats"
check "--stats: alerts read, skipped by reason, incidents by kind" \
    'grep -q "^alerts read: *400" "$work/stats" && grep -q "too late" "$work/stats" && grep -q "compromised-machine-with-botnet-communication *2" "$work/stats"'

printf 'version: 1\nrules:\n  - kind: Bad Kind\n    title: x\n    severity: Extreme\n' >"$work/bad.yaml"
"$corral" rules check "$work/bad.yaml" >/dev/null 2>"$work/rules.err"
status=$?
check "rules check: a bad file is exit 1 with every error at its line:col" \
    '[ $status -eq 1 ] && [ "$(grep -c "^$work/bad.yaml:[0-9]*:[0-9]*: " "$work/rules.err")" -ge 3 ]'
"$corral" correlate --rules "$work/bad.yaml" "$sample" >/dev/null 2>&1
status=$?
check "correlate refuses a bad rules file (exit 2)" '[ $status -eq 2 ]'
"$corral" rules check "$root/data/rules.yaml" >"$work/ok"
status=$?
check "rules check: the built-in rules are valid" '[ $status -eq 0 ] && grep -q "24 rules OK" "$work/ok"'
check "rules list: the 24 kinds" '[ "$("$corral" rules list | grep -cE "^ ?[0-9]+ ")" -eq 24 ]'
check "rules list: the maximum span" '"$corral" rules list | grep -q "at most 7d from its first alert"'

# Same sample, lines in reverse order: within the lateness, the same output byte for byte.
tac "$sample" >"$work/reversed"
"$corral" correlate --lateness 60d "$work/reversed" >"$work/rev.out" 2>/dev/null
"$corral" correlate --lateness 60d "$sample" >"$work/fwd.out" 2>/dev/null
check "arrival order does not matter (reversed input, 60d lateness)" 'cmp -s "$work/rev.out" "$work/fwd.out"'

# Sharding: scopes never meet, so three shards together give exactly the incidents of one run.
for i in 0 1 2; do
    "$corral" correlate --shard "$i/3" "$sample" >"$work/shard$i" 2>/dev/null
done
check "--shard: three shards give the same incidents as one run, none twice" \
    '[ "$(cat "$work/shard0" "$work/shard1" "$work/shard2" | sort)" = "$(sort "$work/batch")" ] && [ -s "$work/shard0" ] && [ -s "$work/shard1" ]'
"$corral" correlate --shard 3/3 "$sample" >/dev/null 2>&1
status=$?
check "--shard: a shard outside 0..N-1 is a usage error" '[ $status -eq 2 ]'

echo "1..$n"
