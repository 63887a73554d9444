#!/bin/sh
# Arrival order, session cuts and shards on a generated corpus (thousands of alerts, busy
# entities, machine chains): the same alerts in any order give byte-identical incidents, with the
# default 7-day max_span and with spans of 1 and 2 days that cut many sessions and machine
# components; --stream ends in exactly the batch output; N shards together give one run's
# incidents. The tests/cases shuffle test does the same on small hand-made cases; this one is
# where sessions that never go quiet, cell boundaries and percolating machine ties meet. TAP.
set -u
corral="$1"
root="${CORRAL_SOURCE_ROOT:-.}"
build="${CORRAL_BUILD_ROOT:-$(dirname "$corral")}"
. "$(dirname "$0")/tap.sh"

gen="$build/bench/gen_alerts"
if [ -x "$gen" ]; then
    "$gen" --catalog "$root/data/defender-alert-catalog.tsv" --count 4000 --span-days 12 \
        --attacks 40 --scopes 4 --lifetime-days 2 --shape mixed --seed 23 \
        >"$work/in.ndjson" 2>/dev/null
else
    cp "$root/examples/alerts.ndjson" "$work/in.ndjson"
fi
# Three arrival orders: reversed and two shuffles (any order: lateness of a year).
python3 - "$work/in.ndjson" "$work" <<'PY'
import random, sys
lines = open(sys.argv[1], 'rb').read().splitlines(True)
open(sys.argv[2] + '/o1.ndjson', 'wb').writelines(lines[::-1])
for k in (2, 3):
    random.Random(k).shuffle(lines)
    open('%s/o%d.ndjson' % (sys.argv[2], k), 'wb').writelines(lines)
PY

for span in 7d 2d 1d; do
    "$corral" correlate -q --lateness 365d --max-span $span "$work/in.ndjson" >"$work/ref.$span"
    same=1
    for k in 1 2 3; do
        "$corral" correlate -q --lateness 365d --max-span $span "$work/o$k.ndjson" >"$work/o$k.$span"
        cmp -s "$work/ref.$span" "$work/o$k.$span" || same=0
    done
    check "max_span $span: $(wc -l <"$work/ref.$span") incidents, byte-identical in 4 orders" \
        '[ -s "$work/ref.$span" ] && [ $same -eq 1 ]'
done
check "shorter spans cut sessions: more incidents with 1d than with 7d" \
    '[ "$(wc -l <"$work/ref.1d")" -gt "$(wc -l <"$work/ref.7d")" ]'

for span in 7d 1d; do
    "$corral" correlate -q --stream --lateness 365d --max-span $span "$work/o2.ndjson" \
        >"$work/stream.$span"
    check "--stream, max_span $span, shuffled: final lines are the batch output, every update ends final or retracted" \
        "python3 - '$work/stream.$span' '$work/ref.$span' <<'PY'
import json, sys
last, finals = {}, []
for l in open(sys.argv[1]):
    d = json.loads(l)
    e = d['event']
    if e == 'update':
        last[d['id']] = d
    elif e == 'retract':
        assert d['id'] in last, ('retract of an id not open', d['id'])
        del last[d['id']]
    else:
        finals.append(l.replace(',\"event\":\"final\",\"version\":%d}' % d['version'], '}'))
        last.pop(d['id'], None)
assert not last, '%d incidents left open' % len(last)
assert finals == open(sys.argv[2]).read().splitlines(True), 'final lines differ from batch'
PY"
done

for k in 0 1 2; do
    "$corral" correlate -q --lateness 365d --shard $k/3 "$work/o3.ndjson" >"$work/shard$k"
done
cat "$work/shard0" "$work/shard1" "$work/shard2" | sort >"$work/shards.sorted"
sort "$work/ref.7d" >"$work/ref.sorted"
check "3 shards, shuffled input: together exactly one run's incidents, none empty" \
    '[ -s "$work/shard0" ] && [ -s "$work/shard1" ] && [ -s "$work/shard2" ] && cmp -s "$work/ref.sorted" "$work/shards.sorted"'

# Two tenants' exports, the second read after the first although its alerts are up to 4 days
# older: with one watermark most of them are too late; with --scope-lag each tenant keeps its own
# and the run finds exactly the incidents of two separate runs, still in (first activity, id) order.
if [ -x "$gen" ]; then
    for seed in 31 32; do
        "$gen" --catalog "$root/data/defender-alert-catalog.tsv" --count 3000 --span-days 4 \
            --attacks 30 --scopes 2 --lifetime-days 2 --shape mixed --seed $seed \
            >"$work/t$seed.ndjson" 2>/dev/null
        "$corral" correlate -q "$work/t$seed.ndjson" >"$work/t$seed.out"
    done
    cat "$work/t31.ndjson" "$work/t32.ndjson" >"$work/lagging.ndjson"
    sort "$work/t31.out" "$work/t32.out" >"$work/separate.sorted"
    "$corral" correlate -s -q "$work/lagging.ndjson" >/dev/null 2>"$work/onewm.err"
    check "one watermark: the lagging tenant's alerts are too late" \
        '[ "$(sed -n "s/^ *too late: *//p" "$work/onewm.err")" -gt 1000 ]'
    "$corral" correlate -s -q --scope-lag 5d "$work/lagging.ndjson" >"$work/lag.out" \
        2>"$work/lag.err"
    check "--scope-lag 5d: nothing too late, the incidents of two separate runs, in order" \
        "[ \"\$(sed -n 's/^ *too late: *//p' '$work/lag.err')\" -eq 0 ] &&
         sort '$work/lag.out' | cmp -s - '$work/separate.sorted' &&
         python3 -c \"import json,sys; k=[(json.loads(l)['firstActivityTimeUtc'], json.loads(l)['id']) for l in open(sys.argv[1])]; sys.exit(k != sorted(k) or not k)\" '$work/lag.out'"
    "$corral" correlate -q --stream --scope-lag 5d "$work/lagging.ndjson" >"$work/lag.stream"
    check "--scope-lag 5d --stream: the final lines are the batch output" \
        "grep '\"event\":\"final\"' '$work/lag.stream' | sed 's/,\"event\":\"final\",\"version\":[0-9]*}\$/}/' | cmp -s - '$work/lag.out'"
fi

echo "1..$n"
