#!/usr/bin/env python3
"""test_crash.py CORRAL - nothing acknowledged is lost: `corral serve` is
killed with SIGKILL at moments spread over the whole ingest while a client
posts alerts, restarted, and the client goes on from its first
unacknowledged batch (re-sending what may or may not have been committed).
Midway through each of two phases the client also closes some incidents
(Resolved, then Dismissed), so that later alerts grow successors. At the end
every alert is stored once, and the incidents are exactly those of a run
without crashes: same ids, members, versions, why, statuses and links. Also
after each restart: every acknowledged alert is there.

The alerts come in two phases of different tenants, the second 8 days after
the first, so that a restart in the second phase replays only the open
window (the first phase's sessions are all closed): the log must show such a
restart. TAP on stdout. KILLS (default 8) sets the number of crashes.

With SCOPE_LAG set (a duration, e.g. 3d), both servers run with --scope-lag
SCOPE_LAG, and the first phase carries one more tenant whose alerts arrive
two days behind the others' (interleaved with them): past the default 24 h
lateness, within the lag. Its alerts must correlate, and a restart must
rebuild that tenant's own clock as it was (the replay reaches back the lag)."""
import json
import os
import re
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corral_api import Server, Tap, alert_id, source_root  # noqa: E402

corral = sys.argv[1]
kills_wanted = int(os.environ.get('KILLS', '8'))
tap = Tap()
rng = random.Random(int(os.environ.get('SEED', '4')))

gen = os.path.join(os.environ.get('CORRAL_BUILD_ROOT', os.path.dirname(os.path.abspath(corral))), 'bench', 'gen_alerts')


scope_lag = os.environ.get('SCOPE_LAG', '')


def corpus(seed, shift_days, count=6000, scopes=6):
    data = subprocess.run([gen, '--count', str(count), '--attacks', str(count // 100), '--scopes', str(scopes),
                           '--span-days', '4',
                           '--lifetime-days', '1', '--seed', str(seed),
                           '--catalog', os.path.join(source_root(), 'data', 'defender-alert-catalog.tsv')],
                          capture_output=True, check=True).stdout
    lines = [l for l in data.split(b'\n') if l.strip()]
    shift = lambda m: b'2025-01-%02dT' % (int(m.group(1)) + shift_days)  # noqa: E731
    return [re.sub(rb'2025-01-(\d\d)T', shift, l) for l in lines]


def interleave(a, b):
    """a and b merged, each keeping its order, b spread evenly over a."""
    keyed = [(i / len(a), 0, i, l) for i, l in enumerate(a)] + [(j / len(b), 1, j, l) for j, l in enumerate(b)]
    return [l for _, _, _, l in sorted(keyed)]


lagging = []
if os.path.exists(gen):
    phases = [corpus(7, 0), corpus(9, 8)]
    if scope_lag:
        lagging = corpus(11, -2, count=1500, scopes=1)
        phases[0] = interleave(phases[0], lagging)
else:
    phases = [[l for l in open(os.path.join(source_root(), 'examples', 'alerts.ndjson'), 'rb').read().split(b'\n')
               if l.strip()]]
B = 100
batches, lines = [], []
for p in phases:
    lines += p
    batches += [b'\n'.join(p[i:i + B]) for i in range(0, len(p), B)]
# Before these batches, close the incidents whose id starts with these digits (not final yet).
first_b = len(phases[0]) // B
patches = {first_b // 2: ('Resolved', '0123'), first_b + (len(batches) - first_b) // 2: ('Dismissed', '4567')}
print('# %d alerts in %d batches, %d phases' % (len(lines), len(batches), len(phases)))


def all_pages(srv, tok, what):
    out, cursor = [], None
    while True:
        st, doc, _ = srv.request('GET', '/api/v1/%s?limit=1000%s' % (what, '&cursor=' + cursor if cursor else ''), token=tok)
        assert st == 200, (st, doc)
        out += doc[what]
        cursor = doc['next']
        if not cursor:
            return out


def close_some(srv, tok, status, digits):
    """Close the open incidents whose id starts with one of digits (the same again is a no-op)."""
    for inc in all_pages(srv, tok, 'incidents'):
        if inc['id'][0] in digits and not inc['final']:
            st, doc, _ = srv.request('PATCH', '/api/v1/incidents/' + inc['id'], {'status': status}, token=tok, timeout=10)
            if st != 200:
                raise OSError('PATCH answered %d' % st)


def comparable(incidents):
    return sorted(json.dumps({k: v for k, v in i.items() if k not in ('createdTimeUtc', 'updatedTimeUtc')},
                             sort_keys=True) for i in incidents)


serve_opts = ['--scope-lag', scope_lag] if scope_lag else []
print('# serve options: %s' % (' '.join(serve_opts) or '(none)'))


# The reference: the same batches and changes, in the same order, no crash.
ref = Server(corral, extra=['--quiet'] + serve_opts)
rtok = ref.token('admin', '*')
ref.start()
for n, b in enumerate(batches):
    if n in patches:
        close_some(ref, rtok, *patches[n])
    st, doc, _ = ref.request('POST', '/api/v1/alerts', b, token=rtok)
    assert st == 200, (st, doc)
ref_incidents = all_pages(ref, rtok, 'incidents')
want = comparable(ref_incidents)
ref.remove()
if lagging:
    late_ids = {alert_id(l) for l in lagging}
    held = sum(1 for i in ref_incidents if any(a in late_ids for a in i['alerts']))
    tap.ok(held > 0, 'the tenant two days behind correlates within the scope lag (%d incidents)' % held)
tap.ok(len(want) > 0, 'the reference run has %d incidents' % len(want))
successors = sum(1 for i in want if '"previous": "' in i)
tap.ok(successors > 0, 'closed incidents grew successors (%d)' % successors)

srv = Server(corral, extra=serve_opts)
tok = srv.token('admin', '*')
acked = 0          # batches[0:acked] are acknowledged
patched = set()    # patch points done
kills = 0
restarts = []      # batches acknowledged at each restart
restarts_checked = True
# Kill points spread over the whole ingest (batches acknowledged), each at a random moment after.
targets = [(i + 1) * len(batches) // (kills_wanted + 1) for i in range(kills_wanted)]
while acked < len(batches):
    srv.start()
    restarts.append(acked)
    if acked > 0:
        ids = {a['systemAlertId'] for a in all_pages(srv, tok, 'alerts')}
        have = sum(1 for l in lines[:acked * B] if alert_id(l) in ids)
        if have != min(acked * B, len(lines)):
            restarts_checked = False
            print('# after restart %d: %d of %d acknowledged alerts found' % (kills, have, acked * B))
    killer = None
    while acked < len(batches):
        if killer is None and kills < kills_wanted and acked >= targets[kills]:
            pid = srv.proc.pid
            killer = threading.Timer(rng.uniform(0.01, 0.25), lambda p=pid: os.kill(p, signal.SIGKILL))
            killer.start()
        try:
            if acked in patches and acked not in patched:
                close_some(srv, tok, *patches[acked])
                patched.add(acked)
            st, doc, _ = srv.request('POST', '/api/v1/alerts', batches[acked], token=tok, timeout=10)
        except OSError:
            break
        if st != 200:
            print('# unexpected answer %d %s' % (st, str(doc)[:200]))
            break
        acked += 1
    if killer is not None:
        killer.cancel()  # all acknowledged before it fired: no crash this round
        killer.join()
        time.sleep(0.05)
        if srv.proc.poll() is not None:
            srv.proc = None
            kills += 1
if srv.proc is None:
    srv.start()
tap.ok(kills >= min(kills_wanted, 1), 'the server was killed with SIGKILL %d times during ingest' % kills)
tap.ok(restarts_checked, 'after every restart, every acknowledged alert was there')
stored = all_pages(srv, tok, 'alerts')
tap.ok(len(stored) == len(lines) and len({a['systemAlertId'] for a in stored}) == len(lines),
       'every alert stored exactly once (%d)' % len(stored), len(stored))
got = comparable(all_pages(srv, tok, 'incidents'))
tap.ok(got == want, 'the incidents are exactly those of the run without crashes (%d)' % len(got),
       '\n'.join(sorted(set(got) ^ set(want)))[:3000])
replayed = [int(n) for n in re.findall(r'engine rebuilt from (\d+) stored alerts', open(srv.log).read())]
bounded = [(r, n) for r, n in zip(restarts, replayed) if n < min(r * B, len(lines))]
if len(phases) > 1:
    tap.ok(bounded, 'a restart in the second phase replayed only the open window (%s)' %
           ', '.join('%d of %d' % (n, r * B) for r, n in bounded[:3]), list(zip(restarts, replayed)))
tap.ok(srv.stop() == 0, 'clean stop at the end')
srv.remove()
sys.exit(tap.done())
