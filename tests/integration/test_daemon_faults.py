"""Faults of `mtasts daemon` that a hostile client, the operating system or a DNS outage can
provoke, each against the real binary: a request trickled in a byte at a time, a flood of
silent connections at the connection cap, the open-file limit of a shell, a log rotated while
the daemon runs as its own user, and DNS that refuses or drops the MX queries of a domain whose
policy is cached."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

from world import Domain, Policy, dnsfilter
from world.peer import MtastsDaemon, daemon_config

DNS_FILTER = "127.0.0.57"  # the outage daemon's DNS server: the world's resolver, but these fail


def sts(name: str, policy: Policy | None = None, mx=None) -> Domain:
    mx = mx if mx is not None else [f"mx1.{name}"]
    return Domain(name, sts="v=STSv1; id=1", policy=policy or Policy(), mx=mx)


WORLD_DOMAINS = [
    sts("df-enforce.test"),
    sts("df-drop.test", Policy(mx=["mx1.df-drop.test", "*.b.df-drop.test"]),
        mx=["mx1.df-drop.test", "x1.b.df-drop.test"]),
    sts("df-refuse.test", Policy(mx=["mx1.df-refuse.test", "*.b.df-refuse.test"]),
        mx=["mx1.df-refuse.test", "x1.b.df-refuse.test"]),
]

ENFORCE = "OK secure match=mx1.df-enforce.test servername=hostname"


def start(world, mtasts_bin: str, port: int, name: str, **kw) -> MtastsDaemon:
    cfg = daemon_config(world, port=port, **kw)
    return MtastsDaemon(world, cfg, binary=mtasts_bin, name=name, verbosity="info").start()


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def netstring(payload: str) -> bytes:
    data = payload.encode()
    return str(len(data)).encode() + b":" + data + b","


def closed_by_peer(sock: socket.socket, wait: float) -> bool:
    """True when the server has closed `sock` (EOF or reset) within `wait` seconds."""
    readable, _, _ = select.select([sock], [], [], wait)
    if not readable:
        return False
    try:
        return sock.recv(4096) == b""
    except OSError:
        return True


# ----- 1. a request trickled in one byte at a time -----

def test_a_trickled_request_is_cut_ten_seconds_after_its_first_byte(world, mtasts_bin):
    # docs/daemon.md: a started request must complete within 10 s. A byte every 2 s used to
    # re-arm that deadline with every read, so the request stayed open for as long as it
    # trickled.
    d = start(world, mtasts_bin, 18601, "df-trickle")
    try:
        request = netstring("postfix " + "x" * 60)

        def trickle() -> tuple[bool, float]:
            with socket.create_connection(("127.0.0.1", 18601), timeout=5) as s:
                started = time.monotonic()
                for i in range(len(request)):
                    try:
                        s.sendall(request[i:i + 1])
                    except OSError:
                        return True, time.monotonic() - started
                    if closed_by_peer(s, 2.0):
                        return True, time.monotonic() - started
                    if time.monotonic() - started > 20:
                        break
                return False, time.monotonic() - started

        closed, after = world.call(trickle, timeout=60)
        assert closed, f"a request trickled for {after:.1f} s is still open"
        assert after < 10 + 4, f"cut only after {after:.1f} s"
        assert d.query("postfix", "df-enforce.test") == ENFORCE
    finally:
        d.stop()


# ----- 4. the open-file limit, and the connection cap it sets -----

class LimitedDaemon(MtastsDaemon):
    """`mtasts daemon` started with the open-file limits SOFT:HARD, as from a shell."""

    def __init__(self, *a, nofile: tuple[int, int], **kw):
        super().__init__(*a, **kw)
        self.nofile = nofile

    def command(self) -> list[str]:
        prlimit = shutil.which("prlimit")
        assert prlimit, "prlimit (util-linux) is needed"
        soft, hard = self.nofile
        return [prlimit, f"--nofile={soft}:{hard}", "--", *super().command()]


def open_files_limit(pid: int) -> tuple[str, str]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return soft, hard
    raise AssertionError(f"no open-file limit in /proc/{pid}/limits")


def test_the_soft_open_file_limit_is_raised_to_the_hard_limit(world, mtasts_bin):
    cfg = daemon_config(world, port=18602)
    d = LimitedDaemon(world, cfg, binary=mtasts_bin, name="df-nofile", verbosity="info",
                      nofile=(1024, 4096)).start()
    try:
        assert open_files_limit(d.proc.popen.pid) == ("4096", "4096")
        assert "event=open-files soft=4096 hard=4096 was=1024" in d.log_tail(200)
        assert "event=connection-limit connections=3840" in d.log_tail(200)
    finally:
        d.stop()


def test_past_a_low_open_file_limit_clients_are_served_or_closed_at_once(world, mtasts_bin):
    # A hard limit of 200 descriptors: before, connections past it waited in the listen queue
    # until they timed out, and a new Postfix connection with them.
    cfg = daemon_config(world, port=18603)
    d = LimitedDaemon(world, cfg, binary=mtasts_bin, name="df-lowfiles", verbosity="info",
                      nofile=(200, 200)).start()
    held: list[socket.socket] = []
    try:
        assert d.query("postfix", "df-enforce.test") == ENFORCE

        def flood() -> None:
            for _ in range(300):
                held.append(socket.create_connection(("127.0.0.1", 18603), timeout=5))

        world.call(flood, timeout=60)

        def timed_query() -> tuple[str, float]:
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", 18603), timeout=5) as s:
                s.sendall(netstring("postfix df-enforce.test"))
                data = b""
                while not data.endswith(b","):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            return data.decode(errors="replace"), time.monotonic() - started

        try:
            reply, took = world.call(timed_query, timeout=30)
        except OSError as e:
            raise AssertionError(f"a client past the open-file limit got {e!r}") from e
        assert reply == netstring(ENFORCE).decode(), reply
        assert took < 3, f"answered after {took:.1f} s"
        # The silent connections past the cap were closed at once, not left hanging.
        still_open = sum(1 for s in held if not closed_by_peer(s, 0.05))
        assert still_open <= 100, f"{still_open} silent connections are still open"
        assert d.alive(), d.log_tail()
    finally:
        for s in held:
            s.close()
        d.stop()


# ----- 2. SIGHUP after logrotate, the daemon running as its own user -----

@pytest.fixture
def root_log_dir():
    """A directory of root's, mode 0755, that user `nobody` can read but not write in."""
    path = Path(tempfile.mkdtemp(prefix="mtasts-faults-log-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start_as_nobody(world, mtasts_bin, port: int, name: str, log: Path) -> MtastsDaemon:
    cfg = daemon_config(world, port=port, mtasts={"user": "nobody"})
    d = MtastsDaemon(world, cfg, binary=mtasts_bin, name=name, verbosity="debug",
                      log_file=log).start()
    assert wait_until(lambda: "event=privileges-dropped user=nobody" in log.read_text(), 10)
    return d


REOPENED = re.compile(r"event=log-reopen$", re.M)


def test_sighup_after_logrotate_create_reopens_the_log_as_the_daemons_user(
        world, mtasts_bin, root_log_dir):
    log = root_log_dir / "daemon.log"
    d = start_as_nobody(world, mtasts_bin, 18604, "df-rotate", log)
    try:
        assert d.query("postfix", "df-enforce.test") == ENFORCE
        rotated = log.with_name("daemon.log.1")
        # logrotate with `create`: rename, then a new file with the old one's owner and mode.
        log.rename(rotated)
        st = rotated.stat()
        log.touch(mode=0o640)
        os.chown(log, st.st_uid, st.st_gid)
        os.chmod(log, st.st_mode & 0o777)
        os.killpg(d.proc.popen.pid, signal.SIGHUP)
        assert wait_until(lambda: REOPENED.search(log.read_text()) is not None, 10), \
            "no log-reopen in the new file; the rotated one ends:\n" + \
            "\n".join(rotated.read_text().splitlines()[-3:])
        assert d.query("postfix", "df-enforce.test") == ENFORCE
        assert wait_until(lambda: "event=lookup domain=df-enforce.test" in log.read_text(), 5)
        assert "log-reopen" not in rotated.read_text()
        assert d.alive(), d.log_tail()
    finally:
        d.stop()


def test_sighup_without_a_new_log_file_keeps_the_old_one_and_says_why(
        world, mtasts_bin, root_log_dir):
    log = root_log_dir / "daemon.log"
    d = start_as_nobody(world, mtasts_bin, 18605, "df-rotate-nocreate", log)
    try:
        rotated = log.with_name("daemon.log.1")
        log.rename(rotated)  # logrotate without `create`: nobody cannot create it in the dir
        os.killpg(d.proc.popen.pid, signal.SIGHUP)
        assert wait_until(lambda: "event=log-reopen-failed" in rotated.read_text(), 10), \
            "\n".join(rotated.read_text().splitlines()[-3:])
        failed = [line for line in rotated.read_text().splitlines() if "log-reopen" in line]
        assert len(failed) == 1, failed
        assert "level=error" in failed[0] and "Permission denied" in failed[0], failed[0]
        assert d.query("postfix", "df-enforce.test") == ENFORCE
        assert wait_until(lambda: "event=lookup domain=df-enforce.test" in rotated.read_text(),
                          5), "the lines after the failed reopen were lost"
        assert not log.exists()
    finally:
        d.stop()


# ----- 3. a DNS outage for the MX lookups of domains whose policies are cached -----

ZONE_TIMEOUT = 3


@pytest.fixture(scope="module")
def outage_daemon(world, mtasts_bin):
    dnsfilter.start(world, "df-dnsfilter", DNS_FILTER, servfail=[],
                    refuse=[("df-refuse.test", "MX")], drop=[("df-drop.test", "MX")])
    d = start(world, mtasts_bin, 18606, "df-outage", default_zone={"timeout": ZONE_TIMEOUT},
              mtasts={"dns_servers": [DNS_FILTER], "dane": "off"})
    yield d
    d.stop()


def timed_query(daemon, domain: str) -> tuple[str, float]:
    started = time.monotonic()
    reply = daemon.query("postfix", domain)
    return reply, time.monotonic() - started


def test_dns_dropping_mx_queries_does_not_slow_cached_answers(outage_daemon):
    # The first lookup meets the silence and waits for the zone's timeout; the policy's exact
    # name is the answer (never wider than the policy). The lookups after it must not wait.
    exact = "OK secure match=mx1.df-drop.test servername=hostname"
    reply, _ = timed_query(outage_daemon, "df-drop.test")
    assert reply == exact
    for _ in range(4):
        reply, took = timed_query(outage_daemon, "df-drop.test")
        assert reply == exact
        assert took < 1.5, f"a cached policy waited {took:.1f} s for the silent DNS"


def test_dns_refusing_mx_queries_logs_one_line_per_domain(outage_daemon):
    exact = "OK secure match=mx1.df-refuse.test servername=hostname"
    for _ in range(10):
        assert outage_daemon.query("postfix", "df-refuse.test") == exact
    lines = [line for line in outage_daemon.log_tail(2000).splitlines()
             if "domain=df-refuse.test" in line and "level=info" in line
             and ("event=mx-lookup-failed" in line or "event=mx-fallback" in line)]
    assert len(lines) == 1, "\n".join(lines)
    assert "event=mx-lookup-failed" in lines[0]
