"""The few DNS wire-format pieces the harness needs itself (readiness probes, the SERVFAIL server).

Tests use real clients (dig, the product); this is only plumbing.
"""

from __future__ import annotations

import random
import socket
import struct
import time
from typing import Optional

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "TLSA": 52}
QTYPE_NAMES = {v: k for k, v in QTYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def build_query(name: str, qtype: str = "A", qid: Optional[int] = None, rd: bool = True) -> bytes:
    qid = random.randrange(65536) if qid is None else qid
    flags = 0x0100 if rd else 0
    header = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", QTYPES[qtype], 1)


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode()
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def parse_question(msg: bytes) -> tuple[int, int, str, int]:
    """Returns (id, flags, qname, qtype) of a query; raises ValueError when malformed."""
    if len(msg) < 12:
        raise ValueError("short DNS message")
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if qdcount < 1:
        return qid, flags, "", 0
    labels = []
    pos = 12
    for _ in range(128):
        if pos >= len(msg):
            raise ValueError("truncated name")
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xC0:
            raise ValueError("compressed name in question")
        labels.append(msg[pos:pos + n].decode(errors="replace"))
        pos += n
    if pos + 4 > len(msg):
        raise ValueError("truncated question")
    qtype = struct.unpack("!H", msg[pos:pos + 2])[0]
    return qid, flags, ".".join(labels) + ".", qtype


def question_end(msg: bytes) -> int:
    pos = 12
    for _ in range(128):
        n = msg[pos]
        pos += 1
        if n == 0:
            return pos + 4
        pos += n
    raise ValueError("name too long")


RCODE_SERVFAIL = 2
RCODE_REFUSED = 5


def servfail_response(query: bytes, rcode: int = RCODE_SERVFAIL) -> bytes:
    """Echoes the query's id, opcode, RD and question with QR=1, RA=1 and rcode SERVFAIL (or
    `rcode`)."""
    qid, flags = struct.unpack("!HH", query[:4])
    opcode_rd = flags & 0x7900
    out_flags = 0x8000 | opcode_rd | 0x0080 | rcode
    qdcount = struct.unpack("!H", query[4:6])[0]
    question = query[12:question_end(query)] if qdcount >= 1 else b""
    return struct.pack("!HHHHHH", qid, out_flags, 1 if question else 0, 0, 0, 0) + question


def recv_exact(conn: socket.socket, n: int) -> bytes:
    """Exactly n bytes from a stream socket (a TCP DNS length prefix or message)."""
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("eof")
        buf += chunk
    return buf


def response_rcode(msg: bytes) -> int:
    return struct.unpack("!H", msg[2:4])[0] & 0x000F


def udp_query(server: str, name: str, qtype: str = "SOA", port: int = 53,
              timeout: float = 0.5) -> Optional[int]:
    """Sends one query and returns the rcode of the matching answer, or None on timeout."""
    q = build_query(name, qtype)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, (server, port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, _ = s.recvfrom(4096)
            except (socket.timeout, ConnectionRefusedError, OSError):
                return None
            if len(data) >= 12 and data[:2] == q[:2]:
                return response_rcode(data)
    return None
