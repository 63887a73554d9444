#!/usr/bin/env python3
"""End-to-end correlation cases (suricata-verify style), TAP output.

Usage: tests/cases/run.py CORRAL_BINARY [CASE...]

Each folder of tests/cases/ that holds a test.yaml is a case:

  input.ndjson | input.json   the alerts (NDJSON, a JSON array, a REST list or one object)
  rules.yaml                  optional: a user rule file, passed as --rules rules.yaml
  test.yaml                   what `corral correlate` must write:

    description: one line
    args: [--window, 2h]        # optional extra arguments for `corral correlate`
    partial: true               # optional: incidents not listed under expect are allowed
    expect:                     # the incidents; every one of them unless partial
      - kind: suspicious-crypto-mining-activity
        scenario: 2
        entity: {type: vm, key: /subscriptions/.../virtualmachines/vm1}
        alerts: [<systemAlertId>, ...]   # exact member list, in order
        severity: High                   # any further output field
    absent:                     # optional: no incident may match any of these
      - {kind: suspicious-user-activity}

  `expect: []` means no incident at all. A test.yaml with `absent` and no `expect`
  allows any other incident.

Matching: an expected incident matches an output incident when every field it lists
matches: a mapping matches when each key it lists matches (keys it does not list are
not checked, so `why: {rule: x/1}` checks only why.rule); a list matches when it has the
same length and each element matches in order (so `alerts` is the exact member list);
anything else must be equal. Each output incident matches at most one expected one.

Per case, two TAP lines:

  1. `corral correlate [--rules rules.yaml] [args] input.*`, run in the case folder:
     exit status 0, NDJSON output, incidents as expected; and every incident keeps the
     output contract (check_invariants: all fields present, GUID id, plans/tactics
     distinct and sorted, entities distinct and sorted by key within a type, one why
     link per member in member order, role rule or context, 7-digit UTC times, the
     output sorted by (firstActivityTimeUtc, id), no id or incident twice).
  2. The shuffle test: the input in 20 random orders (random.Random(case name): NDJSON
     lines, JSON array elements, or the `value` elements of a REST list are shuffled)
     plus the reversed order must give byte-identical output to the input's own order.
     These runs add LATENESS_ARGS (`--lateness 365d`, the longest duration corral
     accepts) so that no reordered alert is counted as too late and dropped: with the
     default allowed lateness (24 h) an alert that arrives after one more than 24 h newer
     would be, and the output would rightly differ. The cases' own runs (1.) use the
     default lateness, so their inputs keep every alert within 24 h of the newest one
     before it, even where they are not in time order. Every shuffle run sees the same
     file name (input.* in a fresh temporary folder), so nothing in the output can
     depend on where the input came from.

Every corral run has a TIMEOUT-second limit, so a hang fails instead of blocking.
When CORRAL_DATA_DIR is not set, it is set to the source tree's data/ (found from this
script's location), so the binary under test uses the catalog and built-in rules of
the tree being tested. Exit status: 0 when every test passed, 1 otherwise.
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

TIMEOUT = 10
SHUFFLES = 20
LATENESS_ARGS = ['--lateness', '365d']  # 365d: the longest duration corral accepts
CASE_KEYS = {'description', 'args', 'partial', 'expect', 'absent'}
HERE = os.path.dirname(os.path.abspath(__file__))


class CaseError(Exception):
    """The case itself is malformed (test.yaml, input)."""


def tap_text(s):
    # '#' starts a TAP directive; keep descriptions on one line.
    return ' '.join(str(s).replace('#', 'no.').split())


def load_case(path):
    with open(os.path.join(path, 'test.yaml'), encoding='utf-8') as f:
        spec = yaml.safe_load(f)
    if not isinstance(spec, dict):
        raise CaseError('test.yaml is not a mapping')
    unknown = set(spec) - CASE_KEYS
    if unknown:
        raise CaseError('test.yaml: unknown keys %s' % sorted(unknown))
    if 'expect' not in spec and 'absent' not in spec:
        raise CaseError('test.yaml: needs expect or absent')
    for k in ('expect', 'absent'):
        v = spec.get(k, [])
        if not isinstance(v, list) or not all(isinstance(e, dict) for e in v):
            raise CaseError('test.yaml: %s must be a list of mappings' % k)
    args = spec.get('args', [])
    if not isinstance(args, list):
        raise CaseError('test.yaml: args must be a list')
    spec['args'] = [str(a) for a in args]
    inputs = [n for n in ('input.ndjson', 'input.json') if os.path.exists(os.path.join(path, n))]
    if len(inputs) != 1:
        raise CaseError('need exactly one of input.ndjson, input.json (found %s)' % inputs)
    spec['input'] = inputs[0]
    spec['rules'] = os.path.exists(os.path.join(path, 'rules.yaml'))
    spec.setdefault('description', '')
    return spec


def command(corral, spec, extra=()):
    cmd = [corral, 'correlate']
    if spec['rules']:
        cmd += ['--rules', 'rules.yaml']
    return cmd + list(spec['args']) + list(extra) + [spec['input']]


def run(cmd, cwd):
    """(exit status or None on timeout, stdout bytes, stderr text)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b'', (e.stderr or b'').decode('utf-8', 'replace')
    except OSError as e:
        return 127, b'', str(e)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


def parse_ndjson(out):
    incidents = []
    for n, line in enumerate(out.decode('utf-8', 'replace').splitlines(), 1):
        if not line.strip():
            continue
        try:
            v = json.loads(line)
        except ValueError as e:
            raise ValueError('output line %d is not JSON (%s): %s' % (n, e, line[:200]))
        if not isinstance(v, dict):
            raise ValueError('output line %d is not a JSON object: %s' % (n, line[:200]))
        incidents.append(v)
    return incidents


def matches(exp, act):
    if isinstance(exp, dict):
        return isinstance(act, dict) and all(k in act and matches(v, act[k]) for k, v in exp.items())
    if isinstance(exp, list):
        return (isinstance(act, list) and len(exp) == len(act)
                and all(matches(e, a) for e, a in zip(exp, act)))
    if isinstance(exp, bool) or isinstance(act, bool):
        return type(exp) is type(act) and exp == act
    return exp == act


def assign(expected, actual):
    """Map each expected incident to a distinct matching actual one (backtracking).
    Returns {expected index: actual index} for the largest assignment found."""
    cand = [[j for j, a in enumerate(actual) if matches(e, a)] for e in expected]
    best = {}

    def go(i, used, cur):
        nonlocal best
        if len(cur) + (len(expected) - i) <= len(best):
            return
        if i == len(expected):
            best = dict(cur)
            return
        for j in cand[i]:
            if j not in used:
                used.add(j)
                cur[i] = j
                go(i + 1, used, cur)
                del cur[i]
                used.discard(j)
                if len(best) == len(expected):
                    return
        go(i + 1, used, cur)

    go(0, set(), {})
    return best


def show(v):
    return json.dumps(v, ensure_ascii=False, sort_keys=False)


def summary(inc):
    ent = inc.get('entity') or {}
    return '%s/%s %s %s alerts=%s' % (inc.get('kind'), inc.get('scenario'), ent.get('type'),
                                      ent.get('key'), show(inc.get('alerts')))


def field_diff(exp, act, path=''):
    """Readable lines for the fields of exp that act does not match."""
    lines = []
    if isinstance(exp, dict) and isinstance(act, dict):
        for k, v in exp.items():
            p = path + '.' + k if path else k
            if k not in act:
                lines.append('%s: expected %s, missing' % (p, show(v)))
            elif not matches(v, act[k]):
                if isinstance(v, dict) and isinstance(act[k], dict):
                    lines += field_diff(v, act[k], p)
                elif (k != 'alerts' and isinstance(v, list) and isinstance(act[k], list)
                      and len(v) == len(act[k])):
                    for i, (ev, av) in enumerate(zip(v, act[k])):
                        if not matches(ev, av):
                            lines += field_diff(ev, av, '%s[%d]' % (p, i))
                elif k == 'alerts' and isinstance(v, list) and isinstance(act[k], list):
                    lines.append('%s: expected %d alerts, got %d' % (p, len(v), len(act[k])))
                    for x in v:
                        if x not in act[k]:
                            lines.append('  missing  %s' % show(x))
                    for x in act[k]:
                        if x not in v:
                            lines.append('  extra    %s' % show(x))
                    if sorted(map(str, v)) == sorted(map(str, act[k])):
                        lines.append('  same alerts, other order: got %s' % show(act[k]))
                else:
                    lines.append('%s:' % p)
                    lines.append('  expected %s' % show(v))
                    lines.append('  actual   %s' % show(act[k]))
        return lines
    return ['%s:' % (path or 'value'), '  expected %s' % show(exp), '  actual   %s' % show(act)]


def check_expectations(spec, incidents):
    """List of diagnostic lines; empty when the output is as expected."""
    expected = spec.get('expect', [])
    absent = spec.get('absent', [])
    partial = bool(spec.get('partial', 'expect' not in spec))
    diag = []
    got = assign(expected, incidents)
    used = set(got.values())
    for i, e in enumerate(expected):
        if i in got:
            continue
        diag.append('expected incident %d not found: %s' % (i + 1, summary(e)))
        same_kind = [j for j, a in enumerate(incidents) if j not in used
                     and a.get('kind') == e.get('kind')
                     and ('scenario' not in e or a.get('scenario') == e.get('scenario'))]
        pool = same_kind or [j for j, a in enumerate(incidents) if j not in used
                             and a.get('kind') == e.get('kind')]
        if pool:
            j = min(pool, key=lambda j: len(field_diff(e, incidents[j])))
            diag.append('  closest output incident: %s' % summary(incidents[j]))
            diag += ['    ' + l for l in field_diff(e, incidents[j])]
        else:
            diag.append('  no output incident of kind %s' % e.get('kind'))
    if not partial:
        for j, a in enumerate(incidents):
            if j not in used:
                diag.append('unexpected incident: %s' % summary(a))
    for pat in absent:
        for a in incidents:
            if matches(pat, a):
                diag.append('incident that must be absent (%s): %s' % (show(pat), summary(a)))
    if diag:
        diag.append('output incidents (%d):' % len(incidents))
        diag += ['  ' + summary(a) for a in incidents] or ['  (none)']
    return diag


REQUIRED = ('id', 'kind', 'scenario', 'displayName', 'description', 'severity', 'status', 'scope',
            'entity', 'alerts', 'plans', 'tactics', 'firstActivityTimeUtc', 'lastActivityTimeUtc',
            'entities', 'why')
GUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
TIME = re.compile(r'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7}Z$')


def check_invariants(incidents):
    """What every incident of every case must satisfy (incidents.md "Canonical output",
    formats.md and docs/output.md): the fields, sorted plans/tactics/entities, one why link
    per member in member order, GUID ids, 7-digit UTC times, output sorted by
    (firstActivityTimeUtc, id), no incident twice."""
    diag = []
    for n, inc in enumerate(incidents, 1):
        where = 'incident %d (%s/%s)' % (n, inc.get('kind'), inc.get('scenario'))
        missing = [k for k in REQUIRED if k not in inc]
        if missing:
            diag.append('%s: missing fields %s' % (where, missing))
            continue
        if not isinstance(inc['id'], str) or not GUID.match(inc['id']):
            diag.append('%s: id %s is not a GUID' % (where, show(inc['id'])))
        if inc['severity'] not in ('High', 'Medium'):
            diag.append('%s: severity %s' % (where, show(inc['severity'])))
        for k in ('plans', 'tactics'):
            v = inc[k]
            if not isinstance(v, list) or v != sorted(set(v)):
                diag.append('%s: %s not distinct and sorted: %s' % (where, k, show(v)))
        for k in ('firstActivityTimeUtc', 'lastActivityTimeUtc'):
            if not isinstance(inc[k], str) or not TIME.match(inc[k]):
                diag.append('%s: %s %s is not yyyy-mm-ddThh:mm:ss.fffffffZ' % (where, k, show(inc[k])))
        if str(inc['firstActivityTimeUtc']) > str(inc['lastActivityTimeUtc']):
            diag.append('%s: firstActivityTimeUtc after lastActivityTimeUtc' % where)
        alerts = inc['alerts']
        if not isinstance(alerts, list) or not alerts or len(set(map(str, alerts))) != len(alerts):
            diag.append('%s: alerts must be a non-empty list of distinct ids: %s' % (where, show(alerts)))
        ents = inc['entities']
        if not isinstance(ents, list) or not all(isinstance(e, dict) for e in ents):
            diag.append('%s: entities is not a list of objects' % where)
        else:
            pairs = [(str(e.get('type')), str(e.get('key'))) for e in ents]
            if len(set(pairs)) != len(pairs):
                diag.append('%s: entities not distinct' % where)
            for a, b in zip(pairs, pairs[1:]):
                if a[0] == b[0] and a[1] > b[1]:
                    diag.append('%s: entities not sorted by (type, key): %s before %s' % (where, show(a), show(b)))
                    break
            types = [t for t, _ in pairs]
            if any(types.index(t) != i and types[i - 1] != t for i, t in enumerate(types)):
                diag.append('%s: entities of one type are not together: %s' % (where, show(types)))
        why = inc['why']
        links = why.get('links') if isinstance(why, dict) else None
        if not isinstance(links, list):
            diag.append('%s: why.links missing' % where)
        elif isinstance(alerts, list) and [l.get('alert') if isinstance(l, dict) else None
                                           for l in links] != alerts:
            diag.append('%s: why.links are not one per member in member order' % where)
        elif any(l.get('role') not in ('rule', 'context') for l in links):
            diag.append('%s: a why link role is neither rule nor context' % where)
    keys = [(str(i.get('firstActivityTimeUtc')), str(i.get('id'))) for i in incidents]
    if keys != sorted(keys):
        diag.append('output not sorted by (firstActivityTimeUtc, id): %s' % show(keys))
    ids = [str(i.get('id')) for i in incidents]
    if len(set(ids)) != len(ids):
        diag.append('two incidents share an id: %s' % show(ids))
    same = [json.dumps([i.get('kind'), i.get('scenario'), i.get('scope'), i.get('entity'), i.get('alerts')],
                       sort_keys=True) for i in incidents]
    if len(set(same)) != len(same):
        diag.append('the same incident (kind, scenario, scope, entity, alerts) is written twice')
    return ['invariant: ' + d for d in diag]


def main_test(corral, path, spec):
    status, out, err = run(command(corral, spec), path)
    diag = []
    if status is None:
        return ['corral correlate did not finish within %d s' % TIMEOUT]
    if status != 0:
        diag.append('exit status %d, expected 0' % status)
    try:
        incidents = parse_ndjson(out)
    except ValueError as e:
        return diag + [str(e)] + ['stderr: ' + l for l in err.splitlines()[:20]]
    diag += check_expectations(spec, incidents)
    diag += check_invariants(incidents)
    if diag and err.strip():
        diag += ['stderr: ' + l for l in err.splitlines()[:20]]
    return diag


def orders(name, n):
    """SHUFFLES seeded permutations of range(n) plus the reversed order."""
    rng = random.Random(name)
    perms = []
    for _ in range(SHUFFLES):
        p = list(range(n))
        rng.shuffle(p)
        perms.append(('shuffle %d' % (len(perms) + 1), p))
    perms.append(('reversed', list(range(n))[::-1]))
    return perms


def input_variants(path, spec):
    """(elements, writer): writer(perm) returns the input text in that order."""
    text = open(os.path.join(path, spec['input']), encoding='utf-8').read()
    if spec['input'].endswith('.ndjson'):
        lines = [l for l in text.splitlines() if l.strip()]
        return len(lines), lambda perm: ''.join(lines[i] + '\n' for i in perm)
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise CaseError('%s is not JSON: %s' % (spec['input'], e))
    if isinstance(doc, list):
        return len(doc), lambda perm: json.dumps([doc[i] for i in perm], indent=2) + '\n'
    if isinstance(doc, dict) and isinstance(doc.get('value'), list):
        def write(perm):
            d = dict(doc)
            d['value'] = [doc['value'][i] for i in perm]
            return json.dumps(d, indent=2) + '\n'
        return len(doc['value']), write
    return 1, lambda perm: json.dumps(doc, indent=2) + '\n'


def shuffle_test(corral, path, name, spec):
    n, write = input_variants(path, spec)
    work = tempfile.mkdtemp(prefix='corral-case-')
    try:
        if spec['rules']:
            shutil.copy(os.path.join(path, 'rules.yaml'), os.path.join(work, 'rules.yaml'))
        cmd = command(corral, spec, LATENESS_ARGS)

        def run_order(perm):
            with open(os.path.join(work, spec['input']), 'w', encoding='utf-8') as f:
                f.write(write(perm))
            return run(cmd, work)

        status, ref, err = run_order(list(range(n)))
        if status is None:
            return ['input order: no result within %d s' % TIMEOUT]
        if status != 0:
            return ['input order: exit status %d' % status] + ['stderr: ' + l for l in err.splitlines()[:10]]
        ref_lines = ref.decode('utf-8', 'replace').splitlines()
        for label, perm in orders(name, n):
            status, out, err = run_order(perm)
            if status is None:
                return ['%s: no result within %d s (order %s)' % (label, TIMEOUT, perm)]
            if status != 0:
                return (['%s: exit status %d (order %s)' % (label, status, perm)]
                        + ['stderr: ' + l for l in err.splitlines()[:10]])
            if out != ref:
                diag = ['%s (input elements in order %s) differs from the input order:' % (label, perm)]
                out_lines = out.decode('utf-8', 'replace').splitlines()
                for k in range(max(len(ref_lines), len(out_lines))):
                    a = ref_lines[k] if k < len(ref_lines) else '(no line)'
                    b = out_lines[k] if k < len(out_lines) else '(no line)'
                    if a != b:
                        diag += ['line %d, input order: %s' % (k + 1, a[:600]),
                                 'line %d, %s: %s' % (k + 1, label, b[:600])]
                return diag
        return []
    finally:
        shutil.rmtree(work, ignore_errors=True)


def case_dirs(names):
    if names:
        out = []
        for n in names:
            p = n if os.path.isdir(n) else os.path.join(HERE, n)
            out.append(os.path.abspath(p.rstrip('/')))
        return out
    return sorted(os.path.join(HERE, d) for d in os.listdir(HERE)
                  if os.path.isfile(os.path.join(HERE, d, 'test.yaml')))


def main(argv):
    if len(argv) < 2 or argv[1] in ('-h', '--help'):
        print('usage: %s CORRAL_BINARY [CASE...]' % argv[0], file=sys.stderr)
        return 2
    corral = os.path.abspath(argv[1])
    if 'CORRAL_DATA_DIR' not in os.environ:
        data = os.path.normpath(os.path.join(HERE, '..', '..', 'data'))
        if os.path.isfile(os.path.join(data, 'alert-types.tsv')):
            os.environ['CORRAL_DATA_DIR'] = data
    n = failed = 0

    def report(ok, text, diag):
        nonlocal n, failed
        n += 1
        if not ok:
            failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, tap_text(text)))
        for line in diag:
            print('# ' + line)
        sys.stdout.flush()

    for path in case_dirs(argv[2:]):
        name = os.path.basename(path)
        try:
            spec = load_case(path)
        except (OSError, yaml.YAMLError, CaseError) as e:
            report(False, '%s: malformed case' % name, [str(e)])
            continue
        diag = main_test(corral, path, spec)
        report(not diag, '%s: %s' % (name, spec['description']), diag)
        try:
            diag = shuffle_test(corral, path, name, spec)
        except (OSError, CaseError) as e:
            diag = [str(e)]
        report(not diag, '%s: shuffle test, %d orders give identical output' % (name, SHUFFLES + 1), diag)
    print('1..%d' % n)
    return 1 if failed or n == 0 else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
