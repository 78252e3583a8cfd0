"""A forwarding DNS server that fails chosen queries, run inside the namespace:

    python3 -m world.dnsfilter CONFIG.json

CONFIG: {"log": path, "ready": path, "listen": "127.0.0.55", "upstream": "127.0.0.1",
         "servfail": [["example.test", "MX"], ...], "refuse": [...], "drop": [...]}

Every UDP and TCP query on listen:53 whose (qname, qtype) is listed under "servfail" is
answered with rcode SERVFAIL, under "refuse" with rcode REFUSED, and under "drop" not at all (a
DNS outage that loses queries: the client waits for its timeout); every other query goes to the
upstream resolver (same transport) and its answer comes back unchanged. Give its address to one client only (e.g. `mtasts.dns_servers` of a daemon):
that client sees the MX lookup of a domain fail while its TXT and A lookups, and every lookup of
the other clients through the world's resolver, work. Each query is logged as
{"event": "query", "proto", "peer", "qname", "qtype",
"action": "servfail"|"refuse"|"drop"|"forward"}.

`start(world, name, address, servfail, refuse=(), drop=())` runs one and returns its Process.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

from world.dnswire import (QTYPE_NAMES, RCODE_REFUSED, RCODE_SERVFAIL, parse_question,
                           recv_exact, servfail_response)
from world.eventlog import EventWriter
from world.serving import serve_until_sigterm

UPSTREAM_TIMEOUT = 10.0
TCP_IDLE_LIMIT = 120.0
START_TIMEOUT = 10.0


def _pairs(cfg: dict, key: str) -> set[tuple[str, str]]:
    return {(n.lower().rstrip("."), t.upper()) for n, t in cfg.get(key, [])}


class Filter:
    def __init__(self, cfg: dict) -> None:
        self.upstream = cfg["upstream"]
        self.actions = {}
        for key, action in (("drop", "drop"), ("refuse", "refuse"), ("servfail", "servfail")):
            for pair in _pairs(cfg, key):
                self.actions[pair] = action
        self.log = EventWriter(cfg["log"])

    def decide(self, proto: str, peer, msg: bytes) -> str:
        """What to do with the query: "servfail", "refuse", "drop" or "forward". Logs it."""
        try:
            _, _, qname, qtype = parse_question(msg)
        except (ValueError, IndexError, struct.error):
            qname, qtype = "", 0
        name = QTYPE_NAMES.get(qtype, str(qtype))
        action = self.actions.get((qname.lower().rstrip("."), name), "forward")
        self.log.write("query", proto=proto, peer=f"{peer[0]}:{peer[1]}", qname=qname,
                       qtype=name, action=action)
        return action

    def answer(self, proto: str, peer, msg: bytes) -> bytes | None:
        """The response to `msg`, or None to drop it."""
        action = self.decide(proto, peer, msg)
        if action == "drop":
            return None
        if action == "servfail":
            return servfail_response(msg, RCODE_SERVFAIL)
        if action == "refuse":
            return servfail_response(msg, RCODE_REFUSED)
        return self.forward_udp(msg) if proto == "udp" else self.forward_tcp(msg)

    def forward_udp(self, msg: bytes) -> bytes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(UPSTREAM_TIMEOUT)
            s.sendto(msg, (self.upstream, 53))
            while True:
                resp, _ = s.recvfrom(65535)
                if resp[:2] == msg[:2]:
                    return resp

    def forward_tcp(self, msg: bytes) -> bytes:
        with socket.create_connection((self.upstream, 53), timeout=UPSTREAM_TIMEOUT) as s:
            s.sendall(struct.pack("!H", len(msg)) + msg)
            n = struct.unpack("!H", recv_exact(s, 2))[0]
            return recv_exact(s, n)


def _udp_query(sock: socket.socket, flt: Filter, msg: bytes, peer) -> None:
    try:
        resp = flt.answer("udp", peer, msg)
        if resp is not None:
            sock.sendto(resp, peer)
    except (OSError, ValueError, IndexError, struct.error):
        pass  # no answer: the client times out, as with a lost packet


def _udp_loop(sock: socket.socket, flt: Filter) -> None:
    while True:
        try:
            msg, peer = sock.recvfrom(65535)
        except OSError:
            return
        threading.Thread(target=_udp_query, args=(sock, flt, msg, peer), daemon=True).start()


def _tcp_conn(conn: socket.socket, peer, flt: Filter) -> None:
    conn.settimeout(TCP_IDLE_LIMIT)
    try:
        while True:
            n = struct.unpack("!H", recv_exact(conn, 2))[0]
            msg = recv_exact(conn, n)
            resp = flt.answer("tcp", peer, msg)
            if resp is not None:
                conn.sendall(struct.pack("!H", len(resp)) + resp)
    except (OSError, ConnectionError, ValueError, IndexError, struct.error):
        pass
    finally:
        conn.close()


def _tcp_loop(sock: socket.socket, flt: Filter) -> None:
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        threading.Thread(target=_tcp_conn, args=(conn, peer, flt), daemon=True).start()


def start(world, name: str, address: str, servfail: Sequence[tuple[str, str]],
          refuse: Sequence[tuple[str, str]] = (), drop: Sequence[tuple[str, str]] = ()):
    """Runs a filter on `address`:53 inside `world`'s namespace, forwarding to the world's
    resolver and failing the (name, type) pairs of `servfail` (SERVFAIL), `refuse` (REFUSED)
    and `drop` (no answer); stopped at the world's teardown. Its log is world.dir/NAME.jsonl."""
    base = Path(world.dir)
    ready = base / f"{name}.ready"
    ready.unlink(missing_ok=True)
    cfg = {"log": str(base / f"{name}.jsonl"), "ready": str(ready), "listen": address,
           "upstream": world.resolver, "servfail": [list(p) for p in servfail],
           "refuse": [list(p) for p in refuse], "drop": [list(p) for p in drop]}
    path = base / f"{name}.json"
    path.write_text(json.dumps(cfg))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), *filter(None, [env.get("PYTHONPATH")])])
    proc = world.spawn(name, [sys.executable, "-m", "world.dnsfilter", str(path)], env=env)
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if not proc.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start:\n{proc.log_tail()}")
        time.sleep(0.05)
    return proc


def main(argv: list[str]) -> int:
    with open(argv[1]) as f:
        cfg = json.load(f)
    flt = Filter(cfg)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((cfg["listen"], 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((cfg["listen"], 53))
    t.listen(64)
    threading.Thread(target=_udp_loop, args=(u, flt), daemon=True).start()
    threading.Thread(target=_tcp_loop, args=(t, flt), daemon=True).start()
    serve_until_sigterm(cfg["ready"])
    u.close()
    t.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
