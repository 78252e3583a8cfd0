"""`mtasts host` in the test world: instances started with a configuration written from a dict,
their admin API and CLI, clients that fetch a policy from one address with SNI, and a private
PostgreSQL for clusters.

    host = HostInstance(world, mtasts_bin, "h1", config=host_config(...)).start()
    host.cli("domain", "add", "a.test")          # mtasts host -c <its config> domain add a.test
    status, body = host.api("GET", "/v1/domains")
    host.stop()
"""

from __future__ import annotations

import ast
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

from world.netns import WorldError, tool
from world.tlsutil import https_get

READY_TIMEOUT = 30.0


def wait_for(probe: Callable[[], Optional[Any]], timeout: float, step: float = 0.25):
    """The first value of `probe()` that is neither None nor False, or None after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(step)


def host_config(state_dir: Path, address: str, admin_port: int, hostname: str,
                directory_url: str, acme_ca_file: Path, **extra: Any) -> dict:
    """A configuration for one instance: policy server on address:443 and :80, admin API on
    127.0.0.1:admin_port, SQLite in state_dir, pebble as the CA, the world's resolver, fast
    sync and monitor. `extra` keys replace top-level keys (dicts are merged one level deep)."""
    config: dict[str, Any] = {
        "service": {"hostname": hostname, "record_ttl": 1},
        "listen": {"https": [f"{address}:443"], "http": [f"{address}:80"], "threads": 2},
        "admin": {"listen": f"127.0.0.1:{admin_port}",
                  "token_file": str(state_dir / "tokens")},
        "store": {"type": "sqlite", "filename": str(state_dir / "host.db")},
        "acme": {"directory": directory_url, "contact": ["hostmaster@provider.test"],
                 "ca_file": str(acme_ca_file), "order_timeout": 60},
        "dns_servers": ["127.0.0.1"],
        "ca_file": str(acme_ca_file),
        "sync_interval": 1,
        "monitor": {"interval": 0},
        "state_dir": str(state_dir),
        "user": "root",
        "shutdown_timeout": 1,
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def bundle(path: Path, *files: Path) -> Path:
    """One PEM file holding every file given (pebble's root and the world's CA, say)."""
    path.write_text("".join(Path(f).read_text() for f in files))
    return path


class HostInstance:
    """One `mtasts host` process inside the namespace."""

    __test__ = False

    def __init__(self, world, binary: str, name: str, config: dict,
                 token: Optional[str] = None) -> None:
        self.world = world
        self.binary = binary
        self.name = name
        self.config = config
        self.state_dir = Path(config["state_dir"])
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.state_dir / "host.yml"
        self.token_path = Path(config["admin"]["token_file"])
        self.token = token or secrets.token_hex(24)
        self.admin_port = int(config["admin"]["listen"].rsplit(":", 1)[1])
        self.log_path = Path(world.dir) / f"host-{name}.log"
        self.proc = None

    def start(self, wait: bool = True) -> "HostInstance":
        # JSON is YAML: the configuration is written as JSON text.
        self.config_path.write_text(json.dumps(self.config, indent=1))
        if not self.token_path.exists():
            self.token_path.write_text(f"tester {self.token}\nother {secrets.token_hex(24)}\n")
            self.token_path.chmod(0o600)
        self.proc = self.world.spawn(f"host-{self.name}",
                                     [self.binary, "host", "-c", str(self.config_path), "-v",
                                      "debug"], log_path=self.log_path)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        def ready() -> Optional[bool]:
            if self.proc is None or not self.proc.alive():
                raise WorldError(f"mtasts host {self.name} exited:\n{self.log_tail(40)}")
            return True if "event=ready" in self.log_text() else None

        if not wait_for(ready, timeout, step=0.1):
            raise WorldError(f"mtasts host {self.name} not ready after {timeout}s:\n"
                             f"{self.log_tail(40)}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(grace=10)
            if self.proc in self.world.netns.processes:
                self.world.netns.processes.remove(self.proc)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        """`mtasts host -c <config> ARGS` inside the namespace."""
        return self.world.run([self.binary, "host", "-c", str(self.config_path), *args],
                              timeout=timeout)

    def cli_json(self, *args: str) -> dict:
        r = self.cli(*args, "--json")
        assert r.returncode == 0, f"mtasts host {' '.join(args)}: {r.returncode}\n{r.stdout}{r.stderr}"
        return json.loads(r.stdout)

    def api(self, method: str, path: str, body: Any = None, token: Optional[str] = "",
            raw: Optional[bytes] = None) -> tuple[int, Any]:
        """One admin API request (token "" means this instance's, None means no header).
        Returns (status, parsed JSON or the text when it is none)."""
        headers = {}
        token = self.token if token == "" else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        if data is not None:
            headers["Content-Type"] = "application/json"

        def call():
            conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=30)
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            out = resp.status, resp.read().decode(errors="replace")
            conn.close()
            return out

        status, text = self.world.call(call, timeout=40)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def metrics(self) -> str:
        port = int(self.config["metrics"].rsplit(":", 1)[1])

        def call():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
            conn.close()
            return text

        return self.world.call(call)

    def domain(self, name: str) -> dict:
        status, body = self.api("GET", f"/v1/domains/{name}")
        assert status == 200, (status, body)
        return body

    def wait_certificate(self, name: str, timeout: float = 90.0) -> dict:
        """Waits until the domain's certificate is issued; returns the domain document."""
        def issued():
            d = self.domain(name)
            return d if (d.get("certificate") or {}).get("issued") else None

        found = wait_for(issued, timeout, step=0.5)
        if found is None:
            raise AssertionError(f"no certificate for mta-sts.{name} after {timeout}s:\n"
                                 f"{json.dumps(self.domain(name), indent=1)}\n{self.log_tail(40)}")
        return found



def start_host(world, binary: str, pebble, trust: Path, name: str, address: str,
               admin_port: int, hostname: str, **extra: Any) -> HostInstance:
    """The started instance `name` of host_config() (state in <world dir>/<name>): pebble as
    its ACME CA, `trust` (conftest's trust fixture) for everything it checks."""
    config = host_config(Path(world.dir) / name, address, admin_port, hostname,
                         pebble.directory_url, world.ca_file, ca_file=str(trust), **extra)
    return HostInstance(world, binary, name, config).start()

def fetch_policy(world, address: str, host: str, cafile: Path, port: int = 443,
                 path: str = "/.well-known/mta-sts.txt", timeout: float = 10.0) -> dict:
    """One HTTPS GET to address:port with SNI and Host `host`, verified against `cafile`.
    Returns {status, headers, body} or {error}."""
    def call():
        try:
            data = https_get(address, port, host,
                             f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
                             str(cafile), timeout)
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode(errors="replace").split("\r\n")
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            return {"status": int(lines[0].split()[1]), "headers": headers,
                    "body": body.decode(errors="replace")}
        except (OSError, ssl.SSLError, ValueError, IndexError) as e:
            return {"error": f"{type(e).__name__}: {e}"}

    return world.call(call, timeout=timeout + 10)


def post_tlsrpt(world, address: str, host: str, cafile: Path, body: bytes,
                content_type: str = "application/tlsrpt+gzip", timeout: float = 20.0) -> str:
    """POSTs a TLS-RPT report to https://HOST/tlsrpt at address:443 (SNI and Host `host`,
    verified against `cafile`); the whole HTTP response as text."""
    def call():
        context = ssl.create_default_context(cafile=str(cafile))
        with socket.create_connection((address, 443), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as s:
                s.sendall((f"POST /tlsrpt HTTP/1.1\r\nHost: {host}\r\n"
                           f"Content-Type: {content_type}\r\n"
                           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                           ).encode() + body)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        return data.decode(errors="replace")

    return world.call(call, timeout=timeout + 10)


def resolve(world, binary: str, domain: str, cafile: Path) -> tuple[int, dict]:
    """`mtasts resolve DOMAIN --json --ca-file CAFILE` (a sender's discovery)."""
    r = world.run([binary, "resolve", domain, "--json", "--ca-file", str(cafile), "--timeout", "10"],
                  timeout=60)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        raise AssertionError(f"mtasts resolve {domain}: {r.returncode}\n{r.stdout}\n{r.stderr}")


def peer_query(world, domain: str, cafile: Path) -> subprocess.CompletedProcess:
    """Debian's postfix-mta-sts-resolver `mta-sts-query DOMAIN`, trusting `cafile` only."""
    binary = tool("mta-sts-query")
    if binary is None:
        raise WorldError("mta-sts-query is missing: apt-get install postfix-mta-sts-resolver")
    env = dict(os.environ)
    env["SSL_CERT_FILE"] = str(cafile)
    env.pop("SSL_CERT_DIR", None)
    for k in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    return world.run([binary, domain], timeout=60, env=env)


def peer_policy(world, domain: str, cafile: Path) -> tuple[str, Optional[tuple[str, dict]]]:
    """What mta-sts-query found: its result name ("VALID", "NONE", "FETCH_ERROR", ...) and, when
    valid, (id, policy). It prints a Python repr such as
    (<STSFetchResult.VALID: 1>, ('20250101000000', {'version': 'STSv1', 'mode': 'testing', ...}))."""
    r = peer_query(world, domain, cafile)
    out = r.stdout.strip()
    m = re.match(r"^\(<STSFetchResult\.(\w+): \d+>, (.*)\)$", out, re.S)
    if not m:
        raise AssertionError(f"mta-sts-query {domain}: unexpected output ({r.returncode}):\n"
                             f"{r.stdout}\n{r.stderr}")
    if m.group(2) == "None":
        return m.group(1), None
    found = ast.literal_eval(m.group(2))
    return m.group(1), (found[0], found[1])


class PrivatePostgres:
    """A PostgreSQL server of its own inside the namespace (127.0.0.1:port), trust auth."""

    __test__ = False

    def __init__(self, world, port: int = 5451, database: str = "mtasts_host") -> None:
        self.world = world
        self.port = port
        self.database = database
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/{database}"
        self.proc = None
        self.scratch: Optional[Path] = None
        self.bin_dir: Optional[Path] = None

    def start(self, timeout: float = 60.0) -> "PrivatePostgres":
        dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
        if not dirs:
            raise WorldError("no PostgreSQL server under /usr/lib/postgresql: run "
                             "scripts/install-host-deps.sh")
        self.bin_dir = dirs[-1].parent
        owner = pwd.getpwnam("postgres")
        # Outside the world's directory: pytest's base directory is root-only (0700).
        self.scratch = Path(tempfile.mkdtemp(prefix="mtasts-host-pg-"))
        os.chown(self.scratch, owner.pw_uid, owner.pw_gid)
        data = self.scratch / "data"
        as_postgres = ["runuser", "-u", "postgres", "--"]
        init = subprocess.run([*as_postgres, str(self.bin_dir / "initdb"), "-D", str(data), "-U",
                               "postgres", "-A", "trust", "--no-sync", "--locale=C", "-E", "UTF8"],
                              capture_output=True, text=True, timeout=120, cwd=self.scratch)
        if init.returncode != 0:
            raise WorldError(f"initdb failed: {init.stderr}")
        self.proc = self.world.spawn("host-postgres", [
            *as_postgres, str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(self.port),
            "-k", str(self.scratch), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            cwd=str(self.scratch))

        def ready():
            if not self.proc.alive():
                raise WorldError(f"postgres exited:\n{self.proc.log_tail()}")
            r = self.world.run([str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p",
                                str(self.port)], timeout=10)
            return r.returncode == 0 or None

        if not wait_for(ready, timeout, step=0.3):
            raise WorldError(f"postgres did not start:\n{self.proc.log_tail()}")
        made = self.world.run([str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p",
                               str(self.port), "-U", "postgres", self.database], timeout=30)
        if made.returncode != 0:
            raise WorldError(f"createdb failed: {made.stderr}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin_dir / "pg_ctl"), "stop",
                            "-D", str(self.scratch / "data"), "-m", "fast", "-w", "-t", "20"],
                           capture_output=True, timeout=40, cwd=self.scratch)
            self.proc.stop()
            self.proc = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
