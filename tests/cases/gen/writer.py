import json, os, yaml, copy
from framework import *

OUT = os.path.join(ROOT, 'tests', 'cases')


def ydump(v):
    return yaml.safe_dump(v, default_flow_style=True, width=10000, sort_keys=False).strip()


def scalar(v):
    s = ydump(v)
    if s.endswith('\n...'):
        s = s[:-4]
    return s.strip()


def build_case(c):
    built = {}
    for label in c.order:
        if label.endswith('#dup'):
            continue
        built[label] = build(c.alerts[label], c.ids)
    for label in c.order:
        if label.endswith('#dup'):
            orig = c.alerts[label[:-4]]
            a = dict(c.alerts[label])
            a['guid'] = orig['guid']
            a['sysid'] = orig['sysid']
            built[label] = build(a, c.ids)
            c.alerts[label]['sysid'] = orig['sysid']
    return built


def member_ids(c, labels):
    srt = sorted(labels, key=lambda l: (ticks(c.alerts[l]['start']), c.alerts[l]['sysid']))
    if getattr(c, 'autosort', False):
        labels[:] = srt
    ids = [c.alerts[l]['sysid'] for l in labels]
    assert srt == list(labels), ('%s: members not in canonical order: %s, want %s' % (c.name, labels, srt))
    return ids


def map_why(c, why):
    why = copy.deepcopy(why)
    for l in why.get('links', []):
        for k in ('alert', 'after'):
            if k in l and l[k] in c.alerts:
                l[k] = c.alerts[l[k]]['sysid']
    return why


def alert_scope(a):
    if a['shape'] in ('export',):
        return a['tenant']
    if a['shape'] == 'sentinel':
        return a.get('workspace_tenant', a['tenant'])
    return sub_of(a['resource'])


def alert_tactics(a):
    t = a.get('intent')
    if t is None:
        return []
    return [x for x in (t if isinstance(t, list) else [t]) if x != 'Unknown']


def enrich(c, e):
    """Fields every incident must carry, derived from the case's own alerts (spec:
    plans/tactics distinct and sorted, first/last activity = min/max member start,
    scope shared by the members, status Active, why.rule = kind/scenario)."""
    e = dict(e)
    mem = [c.alerts[l] for l in e['alerts']]
    kind = SLUG[e['kind']] if isinstance(e['kind'], int) else e['kind']
    e.setdefault('plans', sorted({CATALOG[a['type']][0][1] for a in mem}))
    e.setdefault('tactics', sorted({t for a in mem for t in alert_tactics(a)}))
    starts = sorted(mem, key=lambda a: ticks(a['start']))
    e.setdefault('firstActivityTimeUtc', starts[0]['start'])
    e.setdefault('lastActivityTimeUtc', starts[-1]['start'])
    scopes = {alert_scope(a) for a in mem}
    assert len(scopes) == 1, (c.name, scopes)
    e.setdefault('scope', scopes.pop())
    e.setdefault('status', 'Active')
    why = dict(e.get('why', {}))
    rule = '%s/%d' % (kind, e['scenario'])
    assert why.get('rule', rule) == rule
    why = dict([('rule', rule)] + [(k, v) for k, v in why.items() if k != 'rule'])
    e['why'] = why
    order = ['kind', 'scenario', 'entity', 'alerts', 'severity', 'status', 'scope', 'plans', 'tactics',
             'firstActivityTimeUtc', 'lastActivityTimeUtc', 'why']
    return {k: e[k] for k in sorted(e, key=lambda k: order.index(k) if k in order else 99)}


def comment_for(c, label):
    a = c.alerts[label]
    return '%s %s (%s)' % (a['start'][:19].replace('T', ' '), a['type'], label)


def write_case(c):
    d = os.path.join(OUT, c.name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    built = build_case(c)
    objs = [built[l] for l in c.order]
    if c.fmt == 'ndjson':
        path = os.path.join(d, 'input.ndjson')
        with open(path, 'w') as f:
            for o in objs:
                f.write(json.dumps(o, ensure_ascii=False, separators=(',', ':')) + '\n')
    elif c.fmt == 'array':
        path = os.path.join(d, 'input.json')
        with open(path, 'w') as f:
            json.dump(objs, f, indent=2, ensure_ascii=False)
            f.write('\n')
    elif c.fmt == 'restlist':
        path = os.path.join(d, 'input.json')
        with open(path, 'w') as f:
            json.dump({'value': objs, 'nextLink': None}, f, indent=2, ensure_ascii=False)
            f.write('\n')
    else:
        raise ValueError(c.fmt)
    if c.rules:
        with open(os.path.join(d, 'rules.yaml'), 'w') as f:
            f.write(c.rules)
    lines = ['description: ' + scalar(c.description)]
    if c.args:
        lines.append('args: ' + ydump(c.args))
    if c.partial:
        lines.append('partial: true')
    structured = {'description': c.description}
    if c.args: structured['args'] = c.args
    if c.partial: structured['partial'] = True
    if c.expects or not c.absents:
        if not c.expects:
            lines.append('expect: []')
            structured['expect'] = []
        else:
            lines.append('expect:')
            structured['expect'] = []
            for e in c.expects:
                e = enrich(c, e)
                s = {}
                kind = e['kind']
                s['kind'] = SLUG[kind] if isinstance(kind, int) else kind
                lines.append('  - kind: ' + s['kind'])
                for k, v in e.items():
                    if k == 'kind':
                        continue
                    if k == 'alerts':
                        ids = member_ids(c, v)
                        s['alerts'] = ids
                        lines.append('    alerts:')
                        for l, i in zip(v, ids):
                            lines.append('      - %s  # %s' % (i, comment_for(c, l)))
                        continue
                    if k == 'why':
                        v = map_why(c, v)
                    s[k] = v
                    if k == 'why':
                        lines.append('    why:')
                        for wk, wv in v.items():
                            if wk == 'links':
                                lines.append('      links:')
                                for link in wv:
                                    lines.append('        - ' + ydump(link))
                            else:
                                lines.append('      %s: %s' % (wk, scalar(wv)))
                        continue
                    lines.append('    %s: %s' % (k, ydump(v) if isinstance(v, (dict, list)) else scalar(v)))
                structured['expect'].append(s)
    if c.absents:
        lines.append('absent:')
        structured['absent'] = []
        for a in c.absents:
            a = dict(a)
            if isinstance(a.get('kind'), int):
                a['kind'] = SLUG[a['kind']]
            structured['absent'].append(a)
            lines.append('  - ' + ydump(a))
    text = '\n'.join(lines) + '\n'
    back = yaml.safe_load(text)
    assert back == structured, (c.name, back, structured)
    with open(os.path.join(d, 'test.yaml'), 'w') as f:
        f.write(text)
    return d, path
