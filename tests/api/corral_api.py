"""corral_api.py - helpers for the API tests: a real `corral serve` on a free
loopback port, tokens made with `corral token create`, HTTP through urllib,
and TAP output. Standard library only."""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, detail=None):
        self.n += 1
        if cond:
            print('ok %d - %s' % (self.n, desc))
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, desc))
            if detail is not None:
                for line in str(detail).splitlines()[:20]:
                    print('#   ' + line)
        sys.stdout.flush()
        return cond

    def done(self):
        print('1..%d' % self.n)
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def source_root():
    return os.environ.get('CORRAL_SOURCE_ROOT',
                          os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def alert_id(line):
    """The systemAlertId of one raw alert line, in any of the three input shapes."""
    doc = json.loads(line)
    return doc.get('properties', {}).get('systemAlertId') or doc.get('SystemAlertId') or doc.get('systemAlertId')


class Server:
    """A `corral serve` in a temporary directory. Whatever happens to the test (an
    assertion, an exception), every server still running at exit is killed and
    its directory removed (atexit)."""
    alive = []

    def __init__(self, corral, db=None, extra=()):
        self.corral = corral
        self.dir = tempfile.mkdtemp(prefix='corral-api-')
        self.db = db or os.path.join(self.dir, 'corral.db')
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.log = os.path.join(self.dir, 'server.log')
        Server.alive.append(self)

    def token(self, role, scope):
        out = subprocess.run([self.corral, 'token', 'create', '--db', self.db, '--role', role,
                              '--scope', scope], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def start(self):
        self.port = free_port()
        logf = open(self.log, 'ab')
        self.proc = subprocess.Popen([self.corral, 'serve', '--db', self.db, '--listen',
                                      '127.0.0.1:%d' % self.port] + self.extra,
                                     stdout=logf, stderr=logf)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('corral serve exited: ' + open(self.log).read()[-2000:])
            try:
                st, _, _ = self.request('GET', '/healthz')
                if st == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError('corral serve did not come up')

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc

    def remove(self):
        """Stop if running and delete the database and logs."""
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in Server.alive:
            Server.alive.remove(self)


    def request(self, method, path, body=None, token=None, headers=None, timeout=30):
        url = 'http://127.0.0.1:%d%s' % (self.port, path)
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        req = urllib.request.Request(url, data=data, method=method)
        if token is not None:
            req.add_header('Authorization', 'Bearer ' + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                status, hdrs = r.status, dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            status, hdrs = e.code, dict(e.headers)
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = raw.decode('utf-8', 'replace')
        return status, doc, hdrs


@atexit.register
def _remove_servers():
    for srv in list(Server.alive):
        srv.remove()
