#!/usr/bin/env python3
"""test_crash.py CORRAL - nothing acknowledged is lost: `corral serve` is
killed with SIGKILL at random moments while a client posts alerts, restarted,
and the client goes on from its first unacknowledged batch (re-sending what
may or may not have been committed). At the end every alert is stored once,
and the incidents are exactly those of a run without crashes: same ids,
members, versions, why. Also after each restart: every acknowledged alert is
there. TAP on stdout. KILLS (default 8) sets the number of crashes."""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corral_api import Server, Tap, source_root  # noqa: E402

corral = sys.argv[1]
kills_wanted = int(os.environ.get('KILLS', '8'))
tap = Tap()
rng = random.Random(int(os.environ.get('SEED', '4')))

gen = os.path.join(os.environ.get('CORRAL_BUILD_ROOT', os.path.dirname(os.path.abspath(corral))), 'bench', 'gen_alerts')
if os.path.exists(gen):
    data = subprocess.run([gen, '--count', '6000', '--attacks', '60', '--scopes', '6', '--span-days', '4',
                           '--lifetime-days', '1', '--seed', '7',
                           '--catalog', os.path.join(source_root(), 'data', 'defender-alert-catalog.tsv')],
                          capture_output=True, check=True).stdout
else:
    data = open(os.path.join(source_root(), 'examples', 'alerts.ndjson'), 'rb').read()
lines = [l for l in data.split(b'\n') if l.strip()]
B = 100
batches = [b'\n'.join(lines[i:i + B]) for i in range(0, len(lines), B)]
print('# %d alerts in %d batches' % (len(lines), len(batches)))


def all_pages(srv, tok, what):
    out, cursor = [], None
    while True:
        st, doc, _ = srv.request('GET', '/api/v1/%s?limit=1000%s' % (what, '&cursor=' + cursor if cursor else ''), token=tok)
        assert st == 200, (st, doc)
        out += doc[what]
        cursor = doc['next']
        if not cursor:
            return out


def comparable(incidents):
    return sorted(json.dumps({k: v for k, v in i.items() if k not in ('createdTimeUtc', 'updatedTimeUtc')},
                             sort_keys=True) for i in incidents)


# The reference: the same batches, in the same order, no crash.
ref = Server(corral, extra=['--quiet'])
rtok = ref.token('admin', '*')
ref.start()
for b in batches:
    st, doc, _ = ref.request('POST', '/api/v1/alerts', b, token=rtok)
    assert st == 200, (st, doc)
want = comparable(all_pages(ref, rtok, 'incidents'))
ref.remove()
tap.ok(len(want) > 0, 'the reference run has %d incidents' % len(want))

srv = Server(corral, extra=['--quiet'])
tok = srv.token('admin', '*')
acked = 0          # batches[0:acked] are acknowledged
kills = 0
restarts_checked = True
while acked < len(batches):
    srv.start()
    if acked > 0:
        ids = {a['systemAlertId'] for a in all_pages(srv, tok, 'alerts')}
        have = sum(1 for l in lines[:acked * B] if any(x in ids for x in [json.loads(l).get('properties', {}).get('systemAlertId'),
                                                                       json.loads(l).get('SystemAlertId'),
                                                                       json.loads(l).get('systemAlertId')]))
        if have != min(acked * B, len(lines)):
            restarts_checked = False
            print('# after restart %d: %d of %d acknowledged alerts found' % (kills, have, acked * B))
    killer = None
    if kills < kills_wanted:
        delay = rng.uniform(0.01, 0.25)
        pid = srv.proc.pid
        killer = threading.Timer(delay, lambda p=pid: os.kill(p, signal.SIGKILL))
        killer.start()
    while acked < len(batches):
        try:
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
tap.ok(srv.stop() == 0, 'clean stop at the end')
srv.remove()
sys.exit(tap.done())
