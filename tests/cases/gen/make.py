#!/usr/bin/env python3
"""Write the correlation cases of tests/cases/ from their definitions in cases_*.py.

Usage: tests/cases/gen/make.py [CORRAL_BINARY] [-v] [CASE...]

Writes every case folder (input, rules.yaml, test.yaml). With a corral binary it then
checks that each input decodes as its definition intends (`corral alerts`): every alert
read, its plan, signals, kill-chain stages and scope as declared in `chk=`, and, in file
order, no alert more than 24 h older than the newest one before it (so the default
lateness never drops one). -v also prints each case's alerts and the entities that two
or more of them share, which is where unintended incidents would come from.

The expectations are written from the spec (incidents.md), by hand, in the cases_*.py
files; writer.enrich() adds the fields every incident carries (plans, tactics, first and
last activity, scope, status, why.rule) from the case's own alerts.
"""
import collections
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep tests/cases/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from framework import *  # noqa: E402,F401
import cases_pos, cases_neg, cases_more  # noqa: E402,F401
from writer import write_case  # noqa: E402

ENTITY_TYPES = ('user', 'service_principal', 'ip', 'resource', 'vm', 'cluster', 'process',
                'process_image', 'domain', 'filehash')


def main(argv):
    verbose = '-v' in argv
    args = [a for a in argv[1:] if a != '-v']
    corral = None
    if args and os.path.isfile(args[0]) and os.access(args[0], os.X_OK):
        corral = os.path.abspath(args.pop(0))
    only = set(args)
    names = [c.name for c in ALL]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        print('duplicate case names: %s' % dups)
        return 1
    env = dict(os.environ)
    env.setdefault('CORRAL_DATA_DIR', os.path.join(ROOT, 'data'))
    problems = 0
    for c in ALL:
        d, path = write_case(c)
        if corral is None or (only and c.name not in only):
            continue
        p = subprocess.run([corral, 'alerts', path], capture_output=True, text=True, env=env)
        if p.returncode != 0 or p.stderr.strip():
            print('!! %s: corral alerts exit %d: %s' % (c.name, p.returncode, p.stderr.strip()))
            problems += 1
        dec = [json.loads(line) for line in p.stdout.splitlines()]
        if len(dec) != len(c.order):
            print('!! %s: %d alerts decoded, %d written' % (c.name, len(dec), len(c.order)))
            problems += 1
            continue
        newest = None
        shared = collections.defaultdict(list)
        for label, a in zip(c.order, dec):
            spec = c.alerts[label]
            if a['systemAlertId'] != spec['sysid']:
                print('!! %s %s: systemAlertId %s' % (c.name, label, a['systemAlertId']))
                problems += 1
            chk = spec.get('chk', {})
            for k in ('plan', 'scope'):
                if k in chk and a[k] != chk[k]:
                    print('!! %s %s: %s %s, want %s' % (c.name, label, k, a[k], chk[k]))
                    problems += 1
            for k in ('signals', 'stages'):
                if k in chk and sorted(a[k]) != sorted(chk[k]):
                    print('!! %s %s: %s %s, want %s' % (c.name, label, k, a[k], chk[k]))
                    problems += 1
            tk = ticks(a['startTimeUtc'])
            if newest is not None and tk < newest - (24 * 3600 - 1) * 10**7:
                print('!! %s %s: more than 24 h older than an alert before it' % (c.name, label))
                problems += 1
            newest = tk if newest is None else max(newest, tk)
            if label.endswith('#dup'):
                continue
            for e in a['entities']:
                if e['type'] in ENTITY_TYPES:
                    shared[(a['scope'], e['type'], e['key'])].append(
                        '%s:%s:%s' % (label, a['plan'], ','.join(map(str, a['stages']))))
        if verbose:
            print('== %s' % c.name)
            for label, a in zip(c.order, dec):
                print('   %-9s %s %-24s %-15s signals=%s stages=%s %s' % (
                    label, a['startTimeUtc'][:19], a['alertType'][:24], a['plan'],
                    ','.join(a['signals']), a['stages'], a['severity']))
            for (scope, t, k), who in sorted(shared.items()):
                if len(who) > 1:
                    print('      shared %s %s: %s' % (t, k, ' '.join(who)))
    print('%d cases written%s' % (len(ALL), '' if corral is None else ', %d decode problems' % problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
