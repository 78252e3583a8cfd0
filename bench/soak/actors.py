"""Background actors of the soak, each on a thread inside the world's network namespace:
`mtasts host`'s senders and administrator (policy GETs checked against the modes the
administrator set, PATCHes at a low rate), slow socketmap clients (a byte every few seconds),
malformed ones (garbage, oversized netstrings), and silent admin API connections. Each records
what it saw; the verdict (verdict.py) judges it."""

from __future__ import annotations

import http.client
import json
import random
import socket
import ssl
import threading
import time
from pathlib import Path

from world.netns import _setns

from soak_world import HOST_ADDRESS, HOST_ADMIN

REQUEST_LIMIT = 10.0  # docs/daemon.md: a started request must complete within 10 s
CHANGE_WINDOW = 3.0  # host: sync interval (1 s) + slack for a PATCH to be served


class Actor(threading.Thread):
    """A thread inside the namespace that runs `body()` until stop() (or body ends)."""

    def __init__(self, world, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.netns_path = world.netns.path
        self.halt = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        _setns(self.netns_path)
        try:
            self.body()
        except Exception as e:  # an actor's own failure is reported, never hidden
            self.error = f"{type(e).__name__}: {e}"

    def body(self) -> None:
        raise NotImplementedError

    def stop(self, timeout: float = 20.0) -> None:
        self.halt.set()
        self.join(timeout)


# ----- mtasts host: senders and an administrator -----

class HostLoad(Actor):
    """GETs of every hosted domain's policy at `rate` per second (a new TLS connection each, as
    senders do), checked against the mode the administrator last set (the previous mode is
    accepted for CHANGE_WINDOW seconds after a change); a PATCH flipping one domain's mode
    every `patch_every` seconds."""

    def __init__(self, world, token: str, trust: Path, domains: list[str], rate: float,
                 patch_every: float) -> None:
        super().__init__(world, "soak-host-load")
        self.token = token
        self.ctx = ssl.create_default_context(cafile=str(trust))
        self.domains = domains
        self.rate = rate
        self.patch_every = patch_every
        self.mode = {d: "testing" for d in domains}
        self.changed: dict[str, tuple[float, str]] = {}  # domain -> (when, previous mode)
        self.gets = 0
        self.get_ok = 0
        self.patches = 0
        self.patch_ok = 0
        self.bad: list[dict] = []
        self.max_get = 0.0

    def body(self) -> None:
        next_get = time.monotonic()
        next_patch = time.monotonic() + self.patch_every
        i = 0
        while not self.halt.is_set():
            now = time.monotonic()
            if now >= next_patch:
                self.patch(self.domains[self.patches % len(self.domains)])
                next_patch += self.patch_every
            if now >= next_get:
                self.get(self.domains[i % len(self.domains)])
                i += 1
                next_get += 1.0 / self.rate
            self.halt.wait(max(0.0, min(next_get, next_patch) - time.monotonic()))

    def get(self, domain: str) -> None:
        host = f"mta-sts.{domain}"
        started = time.monotonic()
        self.gets += 1
        try:
            with socket.create_connection((HOST_ADDRESS, 443), timeout=10) as raw:
                with self.ctx.wrap_socket(raw, server_hostname=host) as s:
                    s.sendall(f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\n"
                              "Connection: close\r\n\r\n".encode())
                    data = b""
                    while chunk := s.recv(65536):
                        data += chunk
        except (OSError, ssl.SSLError) as e:
            self.bad.append({"t": started, "domain": domain, "error": f"{type(e).__name__}: {e}"})
            return
        took = time.monotonic() - started
        self.max_get = max(self.max_get, took)
        head, _, body = data.partition(b"\r\n\r\n")
        mode = next((line.split(b":", 1)[1].strip().decode() for line in body.splitlines()
                     if line.startswith(b"mode:")), None)
        allowed = {self.mode[domain]}
        when, previous = self.changed.get(domain, (0.0, None))
        if previous and started - when < CHANGE_WINDOW:
            allowed.add(previous)
        if head.startswith(b"HTTP/1.1 200") and mode in allowed:
            self.get_ok += 1
        else:
            self.bad.append({"t": started, "domain": domain, "status": head[:40].decode(
                errors="replace"), "mode": mode, "allowed": sorted(allowed)})

    def patch(self, domain: str) -> None:
        new = "enforce" if self.mode[domain] == "testing" else "testing"
        self.patches += 1
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", HOST_ADMIN, timeout=15)
        try:
            conn.request("PATCH", f"/v1/domains/{domain}", body=json.dumps({"mode": new}),
                         headers={"Authorization": f"Bearer {self.token}",
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            text = resp.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as e:
            self.bad.append({"t": started, "patch": domain, "error": f"{type(e).__name__}: {e}"})
            return
        finally:
            conn.close()
        if resp.status == 200:
            self.patch_ok += 1
            self.changed[domain] = (time.monotonic(), self.mode[domain])
            self.mode[domain] = new
        else:
            self.bad.append({"t": started, "patch": domain, "status": resp.status,
                             "body": text[:200]})

    def report(self) -> dict:
        return {"gets": self.gets, "get_ok": self.get_ok, "patches": self.patches,
                "patch_ok": self.patch_ok, "max_get_s": round(self.max_get, 3),
                "bad": self.bad[:20], "bad_count": len(self.bad), "error": self.error}


# ----- socketmap clients that hold connections -----

class SlowClients(Actor):
    """`count` connections to each address, each trickling a request a byte every `every`
    seconds; a connection the server closes is opened again. Records how long the server let
    each trickled request live after its first byte."""

    def __init__(self, world, addresses: list[tuple[str, int]], count: int, every: float,
                 request: bytes = b"60:postfix " + b"x" * 52 + b",") -> None:
        super().__init__(world, "soak-slow")
        self.addresses = addresses
        self.count = count
        self.every = every
        self.request = request
        self.lifetimes: list[float] = []
        self.still_open_over_limit = 0
        self.opened = 0

    def body(self) -> None:
        request = self.request
        conns: dict[socket.socket, list] = {}

        def open_one(addr) -> None:
            try:
                s = socket.create_connection(addr, timeout=2)
            except OSError:
                return
            s.setblocking(False)
            self.opened += 1
            conns[s] = [addr, time.monotonic(), 0]  # address, first byte, bytes sent

        for addr in self.addresses:
            for _ in range(self.count):
                open_one(addr)
        while not self.halt.is_set():
            now = time.monotonic()
            for s, st in list(conns.items()):
                closed = False
                try:
                    if s.recv(4096) == b"":
                        closed = True
                except BlockingIOError:
                    pass
                except OSError:
                    closed = True
                if not closed and st[2] < len(request):
                    try:
                        s.send(request[st[2]:st[2] + 1])
                        st[2] += 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        closed = True
                if closed:
                    self.lifetimes.append(now - st[1])
                    s.close()
                    del conns[s]
                    open_one(st[0])
            self.halt.wait(self.every)
        now = time.monotonic()
        for s, st in conns.items():
            if now - st[1] > REQUEST_LIMIT + self.every + 2:
                self.still_open_over_limit += 1
            s.close()

    def report(self) -> dict:
        lt = sorted(self.lifetimes)
        return {"opened": self.opened, "cut": len(lt),
                "max_lifetime_s": round(lt[-1], 2) if lt else None,
                "over_limit_open_at_end": self.still_open_over_limit, "error": self.error}


def client_hello(server_name: str) -> bytes:
    """The first flight of a TLS client (a ClientHello naming `server_name`), as bytes to
    trickle."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


MALFORMED = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",             # not a netstring
    b"99999999:postfix ",                             # a length far over the 10000-byte limit
    b"10001:" + b"p" * 10001 + b",",                  # just over the limit
    b"12:postfix a.b.c;",                            # wrong terminator
    bytes(range(256)),                                # binary garbage
]


class MalformedClients(Actor):
    """Connections that send garbage and oversized netstrings, `per_second` of them per address,
    each held until the server closes it; records how long the server took (it must close them,
    not answer and wait)."""

    def __init__(self, world, addresses: list[tuple[str, int]], per_second: float) -> None:
        super().__init__(world, "soak-malformed")
        self.addresses = addresses
        self.per_second = per_second
        self.sent = 0
        self.closed = 0
        self.not_closed = 0
        self.max_close = 0.0

    def body(self) -> None:
        rnd = random.Random(14)
        while not self.halt.is_set():
            for addr in self.addresses:
                payload = MALFORMED[self.sent % len(MALFORMED)]
                if self.sent % 7 == 6:
                    payload = bytes(rnd.getrandbits(8) for _ in range(512))
                self.one(addr, payload)
            self.halt.wait(1.0 / self.per_second)

    def one(self, addr, payload: bytes) -> None:
        self.sent += 1
        started = time.monotonic()
        try:
            with socket.create_connection(addr, timeout=2) as s:
                try:
                    s.sendall(payload)
                except OSError:
                    pass
                s.settimeout(REQUEST_LIMIT + 3)
                while True:
                    data = s.recv(65536)
                    if not data:
                        break
        except socket.timeout:
            self.not_closed += 1
            return
        except OSError:
            pass
        self.closed += 1
        self.max_close = max(self.max_close, time.monotonic() - started)

    def report(self) -> dict:
        return {"sent": self.sent, "closed": self.closed, "not_closed": self.not_closed,
                "max_close_s": round(self.max_close, 3), "error": self.error}


class SilentAdmin(Actor):
    """`count` connections to the host's admin API that never send a byte, held while an
    authorized status request is timed once a second."""

    def __init__(self, world, token: str, count: int) -> None:
        super().__init__(world, "soak-silent-admin")
        self.token = token
        self.count = count
        self.requests = 0
        self.ok = 0
        self.max_status = 0.0
        self.failures: list[str] = []

    def body(self) -> None:
        held = []
        try:
            for _ in range(self.count):
                held.append(socket.create_connection(("127.0.0.1", HOST_ADMIN), timeout=5))
            while not self.halt.is_set():
                started = time.monotonic()
                self.requests += 1
                conn = http.client.HTTPConnection("127.0.0.1", HOST_ADMIN, timeout=15)
                try:
                    conn.request("GET", "/v1/status",
                                 headers={"Authorization": f"Bearer {self.token}"})
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status == 200:
                        self.ok += 1
                    else:
                        self.failures.append(f"status {resp.status}")
                except (OSError, http.client.HTTPException) as e:
                    self.failures.append(f"{type(e).__name__}: {e}")
                finally:
                    conn.close()
                self.max_status = max(self.max_status, time.monotonic() - started)
                self.halt.wait(1.0)
        finally:
            for s in held:
                s.close()

    def report(self) -> dict:
        return {"held": self.count, "requests": self.requests, "ok": self.ok,
                "max_status_s": round(self.max_status, 3), "failures": self.failures[:5],
                "error": self.error}
