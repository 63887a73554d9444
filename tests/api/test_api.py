#!/usr/bin/env python3
"""test_api.py CORRAL - the incident service end to end, against a real
`corral serve` on a loopback port: ingest and the incidents it gives (the
same as `corral correlate`), re-sends, reads, paging, filters, management and
its activity log, every role on every route, scope isolation (ids guessed,
filters and cursors of another scope), malformed and oversized requests,
tokens revoked, metrics, a clean stop and a restart that rebuilds the same
state; closed (Resolved, Dismissed) incidents that do not grow but have
successors, retracted incidents kept when an analyst touched them. TAP on
stdout."""
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corral_api import Server, Tap, alert_id, free_port, source_root  # noqa: E402

corral = sys.argv[1]
root = source_root()
sample = os.path.join(root, 'examples', 'alerts.ndjson')
tap = Tap()

# What corral itself makes of the sample: scope of each alert, and the incidents.
scope_of = {}
for line in subprocess.run([corral, 'alerts', '-q', sample], capture_output=True, text=True).stdout.splitlines():
    a = json.loads(line)
    scope_of[a['systemAlertId']] = a['scope']
expected = {}
for line in subprocess.run([corral, 'correlate', '-q', sample], capture_output=True, text=True).stdout.splitlines():
    inc = json.loads(line)
    expected[inc['id']] = inc
scopes_with = {}
for inc in expected.values():
    scopes_with.setdefault(inc['scope'], []).append(inc['id'])
ranked = sorted(scopes_with, key=lambda s: (-len(scopes_with[s]), s))
A, B = ranked[0], ranked[1]
body_all = open(sample, 'rb').read()
lines = [l for l in body_all.split(b'\n') if l.strip()]
n_a = sum(1 for a in scope_of.values() if a == A)

srv = Server(corral, extra=['--max-body', '1M', '--quiet'])
admin = srv.token('admin', '*')
tok = {}
for role in ('ingest', 'reader', 'responder', 'admin'):
    for name, sc in (('A', A), ('B', B)):
        tok[role + name] = srv.token(role, sc)
srv.start()

# ---- authentication ----
st, doc, h = srv.request('GET', '/api/v1/incidents')
tap.ok(st == 401 and 'Bearer' in h.get('WWW-Authenticate', ''), 'no token: 401 with WWW-Authenticate', (st, doc))
st, doc, _ = srv.request('GET', '/api/v1/incidents', token='corral_' + '0' * 64)
tap.ok(st == 401, 'unknown token: 401', (st, doc))
st, doc, _ = srv.request('GET', '/api/v1/incidents', token=admin[:-1])
tap.ok(st == 401, 'truncated token: 401', (st, doc))
st, doc, _ = srv.request('GET', '/healthz')
tap.ok(st == 200 and doc == {'status': 'ok'}, '/healthz needs no token')

# ---- ingest ----
st, doc, _ = srv.request('POST', '/api/v1/alerts', body_all, token=admin)
tap.ok(st == 200 and doc['accepted'] == len(lines) and doc['rejected'] == 0,
       'admin ingests the whole sample', (st, str(doc)[:300]))
# A scoped ingest token: only its scope's alerts (sent again here, so they are updates).
st, doc, _ = srv.request('POST', '/api/v1/alerts', body_all, token=tok['ingestA'])
tap.ok(st == 200 and doc['accepted'] == n_a and doc['rejected'] == len(lines) - n_a,
       'an ingest token of scope A stores only the alerts of A (%d of %d)' % (n_a, len(lines)),
       (st, str(doc)[:300]))
idx = [e['index'] for e in doc['errors']]
tap.ok(all('scope' in e['reason'] for e in doc['errors']) and idx == sorted(set(idx)) and
       len(idx) == len(lines) - n_a, 'each record of another scope is rejected with its index and the reason')
st, doc, _ = srv.request('GET', '/api/v1/incidents?limit=1000', token=admin)
got = {i['id']: i for i in doc['incidents']}
tap.ok(set(got) == set(expected), 'the incidents are those of `corral correlate` (%d)' % len(expected),
       (sorted(set(got) ^ set(expected))))
tap.ok(all(got[i]['alerts'] == expected[i]['alerts'] for i in expected if i in got),
       'with the same members in the same order')
tap.ok(all(got[i]['why'] == expected[i]['why'] for i in expected if i in got), 'and the same why')

# Re-sending never duplicates.
st, doc, _ = srv.request('POST', '/api/v1/alerts', body_all, token=admin)
st2, doc2, _ = srv.request('GET', '/api/v1/incidents?limit=1000', token=admin)
tap.ok(st == 200 and doc['accepted'] == len(lines) and
       sorted((i['id'], i['alerts']) for i in doc2['incidents']) ==
       sorted((i['id'], i['alerts']) for i in got.values()), 're-sending every alert changes no incident')
count, cursor = 0, None
while True:
    st, doc, _ = srv.request('GET', '/api/v1/alerts?limit=150' + ('&cursor=' + cursor if cursor else ''), token=admin)
    count += len(doc['alerts'])
    cursor = doc['next']
    if not cursor:
        break
tap.ok(count == len(lines), 'every alert is stored once (%d)' % count, count)

# ---- one incident, one alert ----
iid = scopes_with[A][0]
st, doc, _ = srv.request('GET', '/api/v1/incidents/' + iid, token=tok['readerA'])
tap.ok(st == 200 and [a['systemAlertId'] for a in doc['alertRecords']] == expected[iid]['alerts'] and
       doc['activity'] == [] and doc['status'] == 'Active',
       'GET incident: member alerts in member order, empty activity', str(doc)[:500])
member = expected[iid]['alerts'][0]
st, doc, _ = srv.request('GET', '/api/v1/alerts/' + member, token=tok['readerA'])
tap.ok(st == 200 and iid in doc['incidents'] and doc['scope'] == A, 'GET alert lists its incidents')

# ---- paging and filters ----
seen, cursor, pages = [], None, 0
while True:
    st, doc, _ = srv.request('GET', '/api/v1/incidents?limit=2&sort=-lastActivity' + ('&cursor=' + cursor if cursor else ''), token=admin)
    seen += [i['id'] for i in doc['incidents']]
    cursor, pages = doc['next'], pages + 1
    if not cursor or pages > 100:
        break
tap.ok(sorted(seen) == sorted(expected) and len(seen) == len(set(seen)),
       'cursor paging (2 a page, newest last activity first) sees every incident once')
lasts = [got[i]['lastActivityTimeUtc'] for i in seen]
tap.ok(lasts == sorted(lasts, reverse=True), 'in the order asked for')
kind = expected[iid]['kind']
st, doc, _ = srv.request('GET', '/api/v1/incidents?kind=' + kind, token=admin)
tap.ok(st == 200 and doc['incidents'] and all(i['kind'] == kind for i in doc['incidents']) and
       len(doc['incidents']) == sum(1 for i in expected.values() if i['kind'] == kind), 'kind filter')
ekey = expected[iid]['entity']['key']
import urllib.parse  # noqa: E402
st, doc, _ = srv.request('GET', '/api/v1/incidents?entity=' + urllib.parse.quote(ekey, safe=''), token=admin)
want = sorted(i['id'] for i in expected.values() if any(e['key'] == ekey for e in i['entities']))
tap.ok(st == 200 and sorted(i['id'] for i in doc['incidents']) == want, 'entity filter', (st, str(doc)[:300]))
first = expected[iid]['firstActivityTimeUtc']
st, doc, _ = srv.request('GET', '/api/v1/incidents?limit=1000&from=' + first, token=admin)
want = sorted(i['id'] for i in expected.values() if i['lastActivityTimeUtc'] >= first)
tap.ok(st == 200 and sorted(i['id'] for i in doc['incidents']) == want, 'time range filter')
st, doc, _ = srv.request('GET', '/api/v1/incidents?severity=High&limit=1000', token=admin)
tap.ok(st == 200 and all(i['severity'] == 'High' for i in doc['incidents']) and
       len(doc['incidents']) == sum(1 for i in expected.values() if i['severity'] == 'High'), 'severity filter')

# ---- roles: who may do what (scope A tokens on A's data) ----
patch = {'comment': 'looked at it'}
matrix = [
    ('GET', '/api/v1/incidents', None, {'ingest': 403, 'reader': 200, 'responder': 200, 'admin': 200}),
    ('GET', '/api/v1/incidents/' + iid, None, {'ingest': 403, 'reader': 200, 'responder': 200, 'admin': 200}),
    ('GET', '/api/v1/alerts', None, {'ingest': 403, 'reader': 200, 'responder': 200, 'admin': 200}),
    ('GET', '/api/v1/alerts/' + member, None, {'ingest': 403, 'reader': 200, 'responder': 200, 'admin': 200}),
    ('PATCH', '/api/v1/incidents/' + iid, patch, {'ingest': 403, 'reader': 403, 'responder': 200, 'admin': 200}),
    ('POST', '/api/v1/alerts', lines[0] if scope_of.get(json.loads(lines[0]).get('properties', {}).get('systemAlertId', '')) == A else None,
     {'ingest': 200, 'reader': 403, 'responder': 403, 'admin': 200}),
    ('GET', '/metrics', None, {'ingest': 403, 'reader': 403, 'responder': 403, 'admin': 403}),
    ('GET', '/api/v1/openapi.json', None, {'ingest': 200, 'reader': 200, 'responder': 200, 'admin': 200}),
]
a_line = next(l for l in lines if scope_of.get(alert_id(l) or '') == A)
for method, path, body, want in matrix:
    if method == 'POST':
        body = a_line
    for role, code in want.items():
        st, doc, _ = srv.request(method, path, body, token=tok[role + 'A'])
        tap.ok(st == code, 'role %s, scope A: %s %s -> %d' % (role, method, path[:40], code), (st, str(doc)[:200]))
st, doc, _ = srv.request('GET', '/metrics', token=admin)
tap.ok(st == 200 and 'corral_alerts_in_total' in doc and 'corral_http_request_duration_seconds_bucket' in doc
       and 'corral_incidents{kind=' in doc and 'corral_store_bytes' in doc, 'an all-scope admin reads /metrics')

# ---- scope isolation: B tokens never see, change or learn of A ----
nothing = srv.request('GET', '/api/v1/incidents/' + str(uuid.uuid4()), token=tok['readerB'])
for role in ('reader', 'responder', 'admin'):
    t = tok[role + 'B']
    st, doc, _ = srv.request('GET', '/api/v1/incidents/' + iid, token=t)
    tap.ok(st == 404 and doc == nothing[1], 'scope B %s: A\'s incident by id is 404, as one that does not exist' % role)
    st, doc, _ = srv.request('GET', '/api/v1/alerts/' + member, token=t)
    tap.ok(st == 404 and doc == {'error': 'no such alert'}, 'scope B %s: A\'s alert by id is 404' % role)
    st, doc, _ = srv.request('GET', '/api/v1/incidents?limit=1000', token=t)
    tap.ok(st == 200 and doc['incidents'] and all(i['scope'] == B for i in doc['incidents']) and
           sorted(i['id'] for i in doc['incidents']) == sorted(scopes_with[B]),
           'scope B %s: the list holds B\'s incidents only' % role)
    st, doc, _ = srv.request('GET', '/api/v1/incidents?scope=' + A, token=t)
    tap.ok(st == 200 and doc == {'incidents': [], 'next': None}, 'scope B %s: a scope=A filter finds nothing' % role)
    st, doc, _ = srv.request('GET', '/api/v1/incidents?entity=' + urllib.parse.quote(ekey, safe=''), token=t)
    tap.ok(st == 200 and all(i['scope'] == B for i in doc['incidents']), 'scope B %s: an entity of A shows nothing of A' % role)
    st, doc, _ = srv.request('GET', '/api/v1/alerts?limit=1000', token=t)
    tap.ok(st == 200 and doc['alerts'] and all(a['scope'] == B for a in doc['alerts']), 'scope B %s: alerts of B only' % role)
    st, doc, _ = srv.request('GET', '/api/v1/alerts?type=' + 'x%27%20OR%201%3D1--', token=t)
    tap.ok(st == 200 and doc['alerts'] == [], 'scope B %s: an injection attempt in a filter is just a value' % role)
# A cursor made for A, used by B.
st, doc, _ = srv.request('GET', '/api/v1/incidents?limit=1', token=tok['readerA'])
acursor = doc['next']
st, doc, _ = srv.request('GET', '/api/v1/incidents?limit=1000&cursor=' + urllib.parse.quote(acursor or '', safe=''), token=tok['readerB'])
tap.ok(st in (200, 400) and (st == 400 or all(i['scope'] == B for i in doc['incidents'])), "A's cursor shows B nothing of A")
st, doc, _ = srv.request('PATCH', '/api/v1/incidents/' + iid, {'status': 'Dismissed'}, token=tok['responderB'])
tap.ok(st == 404, "scope B responder cannot change A's incident (404)")
st, doc, _ = srv.request('GET', '/api/v1/incidents/' + iid, token=admin)
tap.ok(doc['status'] == 'Active', "and it is unchanged")
for _ in range(20):
    st, doc, _ = srv.request('GET', '/api/v1/incidents/' + str(uuid.uuid4()), token=admin)
    if st != 404:
        break
tap.ok(st == 404, 'guessed incident ids: 404')

# ---- management ----
st, doc, _ = srv.request('PATCH', '/api/v1/incidents/' + iid,
                         {'status': 'Dismissed', 'assignee': 'ana', 'comment': 'benign test', 'dismissAlerts': True},
                         token=tok['responderA'])
acts = [a['action'] for a in doc.get('activity', [])] if isinstance(doc, dict) else []
tap.ok(st == 200 and doc['status'] == 'Dismissed' and doc['assignee'] == 'ana' and
       acts == ['comment', 'comment', 'status', 'dismiss-alerts', 'assignee', 'comment'], 'PATCH: status, assignee and comment, each in the activity log', (st, acts))
tap.ok(all(a['status'] == 'Dismissed' for a in doc['alertRecords']), 'dismissAlerts dismisses the member alerts')
st, doc, _ = srv.request('GET', '/api/v1/incidents?status=Dismissed', token=tok['readerA'])
tap.ok([i['id'] for i in doc['incidents']] == [iid], 'status filter')
out = subprocess.run([corral, 'incidents', 'show', '--db', srv.db, iid], capture_output=True, text=True)
tap.ok(out.returncode == 0 and json.loads(out.stdout)['status'] == 'Dismissed', 'corral incidents show')
out = subprocess.run([corral, 'incidents', 'set-status', '--db', srv.db, iid, 'InProgress'], capture_output=True, text=True)
tap.ok(out.returncode == 0 and json.loads(out.stdout)['activity'][-1]['actor'] == 'cli', 'corral incidents set-status, logged as cli')
out = subprocess.run([corral, 'incidents', 'list', '--db', srv.db, '--status', 'InProgress'], capture_output=True, text=True)
tap.ok(out.returncode == 0 and [i['id'] for i in json.loads(out.stdout)['incidents']] == [iid], 'corral incidents list')

# ---- malformed and oversized ----
bad = [
    ('PATCH', '/api/v1/incidents/' + iid, b'{"status": ', 400, 'PATCH with broken JSON'),
    ('PATCH', '/api/v1/incidents/' + iid, b'{"owner": "x"}', 400, 'PATCH with an unknown field'),
    ('PATCH', '/api/v1/incidents/' + iid, b'{"status": "Closed"}', 400, 'PATCH with a bad status'),
    ('PATCH', '/api/v1/incidents/' + iid, b'[]', 400, 'PATCH with an array'),
    ('POST', '/api/v1/alerts', b'{"not": json', 400, 'POST alerts that are not JSON'),
    ('POST', '/api/v1/alerts', b'', 400, 'POST an empty body'),
    ('POST', '/api/v1/alerts', b'{"value": []}', 422, 'POST JSON without alerts'),
    ('GET', '/api/v1/nope', None, 404, 'unknown route'),
    ('GET', '/api/v1/incidents/a/b', None, 404, 'route with extra segments'),
    ('DELETE', '/api/v1/incidents/' + iid, None, 405, 'DELETE an incident: wrong method'),
    ('PUT', '/api/v1/alerts', b'{}', 405, 'PUT alerts: wrong method'),
    ('GET', '/api/v1/incidents?limit=0', None, 400, 'limit 0'),
    ('GET', '/api/v1/incidents?colour=red', None, 400, 'unknown query parameter'),
    ('GET', '/api/v1/incidents?cursor=garbage', None, 400, 'forged cursor'),
    ('GET', '/api/v1/incidents?sort=id', None, 400, 'unknown sort'),
    ('GET', '/api/v1/incidents?from=yesterday', None, 400, 'bad time'),
]
for method, path, body, code, desc in bad:
    st, doc, h = srv.request(method, path, body, token=admin)
    tap.ok(st == code and isinstance(doc, dict) and doc.get('error') or (st == code and isinstance(doc, dict)),
           '%s: %d with a JSON reason' % (desc, code), (st, str(doc)[:200]))
    if code == 405:
        tap.ok('Allow' in h, desc + ': Allow header')
# A declared body over the limit is refused before it is sent (read the answer, send nothing).
import socket  # noqa: E402
sock = socket.create_connection(('127.0.0.1', srv.port))
sock.sendall(('POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n'
              'Content-Length: %d\r\n\r\n' % (admin, 2 << 20)).encode())
answer = b''
while b'\r\n\r\n' not in answer:
    chunk = sock.recv(4096)
    if not chunk:
        break
    answer += chunk
sock.close()
tap.ok(answer.startswith(b'HTTP/1.1 413'), 'a declared body over --max-body: 413 at once', answer[:100])
# A chunked body (no length) that grows over the limit: read to its end and refused.
import http.client  # noqa: E402
conn = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=30)
conn.request('POST', '/api/v1/alerts', body=iter([b'[' + b' ' * 65536] * 20 + [b']']),
             headers={'Authorization': 'Bearer ' + admin}, encode_chunked=True)
resp = conn.getresponse()
tap.ok(resp.status == 413 and 'limit' in json.loads(resp.read())['error'], 'a chunked body over --max-body: 413')
conn.close()
try:
    st, doc, _ = srv.request('GET', '/api/v1/incidents', token=admin, headers={'X-Big': 'x' * 40000})
    tap.ok(st in (413, 431, 400), 'headers over the limit: 4xx', st)
except OSError as e:
    tap.ok(True, 'headers over the limit: connection refused (%s)' % type(e).__name__)
st, doc, _ = srv.request('GET', '/api/v1/openapi.json', token=tok['readerB'])
tap.ok(st == 200 and doc == json.load(open(os.path.join(root, 'docs', 'api', 'openapi.json'))),
       'the OpenAPI document served is the one in docs/api/')

# ---- tokens ----
listing = subprocess.run([corral, 'token', 'list', '--db', srv.db], capture_output=True, text=True).stdout
tap.ok(admin not in listing and admin[7:] not in listing and 'admin' in listing, 'token list never shows a token')
rid = [l.split()[0] for l in listing.splitlines()[1:] if l.split()[1] == 'reader'][0]
subprocess.run([corral, 'token', 'revoke', '--db', srv.db, rid], check=True, capture_output=True)
revoked_ok = sum(1 for t in (tok['readerA'], tok['readerB'])
                 if srv.request('GET', '/api/v1/incidents', token=t)[0] == 401)
tap.ok(revoked_ok == 1, 'a revoked token is refused at once')

# ---- suppression rules ----
live_reader = next(t for t in (tok['readerA'], tok['readerB'])
                   if srv.request('GET', '/api/v1/incidents', token=t)[0] == 200)
alerts_by_id = {}
for line in subprocess.run([corral, 'alerts', '-q', sample], capture_output=True, text=True).stdout.splitlines():
    a = json.loads(line)
    alerts_by_id[a['systemAlertId']] = a
a_id = next(i for i in scope_of if i.encode() in a_line)
orig = alerts_by_id[a_id]
ent = orig['entities'][0] if orig['entities'] else None
rule = {'scope': A, 'alertType': orig['alertType'], 'reason': 'known scanner',
        'entities': [ent] if ent else [], 'expires': None}
st, doc, _ = srv.request('POST', '/api/v1/suppression-rules', rule, token=tok['responderA'])
tap.ok(st == 201 and isinstance(doc.get('id'), int), 'a responder of A makes a suppression rule for A', (st, doc))
rid_a = doc.get('id') if isinstance(doc, dict) else None
st, doc, _ = srv.request('POST', '/api/v1/suppression-rules', rule, token=tok['responderB'])
tap.ok(st == 400 and 'scope' in doc['error'], "a responder of B may not make rules for A")
st, doc, _ = srv.request('POST', '/api/v1/suppression-rules', rule, token=live_reader)
tap.ok(st == 403, 'a reader may not make rules')
st, doc, _ = srv.request('POST', '/api/v1/suppression-rules', dict(rule, alertType='*', entities=[]), token=tok['responderA'])
tap.ok(st == 400, 'a rule for any type needs an entity condition')
st, doc, _ = srv.request('POST', '/api/v1/suppression-rules', dict(rule, colour='red'), token=tok['responderA'])
tap.ok(st == 400, 'a rule with an unknown field is refused')
st, doc, _ = srv.request('GET', '/api/v1/suppression-rules', token=tok['responderB'])
tap.ok(st == 200 and doc == {'rules': []}, "B does not see A's rules")
st, doc, _ = srv.request('GET', '/api/v1/suppression-rules', token=tok['responderA'])
tap.ok(st == 200 and [r['id'] for r in doc['rules']] == [rid_a] and doc['rules'][0]['reason'] == 'known scanner',
       'A sees its rule')
new_id = a_id[:-6] + 'sup001'
st, doc, _ = srv.request('POST', '/api/v1/alerts', a_line.replace(a_id.encode(), new_id.encode()), token=admin)
st2, doc2, _ = srv.request('GET', '/api/v1/alerts/' + new_id, token=admin)
tap.ok(st == 200 and doc['accepted'] == 1 and st2 == 200 and doc2['status'] == 'Dismissed' and doc2['incidents'] == [],
       'a matching alert is stored Dismissed and joins no incident', (st2, str(doc2)[:300]))
st, doc, _ = srv.request('DELETE', '/api/v1/suppression-rules/%s' % rid_a, token=tok['responderB'])
tap.ok(st == 404, "B cannot delete A's rule (404)")
st, doc, _ = srv.request('DELETE', '/api/v1/suppression-rules/%s' % rid_a, token=tok['responderA'])
tap.ok(st == 200, 'A deletes its rule')
new_id2 = a_id[:-6] + 'sup002'
srv.request('POST', '/api/v1/alerts', a_line.replace(a_id.encode(), new_id2.encode()), token=admin)
st2, doc2, _ = srv.request('GET', '/api/v1/alerts/' + new_id2, token=admin)
tap.ok(st2 == 200 and doc2['status'] != 'Dismissed', 'after the rule is gone, such an alert is not suppressed')
body_all = body_all + b'\n' + a_line.replace(a_id.encode(), new_id.encode()) + b'\n' + \
    a_line.replace(a_id.encode(), new_id2.encode()) + b'\n'
lines += [None, None]

# ---- stop and restart ----
before = srv.request('GET', '/api/v1/incidents?limit=1000', token=admin)[1]
rc = srv.stop()
tap.ok(rc == 0, 'SIGTERM: clean exit 0', rc)
srv.start()
after = srv.request('GET', '/api/v1/incidents?limit=1000', token=admin)[1]
tap.ok(after == before, 'after a restart the incidents are unchanged')
st, doc, _ = srv.request('POST', '/api/v1/alerts', body_all, token=admin)
again = srv.request('GET', '/api/v1/incidents?limit=1000', token=admin)[1]
strip = lambda d: sorted((i['id'], i['alerts'], i['version']) for i in d['incidents'])  # noqa: E731
tap.ok(st == 200 and strip(again) == strip(before), 'the rebuilt engine knows every alert: re-sending changes nothing')
srv.stop()

# ---- closed incidents grow into successors; retractions keep what an analyst touched ----
raw_lines = open(sample, 'rb').read().split(b'\n')
line_of = {}
for line in subprocess.run([corral, 'alerts', '-q', sample], capture_output=True, text=True).stdout.splitlines():
    a = json.loads(line)
    line_of[a['systemAlertId']] = raw_lines[int(a['source'].rsplit(':', 1)[1]) - 1]
big = sorted((i for i in expected.values() if len(i['alerts']) >= 3), key=lambda i: i['id'])


def fresh():
    s = Server(corral, extra=['--quiet'])
    t = s.token('admin', '*')
    s.start()
    return s, t


def post(s, t, ids):
    st, doc, _ = s.request('POST', '/api/v1/alerts', b'\n'.join(line_of[a] for a in ids), token=t)
    assert st == 200, (st, doc)


def incidents_of(s, t):
    return s.request('GET', '/api/v1/incidents?limit=1000', token=t)[1]['incidents']


def grown(status):
    """An incident of all but its last member, closed with status, then its last member posted."""
    for inc in big:
        s, t = fresh()
        post(s, t, inc['alerts'][:-1])
        st, doc, _ = s.request('GET', '/api/v1/incidents/' + inc['id'], token=t)
        if st != 200 or doc['alerts'] != inc['alerts'][:-1]:
            s.remove()
            continue
        s.request('PATCH', '/api/v1/incidents/' + inc['id'], {'status': status}, token=t)
        post(s, t, inc['alerts'][-1:])
        return s, t, inc
    return None, None, None


for status in ('Resolved', 'Dismissed'):
    s, t, inc = grown(status)
    if s is None:
        tap.ok(False, 'a sample incident to grow after it is %s' % status)
        continue
    st, old, _ = s.request('GET', '/api/v1/incidents/' + inc['id'], token=t)
    nxt = old.get('next')
    st2, new, _ = s.request('GET', '/api/v1/incidents/%s' % nxt, token=t) if nxt else (404, None, None)
    tap.ok(st == 200 and old['status'] == status and old['alerts'] == inc['alerts'][:-1] and
           [a['systemAlertId'] for a in old['alertRecords']] == inc['alerts'][:-1] and old['version'] == 1,
           'a %s incident does not grow: same members, same version' % status, str(old)[:400])
    tap.ok(st2 == 200 and new['alerts'] == inc['alerts'][-1:] and new['previous'] == inc['id'] and
           new['status'] == 'Active' and new['kind'] == inc['kind'] and new['next'] is None,
           'the related alert starts a new incident, linked both ways, holding only that alert',
           str(new)[:400])
    listed = {i['id']: i for i in incidents_of(s, t)}
    tap.ok(inc['id'] in listed and nxt in listed and listed[nxt]['previous'] == inc['id'] and
           listed[inc['id']]['next'] == nxt, 'both are listed, with their links', sorted(listed))
    # A restart rebuilds the engine; re-sending everything changes nothing.
    before = incidents_of(s, t)
    s.stop()
    s.start()
    post(s, t, inc['alerts'])
    tap.ok(incidents_of(s, t) == before, 'after a restart and a re-send, the same incidents')
    s.remove()

# Retraction: the engine re-keys an incident when an earlier first member arrives late.
for touch in (True, False):
    found = None
    for inc in big:
        s, t = fresh()
        post(s, t, inc['alerts'][1:])
        early = [i for i in incidents_of(s, t) if i['alerts'] == inc['alerts'][1:] and i['kind'] == inc['kind']]
        if early and early[0]['id'] != inc['id']:
            found = (s, t, inc, early[0]['id'])
            break
        s.remove()
    if found is None:
        tap.ok(False, 'a sample incident to re-key by a late first member')
        continue
    s, t, inc, old_id = found
    if touch:
        s.request('PATCH', '/api/v1/incidents/' + old_id, {'assignee': 'ana', 'comment': 'looking'}, token=t)
    post(s, t, inc['alerts'][:1])
    st, doc, _ = s.request('GET', '/api/v1/incidents/' + old_id, token=t)
    st2, cur, _ = s.request('GET', '/api/v1/incidents/' + inc['id'], token=t)
    if touch:
        tap.ok(st == 200 and doc['retracted'] is True and doc['assignee'] == 'ana' and doc['status'] == 'Active' and
               [a['action'] for a in doc['activity']] == ['assignee', 'comment'],
               'a retracted incident an analyst touched is kept, marked retracted, with its activity', str(doc)[:400])
    else:
        tap.ok(st == 404, 'a retracted incident nobody touched is gone', (st, str(doc)[:200]))
    tap.ok(st2 == 200 and cur['alerts'] == inc['alerts'] and cur['retracted'] is False,
           'the incident the engine reports instead holds every member')
    s.remove()

# ---- one large request (written in several chunks) = the same alerts in small requests ----
gen = os.path.join(os.environ.get('CORRAL_BUILD_ROOT', os.path.dirname(os.path.abspath(corral))), 'bench', 'gen_alerts')
if os.path.exists(gen):
    big_body = subprocess.run([gen, '--count', '7000', '--attacks', '60', '--scopes', '4', '--span-days', '3',
                               '--lifetime-days', '1', '--seed', '5',
                               '--catalog', os.path.join(root, 'data', 'defender-alert-catalog.tsv')],
                              capture_output=True, check=True).stdout
    big_lines = [l for l in big_body.split(b'\n') if l.strip()]
    states = []
    for size in (len(big_lines), 300):
        s, t = fresh()
        for i in range(0, len(big_lines), size):
            st, doc, _ = s.request('POST', '/api/v1/alerts', b'\n'.join(big_lines[i:i + size]), token=t, timeout=120)
            assert st == 200, (st, str(doc)[:300])
        states.append(sorted(json.dumps({k: v for k, v in i.items() if k not in ('createdTimeUtc', 'updatedTimeUtc')},
                                        sort_keys=True) for i in incidents_of(s, t)))
        s.remove()
    tap.ok(states[0] == states[1] and len(states[0]) > 0,
           'one request of %d alerts gives the incidents of the same alerts in requests of 300 (%d)' %
           (len(big_lines), len(states[0])), '\n'.join(sorted(set(states[0]) ^ set(states[1])))[:2000])

# ---- TLS ----
import shutil  # noqa: E402
import ssl  # noqa: E402
if shutil.which('openssl'):
    cert, key = os.path.join(srv.dir, 'cert.pem'), os.path.join(srv.dir, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '2', '-subj', '/CN=127.0.0.1'], check=True, capture_output=True)
    srv.extra = ['--quiet', '--tls-cert', cert, '--tls-key', key]
    port = free_port()
    logf = open(srv.log, 'ab')
    srv.port = port
    srv.proc = subprocess.Popen([corral, 'serve', '--db', srv.db, '--listen', '127.0.0.1:%d' % port] + srv.extra,
                                stdout=logf, stderr=logf)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    body = None
    for _ in range(200):
        try:
            req = urllib.request.Request('https://127.0.0.1:%d/api/v1/incidents?limit=1' % port,
                                         headers={'Authorization': 'Bearer ' + admin})
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                body = json.loads(r.read())
            break
        except OSError:
            time.sleep(0.05)
    tap.ok(body is not None and len(body['incidents']) == 1, 'HTTPS with --tls-cert/--tls-key serves the API')
    try:
        urllib.request.urlopen('http://127.0.0.1:%d/healthz' % port, timeout=5).read()
        plain = True
    except OSError:
        plain = False
    tap.ok(not plain, 'plain HTTP is not answered on a TLS port')
    bad = subprocess.run([corral, 'serve', '--db', srv.db, '--listen', '127.0.0.1:%d' % free_port(),
                          '--tls-cert', cert, '--tls-key', cert], capture_output=True, text=True, timeout=30)
    tap.ok(bad.returncode == 2 and 'TLS' in bad.stderr, 'a key that is not a key: exit 2 with a reason', bad.stderr[-300:])
tap.ok(srv.stop() == 0, 'clean stop')
srv.remove()
sys.exit(tap.done())
