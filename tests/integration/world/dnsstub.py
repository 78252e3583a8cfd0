"""Misbehaving DNS servers, run inside the namespace:

    python3 -m world.dnsstub CONFIG.json

CONFIG: {"log": path, "ready": path, "servfail": ["127.0.0.54"], "blackhole": ["127.0.0.99"]}

- servfail addresses answer every UDP and TCP query on port 53 with rcode SERVFAIL;
- blackhole addresses read every UDP query and accept TCP connections, and never answer.
Every query is logged as {"event": "query", "server": "servfail"|"blackhole", "proto", "peer",
"qname", "qtype"}.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading

from world.dnswire import QTYPE_NAMES, parse_question, recv_exact, servfail_response
from world.eventlog import EventWriter
from world.serving import serve_until_sigterm

TCP_IDLE_LIMIT = 120.0


def _log_query(log: EventWriter, kind: str, proto: str, peer, msg: bytes) -> None:
    try:
        _, _, qname, qtype = parse_question(msg)
    except (ValueError, IndexError):
        qname, qtype = "", 0
    log.write("query", server=kind, proto=proto, peer=f"{peer[0]}:{peer[1]}", qname=qname,
              qtype=QTYPE_NAMES.get(qtype, str(qtype)))


def _udp_loop(sock: socket.socket, kind: str, log: EventWriter) -> None:
    while True:
        try:
            msg, peer = sock.recvfrom(65535)
        except OSError:
            return
        _log_query(log, kind, "udp", peer, msg)
        if kind == "servfail":
            try:
                sock.sendto(servfail_response(msg), peer)
            except (OSError, ValueError, IndexError, struct.error):
                pass


def _tcp_conn(conn: socket.socket, peer, kind: str, log: EventWriter) -> None:
    conn.settimeout(TCP_IDLE_LIMIT)
    try:
        while True:
            n = struct.unpack("!H", recv_exact(conn, 2))[0]
            msg = recv_exact(conn, n)
            _log_query(log, kind, "tcp", peer, msg)
            if kind == "servfail":
                resp = servfail_response(msg)
                conn.sendall(struct.pack("!H", len(resp)) + resp)
    except (OSError, ConnectionError, ValueError, IndexError, struct.error):
        pass
    finally:
        conn.close()


def _tcp_loop(sock: socket.socket, kind: str, log: EventWriter) -> None:
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        threading.Thread(target=_tcp_conn, args=(conn, peer, kind, log), daemon=True).start()


def main(argv: list[str]) -> int:
    with open(argv[1]) as f:
        cfg = json.load(f)
    log = EventWriter(cfg["log"])
    socks = []
    for kind in ("servfail", "blackhole"):
        for addr in cfg.get(kind, []):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((addr, 53))
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((addr, 53))
            t.listen(64)
            socks += [u, t]
            threading.Thread(target=_udp_loop, args=(u, kind, log), daemon=True).start()
            threading.Thread(target=_tcp_loop, args=(t, kind, log), daemon=True).start()
    serve_until_sigterm(cfg["ready"])
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
