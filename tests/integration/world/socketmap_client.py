"""A small client of Postfix's socketmap protocol (socketmap_table(5)), as tests need it.

A request is the netstring "<map> <key>", a reply the netstring "OK <data>", "NOTFOUND ",
"TEMP <reason>", "TIMEOUT <reason>" or "PERM <reason>". Postfix sends one request per connection
at a time and waits for the reply; `query_batch` also sends several at once (pipelining), which a
server must answer in order.

The functions open sockets: call them inside the test world's namespace, e.g.
`world.call(query, ("127.0.0.1", 8461), "postfix", "example.test")`.
"""

from __future__ import annotations

import socket
import time
from typing import Sequence, Union

Address = Union[tuple[str, int], str]  # (host, port) or the path of a UNIX socket

REPLY_LIMIT = 100000  # Postfix's socketmap reply limit (socketmap_table(5))


class SocketmapError(RuntimeError):
    """The server broke the protocol, closed the connection early, or did not answer in time."""


def encode(payload: Union[str, bytes]) -> bytes:
    """One netstring: b"<len>:<payload>,"."""
    data = payload.encode() if isinstance(payload, str) else payload
    return str(len(data)).encode() + b":" + data + b","


def request(map_name: str, key: str) -> bytes:
    """The netstring a client sends to look `key` up in socketmap `map_name`."""
    return encode(f"{map_name} {key}")


class Decoder:
    """Incremental netstring decoder: feed() bytes, then next() until it returns None."""

    def __init__(self, limit: int = REPLY_LIMIT) -> None:
        self._buf = bytearray()
        self._limit = limit

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next(self) -> Union[bytes, None]:
        colon = self._buf.find(b":")
        if colon < 0:
            if len(self._buf) > 10 or (self._buf and not self._buf.isdigit()):
                raise SocketmapError(f"bad netstring length {bytes(self._buf[:20])!r}")
            return None
        digits = bytes(self._buf[:colon])
        if not digits.isdigit() or len(digits) > 10:
            raise SocketmapError(f"bad netstring length {digits[:20]!r}")
        n = int(digits)
        if n > self._limit:
            raise SocketmapError(f"netstring of {n} bytes exceeds {self._limit}")
        end = colon + 1 + n
        if len(self._buf) < end + 1:
            return None
        if self._buf[end:end + 1] != b",":
            raise SocketmapError("netstring not terminated by ','")
        payload = bytes(self._buf[colon + 1:end])
        del self._buf[:end + 1]
        return payload


def connect(addr: Address, timeout: float = 10.0) -> socket.socket:
    """A connected socket to a TCP (host, port) or a UNIX socket path."""
    if isinstance(addr, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(addr)
    except OSError:
        s.close()
        raise
    return s


class Connection:
    """One socketmap connection, reused for many queries (as Postfix reuses its connection).

    Every call is bounded by `timeout` seconds in total. Use as a context manager.
    """

    def __init__(self, addr: Address, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.sock = connect(addr, timeout)
        self._dec = Decoder()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_replies(self, count: int) -> list[str]:
        """Reads `count` replies (decoded as UTF-8, invalid bytes escaped)."""
        out: list[str] = []
        deadline = time.monotonic() + self.timeout
        while len(out) < count:
            item = self._dec.next()
            if item is not None:
                out.append(item.decode("utf-8", "backslashreplace"))
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise SocketmapError(f"{len(out)} of {count} replies after {self.timeout}s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise SocketmapError(f"{len(out)} of {count} replies after {self.timeout}s") \
                    from None
            if not chunk:
                raise SocketmapError(f"connection closed after {len(out)} of {count} replies")
            self._dec.feed(chunk)
        return out

    def query(self, map_name: str, key: str) -> str:
        """One request, one reply: the reply payload, e.g. "OK secure match=..." or "NOTFOUND "."""
        self.send_raw(request(map_name, key))
        return self.read_replies(1)[0]

    def query_batch(self, map_name: str, keys: Sequence[str]) -> list[str]:
        """All requests at once (pipelined); the replies in request order."""
        self.send_raw(b"".join(request(map_name, k) for k in keys))
        return self.read_replies(len(keys))


def query(addr: Address, map_name: str, key: str, timeout: float = 10.0) -> str:
    """Looks `key` up in socketmap `map_name` at `addr` on a fresh connection."""
    with Connection(addr, timeout) as c:
        return c.query(map_name, key)


def query_batch(addr: Address, map_name: str, keys: Sequence[str],
                timeout: float = 30.0) -> list[str]:
    """Pipelined lookups of `keys` on one connection; the replies in order."""
    with Connection(addr, timeout) as c:
        return c.query_batch(map_name, keys)


def query_sequential(addr: Address, map_name: str, keys: Sequence[str],
                     timeout: float = 30.0) -> list[str]:
    """Lookups of `keys` on one connection, one at a time (as Postfix sends them)."""
    with Connection(addr, timeout) as c:
        return [c.query(map_name, k) for k in keys]
