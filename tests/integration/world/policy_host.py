"""The HTTPS policy host of the test world, run inside the namespace:

    python3 -m world.policy_host CONFIG.json

It listens on port 443 (TLS) and port 80 (plaintext, recorded, always 404) of every listener
address. The certificate comes from SNI, the behaviour from the Host header (SNI when there is no
Host header), both per host of CONFIG["hosts"]. CONFIG is re-read at each new connection when its
mtime changed, so the harness can change behaviours while the server runs.

Events (see eventlog.py), all with "conn" (connection number), "listener" and "peer":
  connect    {}                                         TLS connection accepted
  sni        {sni}                                      ClientHello named a server (sni may be null)
  tls        {sni, version, cipher}                       handshake completed
  tls_error  {sni, error, aborted, stalled, peer_closed}  handshake failed; aborted: "alert" or
             "stall" when the host's behaviour ended it on purpose, else null
  request    {scheme, sni, host, key, method, target, version, headers}
  response   {scheme, key, status, header_bytes, body_bytes, complete, peer_closed, stalled, error,
              duration}
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import socket
import ssl
import sys
import threading
import time
from http import HTTPStatus
from typing import Iterator, Optional

from world.eventlog import EventWriter
from world.model import POLICY_PATH, filler
from world.serving import serve_until_sigterm
from world.tlsutil import ContextCache, server_context, wait_peer_close

HEAD_LIMIT = 65536
IO_TIMEOUT = 30.0
ENDLESS_CAP = 64 * 1024 * 1024


class PeerGone(Exception):
    pass


def endless_body(head: bytes) -> Iterator[bytes]:
    yield head
    piece = filler(16384)
    while True:
        yield piece


class Server:
    def __init__(self, cfg_path: str) -> None:
        self.cfg_path = cfg_path
        self._lock = threading.Lock()
        self._mtime: tuple = (0, 0)
        self.cfg: dict = {}
        self._reload()
        self.log = EventWriter(self.cfg["log"])
        self.ctxs = ContextCache()
        self.ids = itertools.count(1)

    def _reload(self) -> None:
        st = os.stat(self.cfg_path)
        with self._lock:
            if (st.st_ino, st.st_mtime_ns) != self._mtime:
                with open(self.cfg_path) as f:
                    self.cfg = json.load(f)
                self._mtime = (st.st_ino, st.st_mtime_ns)

    def hosts(self) -> dict:
        self._reload()
        with self._lock:
            return self.cfg["hosts"]

    def context_for(self, cert: str, key: str) -> ssl.SSLContext:
        with self._lock:
            return self.ctxs.get(cert, key)

    def serve_tls(self, raw: socket.socket, peer, listener: dict) -> None:
        cid = next(self.ids)
        lname = f"{listener['address']}:443"
        hosts = self.hosts()
        state: dict = {"sni": None, "stalled": None, "peer_closed": False, "aborted": None}
        self.log.write("connect", conn=cid, listener=lname, peer=peer)
        ctx = server_context(listener["default_cert"], listener["default_key"],
                             listener.get("tls_versions"))

        def on_sni(sslsock, server_name, _ctx):
            state["sni"] = server_name
            self.log.write("sni", conn=cid, listener=lname, peer=peer, sni=server_name)
            h = hosts.get(server_name.lower().rstrip(".")) if server_name else None
            if h is None:
                return None
            if h["alert"]:
                state["aborted"] = "alert"
                return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE
            if h["stall"] == "handshake":
                acted, waited = wait_peer_close(sslsock, h["stall_seconds"])
                state["stalled"] = round(waited, 3)
                state["peer_closed"] = acted
                state["aborted"] = "stall"
                return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE
            sslsock.context = self.context_for(h["cert"], h["key"])
            return None

        ctx.sni_callback = on_sni
        raw.settimeout(IO_TIMEOUT)
        try:
            tls = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log.write("tls_error", conn=cid, listener=lname, peer=peer, sni=state["sni"],
                           error=str(e), aborted=state["aborted"], stalled=state["stalled"],
                           peer_closed=state["peer_closed"])
            raw.close()
            return
        cipher = tls.cipher()
        self.log.write("tls", conn=cid, listener=lname, peer=peer, sni=state["sni"],
                       version=tls.version(), cipher=cipher[0] if cipher else None)
        self.serve_http(tls, cid, peer, lname, state["sni"], hosts, "https")

    def serve_plain(self, raw: socket.socket, peer, listener: dict) -> None:
        cid = next(self.ids)
        raw.settimeout(IO_TIMEOUT)
        self.serve_http(raw, cid, peer, f"{listener['address']}:80", None, {}, "http")

    def serve_http(self, sock, cid: int, peer: str, lname: str, sni: Optional[str], hosts: dict,
                   scheme: str) -> None:
        start = time.monotonic()
        try:
            head = read_head(sock)
        except (OSError, ValueError, PeerGone) as e:
            self.log.write("request_error", conn=cid, scheme=scheme, listener=lname, peer=peer,
                           sni=sni, error=str(e) or type(e).__name__)
            sock.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        method, target, version = (parts + ["", "", ""])[:3]
        headers = []
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.append([k.strip(), v.strip()])
        host = next((v for k, v in headers if k.lower() == "host"), None)
        if host is not None:
            host = host.rsplit(":", 1)[0] if not host.startswith("[") else host
            host = host.lower().rstrip(".")
        key = host or (sni.lower().rstrip(".") if sni else None)
        self.log.write("request", conn=cid, scheme=scheme, listener=lname, peer=peer, sni=sni,
                       host=host, key=key, method=method, target=target, version=version,
                       headers=headers)
        h = hosts.get(key) if key else None
        res = {"status": None, "header_bytes": 0, "body_bytes": 0, "complete": False,
               "peer_closed": False, "stalled": None, "error": None}
        try:
            if h is None or target.split("?")[0] != POLICY_PATH or scheme != "https":
                respond_simple(sock, 404, b"not found\r\n", res)
            else:
                respond(sock, h, method, res)
        except (OSError, PeerGone) as e:
            res["peer_closed"] = True
            res["error"] = str(e) or type(e).__name__
        finally:
            try:
                sock.close()
            except OSError:
                pass
            self.log.write("response", conn=cid, scheme=scheme, listener=lname, peer=peer,
                           key=key, duration=round(time.monotonic() - start, 3), **res)


def read_head(sock) -> bytes:
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > HEAD_LIMIT:
            raise ValueError("request head over 64 KiB")
        chunk = sock.recv(4096)
        if not chunk:
            raise PeerGone("closed before a complete request head")
        buf += chunk
    return buf.split(b"\r\n\r\n", 1)[0]


def send(sock, data: bytes) -> None:
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError) as e:
        raise PeerGone(str(e) or type(e).__name__)


def respond_simple(sock, status: int, body: bytes, res: dict) -> None:
    head = (f"HTTP/1.1 {status} {reason(status)}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    res["status"] = status
    send(sock, head)
    res["header_bytes"] = len(head)
    send(sock, body)
    res["body_bytes"] = len(body)
    res["complete"] = True


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def respond(sock, h: dict, method: str, res: dict) -> None:
    if h["stall"] == "request":
        acted, waited = wait_peer_close(sock, h["stall_seconds"])
        res["stalled"], res["peer_closed"] = round(waited, 3), acted
        return
    body = base64.b64decode(h["body"])
    status = h["status"]
    headers: list[tuple[str, str]] = []
    if h["redirect"]:
        if not 300 <= status < 400:
            status = 301
        headers.append(("Location", h["redirect"]))
    if h["content_type"] is not None:
        headers.append(("Content-Type", h["content_type"]))
    headers += [(k, v) for k, v in h["headers"]]
    cl = h["content_length"]
    if h["chunked"]:
        headers.append(("Transfer-Encoding", "chunked"))
    if cl is True and not h["chunked"] and not h["endless"]:
        headers.append(("Content-Length", str(len(body))))
    elif cl is not True and cl is not False:
        headers.append(("Content-Length", str(int(cl))))
    headers.append(("Connection", "close"))
    head = f"HTTP/1.1 {status} {reason(status)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    res["status"] = status
    send(sock, head.encode("latin-1"))
    res["header_bytes"] = len(head)
    if h["stall"] == "headers":
        acted, waited = wait_peer_close(sock, h["stall_seconds"])
        res["stalled"], res["peer_closed"] = round(waited, 3), acted
        return
    if method.upper() == "HEAD":
        res["complete"] = True
        return

    stop_at = h["close_after"]
    if h["stall"] == "body":
        stop_at = h["stall_after"] if stop_at is None else min(stop_at, h["stall_after"])
    piece_size = 1 if h["trickle"] else (h["chunk_size"] if h["chunked"] else 16384)
    deadline = time.monotonic() + h["stall_seconds"]
    source = endless_body(body) if h["endless"] else iter([body])
    buf = b""
    sent = 0
    while True:
        if stop_at is not None and sent >= stop_at:
            break
        if h["endless"] and (sent >= ENDLESS_CAP or time.monotonic() > deadline):
            res["error"] = "endless body reached its cap"
            return
        if not buf:
            buf = next(source, None)
            if buf is None:
                break
            continue
        n = piece_size if stop_at is None else min(piece_size, stop_at - sent)
        piece, buf = buf[:n], buf[n:]
        if h["trickle"]:
            if time.monotonic() > deadline:
                res["error"] = "trickle reached stall_seconds"
                return
            time.sleep(h["trickle"])
        send(sock, b"%x\r\n%s\r\n" % (len(piece), piece) if h["chunked"] else piece)
        sent += len(piece)
        res["body_bytes"] = sent
    if stop_at is not None and sent >= stop_at:
        if h["stall"] == "body" and sent >= h["stall_after"]:
            acted, waited = wait_peer_close(sock, h["stall_seconds"])
            res["stalled"], res["peer_closed"] = round(waited, 3), acted
        return
    if h["chunked"]:
        send(sock, b"0\r\n\r\n")
    res["complete"] = True


def _accept_loop(server: Server, lsock: socket.socket, listener: dict, tls: bool) -> None:
    while True:
        try:
            conn, addr = lsock.accept()
        except OSError:
            return
        peer = f"{addr[0]}:{addr[1]}"
        target = server.serve_tls if tls else server.serve_plain
        threading.Thread(target=_guarded, args=(target, conn, peer, listener), daemon=True).start()


def _guarded(target, conn, peer, listener) -> None:
    try:
        target(conn, peer, listener)
    except Exception as e:  # one connection's failure must not take the server down
        print(f"policy_host: connection from {peer}: {type(e).__name__}: {e}", file=sys.stderr)
        try:
            conn.close()
        except OSError:
            pass


def _listen(address: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    s.listen(128)
    return s


def main(argv: list[str]) -> int:
    server = Server(argv[1])
    socks = []
    for listener in server.cfg["listeners"]:
        for port, tls in ((443, True), (80, False)):
            s = _listen(listener["address"], port)
            socks.append(s)
            threading.Thread(target=_accept_loop, args=(server, s, listener, tls),
                             daemon=True).start()
    serve_until_sigterm(server.cfg["ready"])
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
