"""The soak's faults: each is injected, held for a stretch under load, then healed, and each
names the evidence it must leave: a log line with its reason code and a Prometheus counter that
moves, in the service that met it.

A fault also says which replies the model allows while it lasts (`allows`): only the restart
lets a request be lost or a connect fail (the daemon is not there to answer); no fault allows a
reply other than the expected one (see soak_world.py for why an enforce domain's reply cannot
change)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from world.dns import txt_rdatas

from actors import MalformedClients, SilentAdmin, SlowClients, client_hello
from soak_world import DEAD_ADDRESS, ENFORCE, HOST_ADDRESS, HOSTED, PORTS


@dataclass
class Evidence:
    """`service` ("sqlite", "redis", "host") must log a line holding `log` (the event) and
    `reason` (its reason code), and move a counter: the sum of the samples whose line starts
    with one of `metric`."""

    service: str
    log: str
    metric: tuple[str, ...]
    reason: str = ""  # the reason code the same log line must carry
    reset: bool = False  # the counter must have started again (a new process)
    gap: str = ""  # what the service does not show, and why: reported, not a violation


@dataclass
class Window:
    name: str
    start: float = 0.0
    end: float = 0.0
    allows: dict = field(default_factory=dict)  # service -> set of event kinds allowed
    allow_end: dict = field(default_factory=dict)  # service -> when its allowances end
    holds_connections: bool = False
    notes: dict = field(default_factory=dict)


class Fault:
    name = ""
    what = ""
    min_hold = 0.0  # the least it is held (a background fault: how long it lasts)
    background = False  # runs on while the next faults come and go
    must_be_alone = False  # no background fault may overlap it
    holds_connections = False  # its clients hold connections: RSS is not judged meanwhile
    evidence: list[Evidence] = []

    def inject(self, run) -> None:
        raise NotImplementedError

    def heal(self, run) -> None:
        raise NotImplementedError

    def allows(self) -> dict:
        return {}

    def allow_end(self) -> dict:
        """Per service, when its allowances end (monotonic seconds), once injected; a service
        not named: with the fault."""
        return {}

    def notes(self) -> dict:
        return {}


def bump_ids(run, domains=ENFORCE) -> None:
    """Publishes a new policy id for `domains` (same policy), so the daemons re-fetch and write
    their stores within the next re-check (cache_grace)."""
    run.policy_id += 1
    pid = run.policy_id

    def edit(z) -> None:
        for d in domains:
            z.set(f"_mta-sts.{d}", "TXT", txt_rdatas(f"v=STSv1; id=soak{pid}"), 1)

    run.world._zone_edit(edit, flush=True)


class PolicyHostsDown(Fault):
    name = "policy-hosts-down"
    what = "every enforce domain's policy host resolves to an address where nothing listens " \
           "(connection refused) while its TXT record announces a new id"
    min_hold = 3.5  # the new id is seen at the next re-check (1 s), then fetched or written
    evidence = [Evidence(k, "event=refresh-failed", ('mtasts_fetches_total{result="sts-policy-fetch-error"}',),
                         "failure=sts-policy-fetch-error")
                for k in PORTS]

    def inject(self, run) -> None:
        def edit(z) -> None:
            for d in ENFORCE:
                z.set(f"mta-sts.{d}", "A", [DEAD_ADDRESS], 1)

        run.world._zone_edit(edit, flush=True)
        bump_ids(run)

    def heal(self, run) -> None:
        def edit(z) -> None:
            for d in ENFORCE:
                z.set(f"mta-sts.{d}", "A", ["127.0.0.1"], 1)

        run.world._zone_edit(edit, flush=True)


class DnsServfail(Fault):
    name = "dns-servfail"
    what = "the daemons' DNS server answers every query SERVFAIL"
    min_hold = 3.0  # a TXT re-check (every cache_grace, 1 s) must meet it
    evidence = [Evidence(k, "event=record", ('mtasts_record_checks_total{outcome="temp-failure"}',),
                         "dns=servfail") for k in PORTS]

    def inject(self, run) -> None:
        run.dns.set("servfail")

    def heal(self, run) -> None:
        run.dns.set("forward")


class DnsDrop(Fault):
    name = "dns-timeout"
    what = "the daemons' DNS server drops every query (the client times out)"
    min_hold = 4.5  # a TXT re-check (every cache_grace, 1 s) must meet it and time out (2 s)
    evidence = [Evidence(k, "event=record", ('mtasts_record_checks_total{outcome="temp-failure"}',),
                         "dns=timeout") for k in PORTS]

    def inject(self, run) -> None:
        run.dns.set("drop")

    def heal(self, run) -> None:
        run.dns.set("forward")


class SqliteCorrupt(Fault):
    name = "sqlite-corrupt"
    what = "the SQLite cache (database, WAL and WAL index) is overwritten with garbage in " \
           "place, new ids make the daemon write; healed by writing the saved bytes back " \
           "(a restore from backup)"
    min_hold = 3.5  # the new id is seen at the next re-check (1 s), then fetched or written
    evidence = [Evidence("sqlite", "event=store-error", ("mtasts_store_errors_total",),
                         'error="corrupt:')]

    def inject(self, run) -> None:
        self.saved = {}
        for suffix in ("", "-wal", "-shm"):
            path = run.cache_dir / f"cache.db{suffix}"
            if path.exists():
                self.saved[path] = path.read_bytes()
        for path, data in self.saved.items():
            with open(path, "r+b") as f:
                f.write(os.urandom(len(data)))
        bump_ids(run)

    def heal(self, run) -> None:
        for path, data in self.saved.items():
            with open(path, "r+b") as f:
                f.write(data)
                f.truncate(len(data))

    def notes(self) -> dict:
        return {"files": {p.name: len(d) for p, d in self.saved.items()}}


class DiskFull(Fault):
    name = "disk-full"
    what = "the SQLite cache's file system (a tmpfs) is filled to the last byte, new ids make " \
           "the daemon write; healed by deleting the filler"
    min_hold = 3.5  # the new id is seen at the next re-check (1 s), then fetched or written
    evidence = [Evidence("sqlite", "event=store-error", ("mtasts_store_errors_total",),
                         "disk is full")]

    def inject(self, run) -> None:
        self.filled = run.tmpfs.fill()
        bump_ids(run)

    def heal(self, run) -> None:
        run.tmpfs.free()

    def notes(self) -> dict:
        return {"filled_bytes": self.filled}


class RedisDown(Fault):
    name = "redis-killed"
    what = "redis-server is killed (SIGKILL), new ids make the daemon write; healed by " \
           "starting it again (empty)"
    min_hold = 3.5  # the new id is seen at the next re-check (1 s), then fetched or written
    evidence = [Evidence("redis", "event=store-error", ("mtasts_store_errors_total",),
                         'error="unavailable:')]

    def inject(self, run) -> None:
        run.redis.kill()
        bump_ids(run)

    def heal(self, run) -> None:
        run.redis.start()


class SlowClientsFault(Fault):
    name = "slow-clients"
    holds_connections = True
    what = "200 connections per daemon trickle a request, and 50 to the host a TLS " \
           "ClientHello, one byte every 2 s, held while the next faults come and go"
    min_hold = 14.0  # both services cut a started request (handshake) 10 s after it began
    background = True
    evidence = [Evidence(k, "event=connection-timeout", ("mtasts_socketmap_timeouts_total",))
                for k in PORTS] + [
        Evidence("host", "event=tls-handshake-failed",
                 ('mtasts_host_tls_handshake_failures_total{reason="timeout"}',),
                 "reason=timeout")]

    def inject(self, run) -> None:
        self.actors = [
            SlowClients(run.world, [("127.0.0.1", PORTS[k]) for k in run.daemons], 200, 2.0),
            SlowClients(run.world, [(HOST_ADDRESS, 443)], 50, 2.0,
                        client_hello(f"mta-sts.{HOSTED[0]}"))]
        for a in self.actors:
            a.start()

    def heal(self, run) -> None:
        for a in self.actors:
            a.stop()

    def notes(self) -> dict:
        return {"daemons": self.actors[0].report(), "host": self.actors[1].report()}


class MalformedClientsFault(Fault):
    name = "malformed-clients"
    holds_connections = True
    what = "garbage, oversized and badly terminated netstrings, 20 connections a second per " \
           "daemon and to the host's HTTPS port"
    min_hold = 2.5
    evidence = [Evidence(k, "event=connection-bad-request",
                         ("mtasts_socketmap_bad_framing_total",))
                for k in PORTS] + [
        Evidence("host", "event=tls-handshake-failed",
                 ('mtasts_host_tls_handshake_failures_total{reason="protocol"}',),
                 "reason=protocol")]

    def inject(self, run) -> None:
        self.actor = MalformedClients(
            run.world, [("127.0.0.1", PORTS[k]) for k in run.daemons] + [(HOST_ADDRESS, 443)], 20)
        self.actor.start()

    def heal(self, run) -> None:
        self.actor.stop()

    def notes(self) -> dict:
        return self.actor.report()


class SighupRotate(Fault):
    name = "sighup-logrotate"
    what = "each daemon's -l log is renamed (logrotate `create`), a new file made, SIGHUP sent"
    min_hold = 1.5
    evidence = [Evidence(k, "event=log-reopen", ('mtasts_log_reopens_total{result="done"}',))
                for k in PORTS]

    def inject(self, run) -> None:
        for d in run.daemons.values():
            rotated = d.log_file.with_name(f"{d.log_file.name}.{len(d.rotated) + 1}")
            d.log_file.rename(rotated)
            d.rotated.append(rotated)
            d.log_file.touch(mode=0o640)
            os.kill(d.pid, signal.SIGHUP)

    def heal(self, run) -> None:
        pass


class SigtermRestart(Fault):
    name = "sigterm-restart"
    what = "SIGTERM to each daemon under load, wait for its exit, start it again"
    must_be_alone = True  # its counters start again from zero
    min_hold = 2.0
    evidence = [Evidence(k, "event=stopping", ("mtasts_socketmap_requests_total",), "signal=15",
                         reset=True) for k in PORTS]

    def inject(self, run) -> None:
        self.exits = {}
        self.down = {}
        self.listening_at = {}
        for kind, d in run.daemons.items():
            started = time.monotonic()
            rc = d.terminate("sigterm-restart")
            d.start()
            self.listening_at[kind] = time.monotonic()
            self.exits[kind] = rc
            self.down[kind] = round(self.listening_at[kind] - started, 3)

    def heal(self, run) -> None:
        pass

    def allow_end(self) -> dict:
        # Until the new process listens, plus a second for the replies in flight.
        return {k: t + 1.0 for k, t in self.listening_at.items()}

    def allows(self) -> dict:
        # Between SIGTERM and the new process listening nobody accepts: a connect is refused,
        # and a request the daemon had not read yet is lost with its connection (docs/soak.md:
        # Postfix defers the mail, as on TEMP; a request it has read is answered first).
        return {k: {"lost", "connect-failed"} for k in PORTS}

    def notes(self) -> dict:
        return {"exit_codes": self.exits, "down_seconds": self.down}


class SilentAdminFault(Fault):
    name = "silent-admin"
    holds_connections = True
    what = "100 silent connections to the host's admin API while an administrator asks " \
           "/v1/status once a second"
    min_hold = 2.5  # two status requests at least
    evidence = [Evidence("host", "event=connection-evicted",
                         ("mtasts_host_admin_connections_evicted_total",))]

    def inject(self, run) -> None:
        self.actor = SilentAdmin(run.world, run.host.token, 100)
        self.actor.start()

    def heal(self, run) -> None:
        self.actor.stop()

    def notes(self) -> dict:
        return self.actor.report()


def schedule(with_redis: bool = True, again: bool = False) -> list[Fault]:
    """The faults in the order the soak applies them. The disk fills before the file is
    damaged: a damaged file starts the store's cooldown (30 s without store access), which
    would hide the full disk. The restart comes last but one: after the SQLite file was
    restored and the disk freed, so the restarted daemon reloads its policies from a healthy
    store (a restart over a damaged file is a different test: the cache is gone). With
    `again` (long runs), the slow clients come back before the restart, to show whether what
    they leave in RSS adds up."""
    faults: list[Fault] = [PolicyHostsDown(), DnsServfail(), DnsDrop(), SlowClientsFault(),
                           MalformedClientsFault(), DiskFull(), SqliteCorrupt()]
    if with_redis:
        faults.append(RedisDown())
    faults.append(SighupRotate())
    if again:
        again_fault = SlowClientsFault()
        again_fault.name = "slow-clients-again"
        faults.append(again_fault)
    faults += [SigtermRestart(), SilentAdminFault()]
    return faults
