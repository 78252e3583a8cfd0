"""Server-side TLS contexts shared by the policy host and the MX hosts, and a one-shot HTTPS
GET for the clients of the world (run inside the namespace)."""

from __future__ import annotations

import select
import socket
import ssl
import time
from typing import Optional, Sequence

_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def server_context(cert: str, key: str, versions: Optional[Sequence[str]] = None) -> ssl.SSLContext:
    """A server context presenting `cert` (chain, leaf first); `versions` = (min, max) or None.

    OpenSSL 3 refuses TLS 1.0/1.1 at security level 1 and above, so a context that allows them
    drops to security level 0.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if versions:
        lo, hi = _VERSIONS[versions[0]], _VERSIONS[versions[1]]
        if lo < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = lo
        ctx.maximum_version = hi
    return ctx


class ContextCache:
    """Per-(cert, key) contexts; the SNI callback switches a connection to one of them."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], ssl.SSLContext] = {}

    def get(self, cert: str, key: str) -> ssl.SSLContext:
        ctx = self._cache.get((cert, key))
        if ctx is None:
            ctx = server_context(cert, key)
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            self._cache[(cert, key)] = ctx
        return ctx


def wait_peer_close(sock: socket.socket, limit: float) -> tuple[bool, float]:
    """Blocks until the peer closes `sock` (or sends anything) or `limit` seconds pass.

    Returns (peer_acted, seconds waited). Works on plain and TLS sockets because it only looks at
    readability of the file descriptor.
    """
    start = time.monotonic()
    deadline = start + limit
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False, time.monotonic() - start
        try:
            r, _, _ = select.select([sock.fileno()], [], [], min(left, 1.0))
        except (OSError, ValueError):
            return True, time.monotonic() - start
        if r:
            return True, time.monotonic() - start


def https_get(address: str, port: int, sni: str, request_head: str, cafile: str,
              timeout: float) -> bytes:
    """Sends `request_head` (request line and header fields, with the final blank line) over
    one TLS connection to address:port, with SNI `sni`, verified for `sni` against `cafile`;
    the raw response bytes, read until the server closes."""
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((address, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=sni) as s:
            s.sendall(request_head.encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return data
                data += chunk
