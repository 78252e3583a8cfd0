"""A fleet sharing one cache: `mtasts daemon` with Redis and with PostgreSQL.

For each backend, a private server runs inside the test world's namespace. Daemon A fetches an
enforce policy and writes it through to the store, which keeps it with an expiry (Redis TTL,
PostgreSQL expires_at); `mtasts cache list|show|export` read it there while A runs. Then the
policy host goes down, and daemon B, a fresh process on the same store, still enforces the
policy (restored from the store, RFC 8461 §3.3). `mtasts cache purge` removes it from the store
while B runs, and daemon C, fresh again, finds nothing to enforce.

Needs redis-server, redis-tools and postgresql (scripts/start-test-stores.sh installs them).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

from world import Domain, Policy
from world.netns import WorldError
from world.peer import MtastsDaemon, daemon_config

NF = "NOTFOUND "
REDIS_PORT = 6391
PG_PORT = 5441
PG_DB = "mtasts_test"
PG_TABLE = "mtasts_policy_cache"  # the store's default table
MAX_AGE = 86400  # the world's default policy max_age
START_TIMEOUT = 60.0


def sts(name: str) -> Domain:
    return Domain(name, sts="v=STSv1; id=1", policy=Policy(), mx=[f"mx1.{name}"])


WORLD_DOMAINS = [sts("dss-redis.test"), sts("dss-postgres.test")]


def installed(package: str) -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                         text=True, timeout=30)
    return out.returncode == 0 and "install ok installed" in out.stdout


def require_packages(*packages: str) -> None:
    missing = [p for p in packages if not installed(p)]
    if missing:
        pytest.fail(f"missing Debian packages {', '.join(missing)}: run "
                    "scripts/start-test-stores.sh (it installs redis-server, redis-tools and "
                    "postgresql), or apt-get install them", pytrace=False)


def wait_for(probe: Callable[[], Optional[object]], timeout: float, step: float = 0.2):
    """The first value of `probe()` that is not None, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None or time.monotonic() > deadline:
            return value
        time.sleep(step)


class RedisBackend:
    name = "redis"
    domain = "dss-redis.test"
    ports = (18481, 18482, 18483)  # daemons A, B, C

    def __init__(self, world) -> None:
        self.world = world
        self.cache = {"type": "redis", "options": {"url": f"redis://127.0.0.1:{REDIS_PORT}/0"}}

    def cli(self, *args: str) -> str:
        out = self.world.run(["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), *args],
                             timeout=20)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def expiry_seconds(self, domain: str) -> Optional[int]:
        """Seconds until the stored entry of `domain` expires (-1: none), None if absent."""
        keys = self.cli("--scan", "--pattern", f"*{domain}").split()
        if not keys:
            return None
        assert len(keys) == 1, keys
        ttl = int(self.cli("TTL", keys[0]))
        return None if ttl == -2 else ttl


class PostgresBackend:
    name = "postgres"
    domain = "dss-postgres.test"
    ports = (18484, 18485, 18486)

    def __init__(self, world, bin_dir: Path) -> None:
        self.world = world
        self.bin_dir = bin_dir
        dsn = f"postgresql://postgres@127.0.0.1:{PG_PORT}/{PG_DB}"
        self.cache = {"type": "postgres", "options": {"dsn": dsn}}

    def sql(self, statement: str) -> subprocess.CompletedProcess:
        return self.world.run([str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(PG_PORT),
                               "-U", "postgres", "-d", PG_DB, "-X", "-tAc", statement],
                              timeout=20)

    def expiry_seconds(self, domain: str) -> Optional[int]:
        out = self.sql(f"SELECT expires_at - extract(epoch FROM now())::bigint FROM {PG_TABLE} "
                       f"WHERE domain = '{domain}'")
        assert out.returncode == 0, out.stderr
        return int(out.stdout.strip()) if out.stdout.strip() else None


@pytest.fixture(scope="module")
def redis_backend(world):
    require_packages("redis-server", "redis-tools")
    scratch = Path(tempfile.mkdtemp(prefix="mtasts-dss-redis-"))
    proc = world.spawn("dss-redis", ["redis-server", "--port", str(REDIS_PORT), "--bind",
                                     "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                     str(scratch)])
    try:
        try:
            world.wait_port("127.0.0.1", REDIS_PORT, timeout=20)
        except WorldError as e:
            pytest.fail(f"redis-server did not start: {e}\n{proc.log_tail()}", pytrace=False)
        yield RedisBackend(world)
    finally:
        proc.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def postgres_bin_dir() -> Path:
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                  key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not dirs:
        pytest.fail("no PostgreSQL server under /usr/lib/postgresql: run "
                    "scripts/start-test-stores.sh", pytrace=False)
    return dirs[-1].parent


@pytest.fixture(scope="module")
def postgres_backend(world):
    require_packages("postgresql")
    bin_dir = postgres_bin_dir()
    owner = pwd.getpwnam("postgres")
    # Outside the world's directory: pytest's base directory is root-only (0700).
    scratch = Path(tempfile.mkdtemp(prefix="mtasts-dss-pg-"))
    os.chown(scratch, owner.pw_uid, owner.pw_gid)
    data = scratch / "data"
    as_postgres = ["runuser", "-u", "postgres", "--"]
    proc = None
    try:
        init = subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U",
                               "postgres", "-A", "trust", "--no-sync", "--locale=C", "-E", "UTF8"],
                              capture_output=True, text=True, timeout=120, cwd=scratch)
        if init.returncode != 0:
            pytest.fail(f"initdb failed: {init.stderr}", pytrace=False)
        proc = world.spawn("dss-postgres", [*as_postgres, str(bin_dir / "postgres"), "-D",
                                            str(data), "-p", str(PG_PORT), "-k", str(scratch),
                                            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                           cwd=str(scratch))

        def ready() -> Optional[bool]:
            if not proc.alive():
                return False
            out = world.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p",
                             str(PG_PORT)], timeout=10)
            return True if out.returncode == 0 else None

        if not wait_for(ready, START_TIMEOUT, step=0.3):
            pytest.fail(f"postgres did not start:\n{proc.log_tail()}", pytrace=False)
        made = world.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U",
                          "postgres", PG_DB], timeout=30)
        if made.returncode != 0:
            pytest.fail(f"createdb failed: {made.stderr}", pytrace=False)
        yield PostgresBackend(world, bin_dir)
    finally:
        if proc is not None:
            subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m",
                            "fast", "-w", "-t", "20"], capture_output=True, timeout=40,
                           cwd=scratch)
            proc.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(params=["redis", "postgres"])
def backend(request):
    return request.getfixturevalue(f"{request.param}_backend")


def start(world, mtasts_bin: str, port: int, name: str, cache: dict) -> MtastsDaemon:
    cfg = daemon_config(world, port=port, cache=cache)
    return MtastsDaemon(world, cfg, binary=mtasts_bin, name=name, verbosity="debug").start()


def cache_cli(world, mtasts_bin: str, daemon: MtastsDaemon, *args: str):
    """`mtasts cache ARGS -c <the daemon's config>`, run inside the namespace."""
    return world.run([mtasts_bin, "cache", *args, "-c", str(daemon.config_path)], timeout=30)


def wait_in_log(daemon: MtastsDaemon, text: str, timeout: float = 10.0) -> bool:
    return bool(wait_for(lambda: True if text in daemon.log_tail(400) else None, timeout))


def test_daemon_b_enforces_a_policy_daemon_a_fetched_after_the_host_went_down(world, mtasts_bin,
                                                                              backend):
    domain = backend.domain
    enforce = f"OK secure match=mx1.{domain} servername=hostname"
    port_a, port_b, port_c = backend.ports

    a = start(world, mtasts_bin, port_a, f"dss-{backend.name}-a", backend.cache)
    try:
        assert a.query("postfix", domain) == enforce
        # Written through to the store, with an expiry there: fetched now, max_age 86400.
        remaining = wait_for(lambda: backend.expiry_seconds(domain), 15)
        assert remaining is not None, f"{domain} never reached {backend.name}:\n{a.log_tail(60)}"
        assert MAX_AGE - 120 < remaining <= MAX_AGE + 1, remaining

        # The cache commands work on the configured backend while the daemon runs.
        shown = cache_cli(world, mtasts_bin, a, "show", domain, "--json")
        assert shown.returncode == 0, shown.stderr
        entry = json.loads(shown.stdout)
        assert entry["domain"] == domain and entry["id"] == "1", entry
        listed = cache_cli(world, mtasts_bin, a, "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert domain in [e["domain"] for e in json.loads(listed.stdout)]
        exported = cache_cli(world, mtasts_bin, a, "export")
        assert exported.returncode == 0, exported.stderr
        assert domain in [json.loads(line)["domain"] for line in exported.stdout.splitlines()]
    finally:
        a.stop()

    world.set_policy(domain, None)  # the policy host disappears from DNS
    b = start(world, mtasts_bin, port_b, f"dss-{backend.name}-b", backend.cache)
    try:
        assert b.query("postfix", domain) == enforce
        assert wait_in_log(b, f"event=store-restore domain={domain}"), b.log_tail(60)
        assert f"event=fetch domain={domain}" not in b.log_tail(400)

        purged = cache_cli(world, mtasts_bin, b, "purge", domain)
        assert purged.returncode == 0, purged.stdout + purged.stderr
        assert backend.expiry_seconds(domain) is None
    finally:
        b.stop()

    # Nothing stored any more and the host is down: a fresh daemon has nothing to enforce.
    c = start(world, mtasts_bin, port_c, f"dss-{backend.name}-c", backend.cache)
    try:
        assert c.query("postfix", domain) == NF
    finally:
        c.stop()
