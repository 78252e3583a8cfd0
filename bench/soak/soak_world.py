"""What the soak runs in the test world (tests/integration/world): its domains, the two
`mtasts daemon` instances (SQLite cache on a small tmpfs, and Redis), Redis itself, the DNS
switch the daemons ask, `mtasts host` with hosted domains, and the expected reply of every
socketmap key (the model the load client checks each reply against).

Domain classes asked of the daemons:
- enforce: an enforce policy whose `mx` names exactly the domain's MX host, cached during
  warm-up. Its reply is `OK secure match=mx1.<d> servername=hostname` whatever fails: a failed
  refresh keeps the cached policy (RFC 8461 §3.3), and a failed MX lookup answers the policy's
  names without a wildcard (docs/daemon.md, "Never wider than the policy"), which here are the
  same single name.
- testing: a testing policy: `NOTFOUND ` (testing never makes Postfix enforce).
- nopolicy: MX records, no `_mta-sts` record: `NOTFOUND `.
- unknown: names that do not exist, from a pool that cycles (each name goes cold again once
  its negative TTL of 2 s has passed): `NOTFOUND `, after a discovery.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from world import Domain, Policy, Record  # noqa: E402
from world.peer import MtastsDaemon, daemon_config  # noqa: E402

ZONE_TIMEOUT = 2  # the daemons' default_zone timeout: the longest a lookup may wait (docs)
CACHE_GRACE = 1  # TXT re-checks of cached domains every second, so faults meet them
DNS_SWITCH = "127.0.0.58"
DEAD_ADDRESS = "127.0.3.250"  # nothing listens there: a policy host that is down
REDIS_PORT = 16390
PORTS = {"sqlite": 18801, "redis": 18802}
METRICS = {"sqlite": 18811, "redis": 18812}
HOST_ADDRESS = "127.0.6.30"
HOST_ADMIN = 18821
HOST_METRICS = 18822
PROVIDER = "soak-provider.test"
HOST_NAME = f"host.{PROVIDER}"
TMPFS_SIZE = "4m"

ENFORCE = [f"e{i}.soak.test" for i in range(10)]
TESTING = [f"t{i}.soak.test" for i in range(5)]
NOPOLICY = [f"n{i}.soak.test" for i in range(5)]
UNKNOWN_TEMPLATE = "u{n}.unknown.soak.test"
HOSTED = [f"h{i}.soakhost.test" for i in range(4)]


def enforce_reply(domain: str) -> str:
    return f"OK secure match=mx1.{domain} servername=hostname"


def domains() -> list:
    """The world's domains for the soak (a test module's WORLD_DOMAINS)."""
    out = []
    for d in ENFORCE:
        out.append(Domain(d, sts="v=STSv1; id=1", policy=Policy(mode="enforce", mx=[f"mx1.{d}"]),
                          mx=[f"mx1.{d}"], ttl=1))
    for d in TESTING:
        out.append(Domain(d, sts="v=STSv1; id=1", policy=Policy(mode="testing"), mx=[f"mx1.{d}"],
                          ttl=1))
    for d in NOPOLICY:
        out.append(Domain(d, mx=[f"mx1.{d}"], ttl=1))
    out.append(Domain(PROVIDER, records=[Record(HOST_NAME, "A", HOST_ADDRESS)]))
    for d in HOSTED:
        out.append(Domain(d, mx=[f"mx1.{d}"], ttl=1,
                          records=[Record(f"mta-sts.{d}", "CNAME", f"{HOST_NAME}.")]))
    return out


def key_lines(mix: dict[str, int], unknown: str = UNKNOWN_TEMPLATE) -> list[str]:
    """The load client's key file: `CLASS\\tKEY\\tEXPECTED`, `mix` giving each class's share in
    percent, `unknown` the template of unknown names. Classes are interleaved so every stretch
    of the file has the same mix."""
    pools = {"enforce": [(d, enforce_reply(d)) for d in ENFORCE],
             "testing": [(d, "NOTFOUND ") for d in TESTING],
             "nopolicy": [(d, "NOTFOUND ") for d in NOPOLICY],
             "unknown": [(unknown, "NOTFOUND ")]}
    lines, cursor = [], {c: 0 for c in pools}
    for slot in range(100):
        for cls, share in mix.items():
            # Bresenham-style spread: class `cls` gets `share` of every 100 slots.
            if (slot * share) // 100 != ((slot + 1) * share) // 100:
                key, expected = pools[cls][cursor[cls] % len(pools[cls])]
                cursor[cls] += 1
                lines.append(f"{cls}\t{key}\t{expected}")
    return lines


def daemon_cfg(world, kind: str, cache_dir: Path) -> dict:
    if kind == "sqlite":
        cache = {"type": "sqlite", "options": {"filename": str(cache_dir / "cache.db")}}
    else:
        cache = {"type": "redis", "options": {"url": f"redis://127.0.0.1:{REDIS_PORT}",
                                              "socket_timeout": 1,
                                              "socket_connect_timeout": 1}}
    return daemon_config(world, PORTS[kind], cache=cache, cache_grace=CACHE_GRACE,
                         default_zone={"timeout": ZONE_TIMEOUT},
                         mtasts={"dns_servers": [DNS_SWITCH], "dane": "off",
                                 "metrics": f"127.0.0.1:{METRICS[kind]}"})


class Daemon:
    """One `mtasts daemon` of the soak: its config, its `-l` log file (which SIGHUP reopens),
    and every process it ran as (a restart makes a new one)."""

    def __init__(self, world, binary: str, kind: str, cache_dir: Path) -> None:
        self.world = world
        self.kind = kind
        self.name = f"soak-{kind}"
        self.log_file = Path(world.dir) / f"{self.name}-daemon.log"
        self.rotated: list[Path] = []
        self.cfg = daemon_cfg(world, kind, cache_dir)
        self.binary = binary
        self.daemon = None
        self.exits: list[dict] = []  # {pid, rc, why}

    def start(self) -> "Daemon":
        self.daemon = MtastsDaemon(self.world, self.cfg, binary=self.binary, name=self.name,
                                   verbosity="info", log_file=self.log_file).start()
        return self

    @property
    def pid(self) -> int:
        return self.daemon.proc.pid if self.daemon and self.daemon.proc else 0

    def alive(self) -> bool:
        return self.daemon is not None and self.daemon.alive()

    def terminate(self, why: str, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait for the exit, record its code (None: it had to be killed)."""
        proc = self.daemon.proc if self.daemon else None
        if proc is None:
            return None
        pid = proc.pid
        rc = None
        if proc.alive():
            os.kill(pid, 15)
            try:
                rc = proc.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                rc = None
        else:
            rc = proc.popen.returncode
        proc.stop()
        if proc in self.world.netns.processes:
            self.world.netns.processes.remove(proc)
        self.exits.append({"pid": pid, "rc": rc, "why": why})
        self.daemon.proc = None
        return rc

    def metrics(self) -> str:
        import http.client

        port = METRICS[self.kind]

        def call() -> str:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", "/metrics")
                return conn.getresponse().read().decode(errors="replace")
            finally:
                conn.close()

        try:
            return self.world.call(call, timeout=10)
        except OSError:
            return ""

    def log_text(self) -> str:
        parts = [p.read_text(errors="replace") for p in self.rotated if p.exists()]
        if self.log_file.exists():
            parts.append(self.log_file.read_text(errors="replace"))
        return "".join(parts)

    def log_size(self) -> int:
        return len(self.log_text().encode(errors="replace"))


class Redis:
    """redis-server inside the namespace, in memory only."""

    def __init__(self, world) -> None:
        self.world = world
        self.proc = None
        self.starts = 0

    def start(self) -> "Redis":
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is missing: scripts/start-test-stores.sh installs "
                               "it (or give the soak --no-redis)")
        self.starts += 1
        self.proc = self.world.spawn(f"soak-redis-{self.starts}", [
            "redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--protected-mode", "no"])
        self.world.wait_port("127.0.0.1", REDIS_PORT, timeout=10)
        return self

    def kill(self) -> None:
        os.kill(self.proc.pid, 9)
        self.proc.popen.wait(timeout=10)


class DnsSwitch:
    """bench/soak/dnsproxy.py at DNS_SWITCH:53, forwarding to the world's resolver unless told
    to answer SERVFAIL or to drop."""

    def __init__(self, world) -> None:
        base = Path(world.dir)
        self.mode_path = base / "soak-dns.mode"
        self.counts_path = base / "soak-dns.counts"
        ready = base / "soak-dns.ready"
        self.set("forward")
        cfg = {"ready": str(ready), "listen": DNS_SWITCH, "upstream": world.resolver,
               "mode": str(self.mode_path), "counts": str(self.counts_path)}
        path = base / "soak-dns.json"
        path.write_text(json.dumps(cfg))
        self.proc = world.spawn("soak-dns", [sys.executable,
                                             str(Path(__file__).with_name("dnsproxy.py")),
                                             str(path)])
        deadline = time.monotonic() + 10
        while not ready.exists():
            if not self.proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the DNS switch did not start:\n{self.proc.log_tail()}")
            time.sleep(0.05)

    def set(self, mode: str) -> None:
        tmp = self.mode_path.with_suffix(".tmp")
        tmp.write_text(mode + "\n")
        tmp.replace(self.mode_path)

    def counts(self) -> dict:
        try:
            return json.loads(self.counts_path.read_text())
        except (OSError, ValueError):
            return {}


class Tmpfs:
    """A small tmpfs for the SQLite cache, so the disk can fill."""

    def __init__(self, path: Path, size: str = TMPFS_SIZE) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                        str(path)], check=True, capture_output=True, timeout=10)
        self.mounted = True

    def fill(self) -> int:
        """Fills the file system with one file; returns the bytes written."""
        filler = self.path / "filler"
        written = 0
        chunk = b"\0" * 65536
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    written += f.write(chunk)
            except OSError:
                pass
        return written

    def free(self) -> None:
        (self.path / "filler").unlink(missing_ok=True)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, timeout=10)
            self.mounted = False
