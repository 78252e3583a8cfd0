"""`mtasts daemon` against the test world: the socketmap replies Postfix gets (resolve and
patterns forms, NOTFOUND cases, TEMP when no MX is allowed), the TLSRPT attributes without
policy_failure when policies cannot be fetched, connection robustness, the SQLite cache across
a restart while the policy host is down, graceful shutdown with a request in flight, metrics,
sd_notify, and Postfix's own client (postmap)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from world import Domain, MxHost, Policy
from world.peer import MtastsDaemon, daemon_config
from world.socketmap_client import Connection, request

NF = "NOTFOUND "


def sts(name: str, policy: Policy | None = None, mx=None, **kw) -> Domain:
    """A domain with a record and (by default) an enforce policy naming its MX hosts."""
    mx = mx if mx is not None else [f"mx1.{name}"]
    return Domain(name, sts="v=STSv1; id=1", policy=policy or Policy(), mx=mx, **kw)


WORLD_DOMAINS = [
    sts("dm-enforce.test"),
    sts("dm-multi.test",
        Policy(mx=["mx1.dm-multi.test", "*.backup.dm-multi.test"]),
        mx=["mx1.dm-multi.test", "b1.backup.dm-multi.test", "a.b.backup.dm-multi.test",
            "rogue.dm-evil.test"]),
    sts("dm-nomatch.test", Policy(mx=["mx1.dm-nomatch.test"]), mx=["other.dm-nomatch.test"]),
    sts("dm-implicit.test", Policy(mx=["dm-implicit.test"]),
        mx=[MxHost("dm-implicit.test", mx_record=False)]),
    sts("dm-testing.test", Policy(mode="testing")),
    sts("dm-none.test", Policy(mode="none", mx=[])),
    Domain("dm-norecord.test", sts=None, policy=Policy(mx=["mx1.dm-norecord.test"]),
           mx=["mx1.dm-norecord.test"]),
    sts("dm-persist.test"),
    sts("dm-stall.test", Policy(stall="request")),
    sts("dm-preload.test"),
    sts("dm-rpt-refresh.test", ttl=1),
    sts("dm-rpt-404.test", Policy(status=404)),
    sts("dm-rpt-invalid.test", Policy(body="version: STSv1\r\nmode: sometimes\r\n")),
    sts("dm-rpt-webpki.test", Policy(cert="untrusted")),
]

MULTI_RESOLVE = "OK secure match=mx1.dm-multi.test:b1.backup.dm-multi.test servername=hostname"
MULTI_PATTERNS = "OK secure match=mx1.dm-multi.test:.backup.dm-multi.test servername=hostname"


def start(world, mtasts_bin: str, port: int, name: str, **kw) -> MtastsDaemon:
    cfg = daemon_config(world, port=port, **kw)
    return MtastsDaemon(world, cfg, binary=mtasts_bin, name=name, verbosity="debug").start()


@pytest.fixture(scope="module")
def resolve_daemon(world, mtasts_bin):
    d = start(world, mtasts_bin, 18471, "dm-resolve",
              zones={"rpt": {"tlsrpt": True}, "strict": {"strict_testing": True}})
    yield d
    d.stop()


@pytest.fixture(scope="module")
def patterns_daemon(world, mtasts_bin):
    d = start(world, mtasts_bin, 18472, "dm-patterns", mtasts={"mx_match": "patterns"},
              zones={"nosni": {"require_sni": False}, "strict": {"strict_testing": True}})
    yield d
    d.stop()


def test_enforce_lists_the_allowed_mx(resolve_daemon):
    assert resolve_daemon.query("postfix", "dm-enforce.test") == \
        "OK secure match=mx1.dm-enforce.test servername=hostname"


def test_resolve_lists_only_mx_hosts_the_policy_allows(resolve_daemon):
    # a.b.backup is one label too deep for *.backup; rogue.dm-evil.test is not listed at all.
    assert resolve_daemon.query("postfix", "dm-multi.test") == MULTI_RESOLVE


def test_implicit_mx_is_the_domain_itself(resolve_daemon):
    assert resolve_daemon.query("postfix", "dm-implicit.test") == \
        "OK secure match=dm-implicit.test servername=hostname"


def test_no_allowed_mx_is_temp_after_a_recheck(world, resolve_daemon):
    mark = world.https.mark()
    reply = resolve_daemon.query("postfix", "dm-nomatch.test")
    assert reply.startswith("TEMP "), reply
    # RFC 8461 §5: the policy was fetched again before deferring (discovery + re-check).
    assert len(world.https.requests("mta-sts.dm-nomatch.test", since=mark)) == 2


@pytest.mark.parametrize("key", ["dm-testing.test", "dm-none.test", "dm-norecord.test",
                                 ".dm-enforce.test", "[127.0.0.2]", "[::1]:25"])
def test_notfound_cases(resolve_daemon, key):
    assert resolve_daemon.query("postfix", key) == NF


def test_zones_strict_testing_and_tlsrpt(resolve_daemon):
    assert resolve_daemon.query("strict", "dm-testing.test") == \
        "OK secure match=mx1.dm-testing.test servername=hostname"
    assert resolve_daemon.query("rpt", "dm-enforce.test") == (
        "OK secure match=mx1.dm-enforce.test servername=hostname policy_type=sts "
        "policy_domain=dm-enforce.test mx_host_pattern=mx1.dm-enforce.test "
        "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
        "{ policy_string = mx: mx1.dm-enforce.test } { policy_string = max_age: 86400 }")


def rpt_reply(name: str) -> str:
    return (f"OK secure match=mx1.{name} servername=hostname policy_type=sts "
            f"policy_domain={name} mx_host_pattern=mx1.{name} "
            "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
            f"{{ policy_string = mx: mx1.{name} }} {{ policy_string = max_age: 86400 }}")


def wait_in_log(daemon: MtastsDaemon, text: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while text not in daemon.log_tail(400):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_tlsrpt_zone_reports_fetch_failures_but_never_sends_policy_failure(world, mtasts_bin):
    # policy_failure would make Postfix 3.10 fail the delivery (docs/daemon.md): a cached policy
    # keeps its exact reply through a failed refresh, a policy only announced is NOTFOUND; the
    # failure shows in the lookup log line and the metrics.
    d = start(world, mtasts_bin, 18490, "dm-rpt", cache_grace=1, zones={"rpt": {"tlsrpt": True}},
              mtasts={"metrics": "127.0.0.1:18491"})
    try:
        name = "dm-rpt-refresh.test"
        assert d.query("rpt", name) == rpt_reply(name)
        world.set_policy(name, Policy(cert="wrong_name"))  # the new policy's host is broken
        world.dns.set_txt(f"_mta-sts.{name}", "v=STSv1; id=2")
        time.sleep(1.5)  # past cache_grace: the next lookup re-checks the record behind
        assert d.query("rpt", name) == rpt_reply(name)
        assert wait_in_log(d, f"event=refresh-failed domain={name} reason=fetch_failed_kept "
                              "failure=sts-webpki-invalid"), d.log_tail(60)
        assert d.query("rpt", name) == rpt_reply(name)

        for announced, result in (("dm-rpt-404.test", "sts-policy-fetch-error"),
                                  ("dm-rpt-invalid.test", "sts-policy-invalid"),
                                  ("dm-rpt-webpki.test", "sts-webpki-invalid")):
            assert d.query("rpt", announced) == NF
            assert wait_in_log(d, f"event=lookup domain={announced} zone=rpt reason=miss "
                                  "step=check_record urgency=wait reply=NOTFOUND "
                                  f"policy_failure={result}"), d.log_tail(60)

        def scrape():
            with urllib.request.urlopen("http://127.0.0.1:18491/metrics", timeout=10) as r:
                return r.read().decode()

        text = world.call(scrape)
        for result in ("sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid"):
            assert f'mtasts_policy_failures_total{{result="{result}"}} 1' in text, text
        assert "mtasts_policy_alerts_total 1" in text
    finally:
        d.stop()


def test_patterns_form_is_the_peers(patterns_daemon):
    assert patterns_daemon.query("postfix", "dm-multi.test") == MULTI_PATTERNS
    assert patterns_daemon.query("nosni", "dm-enforce.test") == \
        "OK secure match=mx1.dm-enforce.test"
    assert patterns_daemon.query("postfix", "dm-nomatch.test") == \
        "OK secure match=mx1.dm-nomatch.test servername=hostname"
    assert patterns_daemon.query("postfix", "dm-testing.test") == NF


def test_pipelining_and_bad_clients_do_not_disturb_others(world, resolve_daemon):
    addr = resolve_daemon.address

    def scenario():
        good = Connection(addr, timeout=20)
        garbage = Connection(addr, timeout=10)
        oversize = Connection(addr, timeout=10)
        garbage.send_raw(b"GET / HTTP/1.0\r\n\r\n")
        oversize.send_raw(b"10001:" + b"x" * 100)
        pipelined = good.query_batch("postfix", ["dm-enforce.test", "dm-testing.test",
                                                 "dm-multi.test", ".x.test"])
        closed = []
        for conn in (garbage, oversize):
            conn.sock.settimeout(10)
            closed.append(conn.sock.recv(100) == b"")
        again = good.query("postfix", "dm-enforce.test")
        for c in (good, garbage, oversize):
            c.close()
        return pipelined, closed, again

    pipelined, closed, again = world.call(scenario, timeout=60)
    assert pipelined == ["OK secure match=mx1.dm-enforce.test servername=hostname", NF,
                         MULTI_RESOLVE, NF]
    assert closed == [True, True]
    assert again == "OK secure match=mx1.dm-enforce.test servername=hostname"


def test_sqlite_cache_keeps_enforcing_after_restart_when_the_host_is_down(world, mtasts_bin):
    cache = {"type": "sqlite", "options": {}}
    first = start(world, mtasts_bin, 18473, "dm-sqlite-1", cache=cache)
    try:
        assert first.query("postfix", "dm-persist.test") == \
            "OK secure match=mx1.dm-persist.test servername=hostname"
    finally:
        first.stop()
    world.set_policy("dm-persist.test", None)  # the policy host disappears from DNS
    second = start(world, mtasts_bin, 18473, "dm-sqlite-2", cache=cache)
    try:
        assert second.query("postfix", "dm-persist.test") == \
            "OK secure match=mx1.dm-persist.test servername=hostname"
        time.sleep(0.5)
        assert "event=store-restore domain=dm-persist.test" in second.log_tail(200)
    finally:
        second.stop()


def test_corrupt_sqlite_file_is_reported_and_the_daemon_serves_from_memory(world, mtasts_bin):
    bad = Path(world.dir) / "dm-corrupt.db"
    bad.write_bytes(b"this is not an SQLite database" * 200)
    d = start(world, mtasts_bin, 18479, "dm-corrupt",
              cache={"type": "sqlite", "options": {"filename": str(bad)}})
    try:
        assert d.query("postfix", "dm-enforce.test") == \
            "OK secure match=mx1.dm-enforce.test servername=hostname"
        log = d.log_tail(200)
        assert "event=store-unavailable store=sqlite" in log, log
    finally:
        d.stop()


def sigterm_during_a_stalled_lookup(world, d: MtastsDaemon, then, timeout: float):
    """Asks `d` for dm-stall.test (whose policy host stalls: the lookup waits up to the zone
    timeout), sends SIGTERM half a second later, and returns then(connection); all in the world,
    the connection timing out after `timeout` seconds."""
    addr = d.address

    def scenario():
        with Connection(addr, timeout=timeout) as c:
            c.send_raw(request("postfix", "dm-stall.test"))
            time.sleep(0.5)
            os.killpg(d.proc.popen.pid, signal.SIGTERM)
            return then(c)

    return world.call(scenario, timeout=timeout + 20)


def test_sigterm_answers_the_request_in_flight_then_exits_zero(world, mtasts_bin):
    d = start(world, mtasts_bin, 18474, "dm-shutdown", default_zone={"timeout": 3},
              extra={"shutdown_timeout": 10})

    def read_the_reply(c: Connection):
        started = time.monotonic()
        reply = c.read_replies(1)[0]
        return reply, time.monotonic() - started

    reply, waited = sigterm_during_a_stalled_lookup(world, d, read_the_reply, timeout=20)
    assert reply == NF  # the policy host stalls: no policy within the zone timeout
    assert waited < 3 + 5
    assert d.proc.popen.wait(timeout=15) == 0
    assert "event=stopping signal=15" in d.log_tail(200)
    d.stop()


def wait_until(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_sighup_reopens_the_log_file_after_logrotate(world, mtasts_bin):
    log = Path(world.dir) / "dm-logrotate.log"
    cfg = daemon_config(world, port=18487)
    d = MtastsDaemon(world, cfg, binary=mtasts_bin, name="dm-logrotate", verbosity="debug",
                      log_file=log).start()
    try:
        assert d.query("postfix", "dm-enforce.test").startswith("OK secure")
        assert "event=lookup domain=dm-enforce.test" in log.read_text()
        rotated = log.with_name("dm-logrotate.log.1")
        log.rename(rotated)  # what logrotate does, then it sends SIGHUP
        os.killpg(d.proc.popen.pid, signal.SIGHUP)
        assert wait_until(lambda: log.exists() and "event=log-reopen" in log.read_text(), 10)
        assert d.query("postfix", "dm-enforce.test").startswith("OK secure")
        assert wait_until(lambda: "event=lookup domain=dm-enforce.test" in log.read_text(), 5)
        assert "event=log-reopen" not in rotated.read_text()
        assert d.alive(), d.log_tail()
    finally:
        d.stop()


def test_a_second_sigterm_while_draining_stops_at_once(world, mtasts_bin):
    d = start(world, mtasts_bin, 18488, "dm-second-signal", default_zone={"timeout": 20},
              extra={"shutdown_timeout": 30})

    def second_sigterm(c: Connection):
        time.sleep(0.5)
        assert d.proc.popen.poll() is None  # draining: the request is still in flight
        started = time.monotonic()
        os.killpg(d.proc.popen.pid, signal.SIGTERM)
        d.proc.popen.wait(timeout=15)
        return time.monotonic() - started

    waited = sigterm_during_a_stalled_lookup(world, d, second_sigterm, timeout=40)
    assert waited < 5, waited  # not the 20 s the in-flight discovery could still take
    assert d.log_tail(200).count("event=stopping") == 1
    d.stop()


def test_metrics_endpoint(world, mtasts_bin):
    d = start(world, mtasts_bin, 18475, "dm-metrics", mtasts={"metrics": "127.0.0.1:18476"})
    try:
        d.query("postfix", "dm-enforce.test")

        def scrape():
            with urllib.request.urlopen("http://127.0.0.1:18476/metrics", timeout=10) as r:
                return r.status, r.headers["Content-Type"], r.read().decode()

        status, ctype, text = world.call(scrape)
        assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
        assert 'mtasts_lookups_total{outcome="OK"} 1' in text
        assert 'mtasts_fetches_total{result="ok"} 1' in text
        assert "mtasts_cache_entries 1" in text
        assert "mtasts_lookup_duration_seconds_count 1" in text
        assert "mtasts_socketmap_requests_total 1" in text
    finally:
        d.stop()


class NotifyingDaemon(MtastsDaemon):
    def __init__(self, *a, notify_socket: str, **kw):
        super().__init__(*a, **kw)
        self.notify_socket = notify_socket

    def env(self) -> dict:
        env = super().env()
        env["NOTIFY_SOCKET"] = self.notify_socket
        return env


def test_sd_notify_ready_and_stopping(world, mtasts_bin, tmp_path):
    path = str(Path(world.dir) / "dm-notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    try:
        cfg = daemon_config(world, port=18477)
        d = NotifyingDaemon(world, cfg, binary=mtasts_bin, name="dm-notify",
                            notify_socket=path).start()
        assert sock.recv(1024).startswith(b"READY=1")
        os.killpg(d.proc.popen.pid, signal.SIGTERM)
        assert sock.recv(1024) == b"STOPPING=1"
        assert d.proc.popen.wait(timeout=15) == 0
        d.stop()
    finally:
        sock.close()


def test_preload_list_is_fetched_before_the_first_lookup(world, mtasts_bin):
    listing = Path(world.dir) / "dm-preload.txt"
    listing.write_text("# domains to fetch at start\n\ndm-preload.test\nnot a domain\n")
    mark = world.https.mark()
    d = start(world, mtasts_bin, 18480, "dm-preload", mtasts={"preload": str(listing)})
    try:
        deadline = time.monotonic() + 20
        while "event=preload-done" not in d.log_tail(200) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "event=preload-done domains=2" in d.log_tail(200)
        assert len(world.https.requests("mta-sts.dm-preload.test", since=mark)) == 1
        assert d.query("postfix", "dm-preload.test") == \
            "OK secure match=mx1.dm-preload.test servername=hostname"
        assert len(world.https.requests("mta-sts.dm-preload.test", since=mark)) == 1
    finally:
        d.stop()


def test_missing_user_is_a_warning(world, mtasts_bin):
    d = start(world, mtasts_bin, 18478, "dm-nouser", mtasts={"user": "no-such-user-mtasts"})
    try:
        assert d.query("postfix", "dm-enforce.test").startswith("OK secure")
        assert "event=user-missing user=no-such-user-mtasts" in d.log_tail(200)
    finally:
        d.stop()


def test_postmap_queries_the_daemon(world, resolve_daemon):
    postmap = shutil.which("postmap")
    if postmap is None:
        pytest.fail("postmap not found: apt-get install postfix", pytrace=False)
    conf = Path(world.dir) / "dm-postmap"
    conf.mkdir(exist_ok=True)
    (conf / "main.cf").write_text("compatibility_level = 3.6\n")
    table = resolve_daemon.postfix_map()

    def postmap_q(key):
        return world.run([postmap, "-c", str(conf), "-q", key, table], timeout=30)

    out = postmap_q("dm-enforce.test")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "secure match=mx1.dm-enforce.test servername=hostname"
    out = postmap_q("dm-none.test")
    assert out.returncode == 1 and out.stdout == "", out.stderr  # NOTFOUND
    out = postmap_q("dm-nomatch.test")  # TEMP: a query error, not "not found"
    assert out.returncode == 1 and out.stdout == ""
    assert "socketmap server temporary error: MTA-STS: no MX host" in out.stderr, out.stderr
    assert "query error" in out.stderr
