"""pebble, the ACME test CA (Debian's `pebble` package), inside the test world's namespace.

Its HTTPS API presents a certificate from the world's test CA for `name` (an A record at
`address` is added to the world's DNS), it resolves names through the world's unbound
(`-dnsserver 127.0.0.1:53`), and validates HTTP-01 on port 80 and TLS-ALPN-01 on port 443 of
the address a name resolves to. PEBBLE_VA_NOSLEEP=1 makes validation immediate; the share of
good nonces pebble refuses as badNonce (PEBBLE_WFE_NONCEREJECT, 5% by default) is left as it is,
so clients meet their retry path. The root that signs issued certificates changes on every
start; `root_file` holds it, fetched from the management port (`/roots/0`).

    ca = Pebble(world).start()
    ca.directory_url   # https://pebble.test:14000/dir
    ca.root_file       # PEM of the issuing root
    ca.accounts()      # ACME accounts it registered since this start
    ca.stop()
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Optional

from world.netns import Process, WorldError, tool
from world.tlsutil import https_get

ACME_PORT = 14000
MANAGEMENT_PORT = 15000


def _get(host: str, address: str, port: int, path: str, cafile: str, timeout: float) -> bytes:
    """One HTTPS GET to address:port with SNI and verification for `host` (in the namespace)."""
    data = https_get(address, port, host,
                     f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n",
                     cafile, timeout)
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1] if b" " in head else b"?"
    if status != b"200":
        raise WorldError(f"pebble {path}: HTTP {status.decode(errors='replace')}")
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return body


class Pebble:
    __test__ = False

    def __init__(self, world, name: str = "pebble.test", address: str = "127.0.4.1",
                 http_port: int = 80, tls_port: int = 443,
                 env: Optional[dict[str, str]] = None,
                 validity_seconds: Optional[int] = None) -> None:
        self.world = world
        self.name = name
        self.address = address
        self.http_port = http_port
        self.tls_port = tls_port
        self.extra_env = dict(env or {})
        self.validity_seconds = validity_seconds  # of the certificates issued (pebble 2.4+)
        self.dir = Path(world.dir) / "pebble"
        self.root_file = self.dir / "root.pem"
        self.directory_url = f"https://{name}:{ACME_PORT}/dir"
        self.proc: Optional[Process] = None
        self.log_file = self.dir / "pebble.log"
        self.log_start = 0  # where this start's lines begin (every start appends)

    def start(self, timeout: float = 20.0) -> "Pebble":
        binary = tool("pebble")
        if binary is None:
            raise WorldError("pebble is not installed: run scripts/install-host-deps.sh")
        self.dir.mkdir(parents=True, exist_ok=True)
        cert = self.world.cert(self.name)
        config = {"pebble": {
            "listenAddress": f"{self.address}:{ACME_PORT}",
            "managementListenAddress": f"{self.address}:{MANAGEMENT_PORT}",
            "certificate": str(cert.cert), "privateKey": str(cert.key),
            "httpPort": self.http_port, "tlsPort": self.tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        if self.validity_seconds is not None:
            config["pebble"]["certificateValidityPeriod"] = self.validity_seconds
        config_file = self.dir / "pebble-config.json"
        config_file.write_text(json.dumps(config, indent=1))
        self.world.dns.set(self.name, "A", self.address, ttl=300)
        env = dict(os.environ)
        env["PEBBLE_VA_NOSLEEP"] = "1"
        env.update(self.extra_env)
        self.log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        self.proc = self.world.spawn("pebble", [binary, "-config", str(config_file),
                                                "-dnsserver", f"{self.world.resolver}:53"],
                                     log_path=self.log_file, env=env)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.world.wait_port(self.address, ACME_PORT, timeout=1.0)
                self.world.wait_port(self.address, MANAGEMENT_PORT, timeout=1.0)
                break
            except WorldError:
                if not self.proc.alive() or time.monotonic() > deadline:
                    raise WorldError(f"pebble did not start:\n{self.proc.log_tail()}") from None
        root = self.world.call(_get, self.name, self.address, MANAGEMENT_PORT, "/roots/0",
                               str(self.world.ca_file), 10.0)
        if b"BEGIN CERTIFICATE" not in root:
            raise WorldError(f"pebble's /roots/0 is not a PEM certificate: {root[:200]!r}")
        self.root_file.write_bytes(root)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            if self.proc in self.world.netns.processes:
                self.world.netns.processes.remove(self.proc)
            self.proc = None

    def accounts(self) -> int:
        """How many ACME accounts pebble registered since it started: it logs "There are now N
        accounts in memory" for each new one (a newAccount for a known key makes none)."""
        with open(self.log_file, "rb") as f:
            f.seek(self.log_start)
            text = f.read().decode(errors="replace")
        counts = re.findall(r"There are now (\d+) accounts in memory", text)
        return int(counts[-1]) if counts else 0

    def log_tail(self, lines: int = 40) -> str:
        return self.proc.log_tail(lines) if self.proc else ""
