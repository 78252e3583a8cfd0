"""The test world: one object that owns the namespace, the servers and the data behind them."""

from __future__ import annotations

import atexit
import base64
import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from world import dns as dnsmod
from world.ca import CertFiles, TestCA
from world.dns import (AUTH_ADDR, BLACKHOLE_ADDR, BOGUS_ZONE, BOGUS_ZONES, RESOLVER_ADDR,
                       SERVFAIL_ADDR, SIGNED_ZONE, SIGNED_ZONES, ZoneData, txt_rdatas, zone_of)
from world.dnswire import udp_query
from world.eventlog import EventLog
from world.model import (DEFAULT_MX_ADDRESS, DEFAULT_POLICY_ADDRESS, Domain, MxHost, Policy,
                         TxtValue, UpdateZone, filler, normalize_name)
from world.netns import Netns, Process, WorldError, tool

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # tests/integration
SERVFAIL_ZONE = "servfail.test"
UNRESPONSIVE_ZONE = "unresponsive.test"
NO_SNI_NAME = "no-sni.invalid"
START_TIMEOUT = 20.0

REQUIRED_TOOLS = ("ip", "setpriv", "knotd", "knotc", "knsupdate", "keymgr", "unbound",
                  "unbound-control", "unbound-checkconf", "dig", "openssl")
REQUIRED_MODULES = ("cryptography", "aiosmtpd")


def preflight() -> list[str]:
    """What keeps the world from starting on this machine (empty when nothing does)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the test world needs root (network namespaces, ports 25/53/80/443)")
    missing = [t for t in REQUIRED_TOOLS if tool(t) is None]
    if missing:
        problems.append(f"missing tools: {', '.join(missing)}")
    mods = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
    if mods:
        problems.append(f"python modules missing for {sys.executable}: {', '.join(mods)} "
                        "(use Debian's /usr/bin/python3)")
    if problems:
        problems.append("install with: scripts/install-test-world-deps.sh (as root)")
    return problems


def _tool(name: str) -> str:
    return tool(name) or name


class HttpsLog(EventLog):
    """What the policy host saw (events of policy_host.py)."""

    def requests(self, host: Optional[str] = None, since: int = 0,
                 settle: float = 10.0) -> list[dict]:
        """HTTPS requests for policy host `host` (Host header, else SNI), oldest first.

        Each is the request event (method, target, version, headers, sni, host) merged with its
        response event (status, header_bytes, body_bytes, complete, peer_closed, stalled,
        duration) and the TLS version. Waits up to `settle` seconds for every request's response
        to be logged (a stalled response ends when the client gives up).
        """
        host = normalize_name(host) if host else None

        def mine(evs: list[dict]) -> list[dict]:
            return [e for e in evs if e["event"] == "request" and e.get("scheme") == "https"
                    and (host is None or e.get("key") == host)]

        def done(evs: list[dict]) -> bool:
            closed = {e["conn"] for e in evs if e["event"] == "response"}
            return all(r["conn"] in closed for r in mine(evs))

        evs = self.wait_for(done, timeout=settle, since=since, what="policy responses")
        resp = {e["conn"]: e for e in evs if e["event"] == "response"}
        tls = {e["conn"]: e for e in evs if e["event"] == "tls"}
        out = []
        for r in mine(evs):
            merged = dict(r)
            for k, v in resp.get(r["conn"], {}).items():
                if k not in ("seq", "t", "event"):
                    merged.setdefault(k, v)
            merged["tls_version"] = tls.get(r["conn"], {}).get("version")
            out.append(merged)
        return out

    def plaintext_requests(self, since: int = 0) -> list[dict]:
        """Requests that reached port 80 (a correct MTA-STS client makes none)."""
        return [e for e in self.events("request", since=since) if e.get("scheme") == "http"]

    def handshakes(self, sni: Optional[str] = None, since: int = 0,
                   settle: float = 10.0) -> list[dict]:
        """TLS handshakes, completed ("tls" events) and failed ("tls_error"), for `sni`.

        Waits up to `settle` seconds until every connection whose ClientHello named `sni` (every
        TLS connection when sni is None) has finished its handshake.
        """
        def relevant(evs: list[dict]) -> set:
            if sni is None:
                return {e["conn"] for e in evs if e["event"] == "connect"}
            return {e["conn"] for e in evs if e["event"] == "sni" and e.get("sni") == sni}

        def done(evs: list[dict]) -> bool:
            ended = {e["conn"] for e in evs if e["event"] in ("tls", "tls_error")}
            return relevant(evs) <= ended

        evs = self.wait_for(done, timeout=settle, since=since, what="TLS handshakes to end")
        conns = relevant(evs)
        return [e for e in evs if e["event"] in ("tls", "tls_error") and e["conn"] in conns]

    def tls_errors(self, sni: Optional[str] = None, since: int = 0,
                   settle: float = 10.0) -> list[dict]:
        """Failed handshakes for `sni` (see handshakes); "aborted" says whether the host's
        behaviour (alert, stall) ended it on purpose."""
        return [e for e in self.handshakes(sni, since, settle) if e["event"] == "tls_error"]


class SmtpLog(EventLog):
    """What the MX hosts saw (events of mx_host.py)."""

    def sessions(self, sni: Optional[str] = None, listener: Optional[str] = None,
                 since: int = 0, settle: float = 10.0) -> list[dict]:
        """Per-connection summaries (see mx_host.py), after waiting up to `settle` seconds for
        every connection seen so far to end. `listener` is "127.0.0.2" or "127.0.0.2:25"."""
        if listener and ":" not in listener:
            listener += ":25"

        def done(evs: list[dict]) -> bool:
            ended = {e["conn"] for e in evs if e["event"] == "session"}
            return all(e["conn"] in ended for e in evs if e["event"] == "connect")

        evs = self.wait_for(done, timeout=settle, since=since, what="SMTP sessions to end")
        return [e for e in evs if e["event"] == "session"
                and (sni is None or e.get("sni") == sni)
                and (listener is None or e.get("listener") == listener)]

    def messages(self, rcpt: Optional[str] = None, since: int = 0) -> list[dict]:
        """Delivered messages; `rcpt` matches a recipient address or its domain."""
        out = []
        for e in self.events("message", since=since):
            if rcpt is None or any(r == rcpt or r.rsplit("@", 1)[-1] == rcpt
                                   for r in e["rcpt_tos"]):
                out.append(e)
        return out


class DnsLog(EventLog):
    """Queries that reached the SERVFAIL server or the blackhole."""

    def queries(self, server: Optional[str] = None, qname: Optional[str] = None,
                since: int = 0) -> list[dict]:
        q = normalize_name(qname) + "." if qname else None
        return [e for e in self.events("query", since=since)
                if (server is None or e["server"] == server) and (q is None or e["qname"] == q)]


def tlsa_name(mx: str, port: int = 25) -> str:
    """Where the TLSA RRs of an SMTP server live: _25._tcp.<mx>."""
    return f"_{port}._tcp.{normalize_name(mx)}"


def tlsa_rdata(cert: CertFiles, spec: str) -> str:
    """TLSA presentation rdata for a server presenting `cert`: one of model.TLSA_SPECS derived from
    it ("3 1 1": the leaf's SPKI, "2 1 1": the issuer's; "... mismatch": a digest of neither), or
    full rdata ("3 1 1 <hex>") as given."""
    parts = " ".join(spec.split()).lower().split(" ")
    if len(parts) == 4 and parts[3] != "mismatch":
        return " ".join(parts)
    usage = parts[0]
    digest = cert.spki_sha256() if usage == "3" else cert.issuer_spki_sha256()
    if parts[1:3] != ["1", "1"] or usage not in ("2", "3") or parts[3:] not in ([], ["mismatch"]):
        raise ValueError(f"bad TLSA spec {spec!r}")
    if parts[3:] == ["mismatch"]:
        digest = hashlib.sha256(b"matches no certificate" + bytes.fromhex(digest)).hexdigest()
    return f"{usage} 1 1 {digest}"


class DnsControl:
    """Changing DNS data while the world runs (RFC 2136 updates to knot)."""

    def __init__(self, world: "World") -> None:
        self._w = world

    def set(self, name: str, rtype: str, data: Any, ttl: int = 1, flush: bool = True) -> None:
        """Replaces the RRset (name, rtype). `data`: one rdata string, a list of them, or for TXT a
        TxtValue. An empty list deletes the RRset. A CNAME displaces every other RRset at the
        name, and any other type displaces a CNAME. With flush, unbound forgets the old data at
        once; without, it keeps it for the old TTL."""
        rtype = rtype.upper()
        if rtype == "TXT":
            rdatas = txt_rdatas(data) if data not in (None, []) else []
        else:
            rdatas = [data] if isinstance(data, str) else list(data)
        self._w._zone_edit(lambda z: z.set(name, rtype, rdatas, ttl), flush)

    def set_txt(self, name: str, value: Optional[TxtValue], ttl: int = 1, flush: bool = True):
        self.set(name, "TXT", value if value is not None else [], ttl, flush)

    def delete(self, name: str, rtype: Optional[str] = None, flush: bool = True) -> None:
        """Deletes one RRset, or every RRset at `name` when rtype is None."""
        self._w._zone_edit(lambda z: z.delete(name, rtype), flush)

    def flush(self, name: str) -> None:
        """Forgets everything unbound cached at and below `name`."""
        self._w._unbound_control(["flush_zone", normalize_name(name)])

    def dig(self, name: str, rtype: str = "TXT", server: str = RESOLVER_ADDR,
            extra: Sequence[str] = (), timeout: float = 20.0) -> subprocess.CompletedProcess:
        """`dig` inside the namespace (+tries=1 +time=3 unless `extra` says otherwise)."""
        return self._w.run(["dig", f"@{server}", "+tries=1", "+time=3", *extra, name, rtype],
                           timeout=timeout)


class World:
    """The hermetic test world. Describe domains with add_domains(), then start(); stop() (or the
    pytest fixture) tears everything down, even after a failure.

    Addresses (inside the namespace): resolver 127.0.0.1:53 (unbound), authoritative
    127.0.0.53:53 (knot), SERVFAIL server 127.0.0.54:53, blackhole 127.0.0.99:53, policy host
    127.0.0.1:443 and :80, MX hosts 127.0.0.2:25; listeners of their own under 127.0.1.x
    (policy hosts) and 127.0.2.x (MX hosts), 127.0.3.x for MX names nothing listens on.
    """

    resolver = RESOLVER_ADDR
    authoritative = AUTH_ADDR
    servfail_server = SERVFAIL_ADDR
    blackhole = BLACKHOLE_ADDR
    servfail_zone = SERVFAIL_ZONE
    unresponsive_zone = UNRESPONSIVE_ZONE
    dnssec_zone = SIGNED_ZONE.rstrip(".")  # signed, validates: names in it get AD
    bogus_zone = BOGUS_ZONE.rstrip(".")  # signed, fails validation: SERVFAIL through unbound

    def __init__(self, directory: Optional[Path] = None, negative_ttl: int = 2,
                 netns_name: Optional[str] = None) -> None:
        self._own_dir = directory is None
        self.dir = Path(directory or tempfile.mkdtemp(prefix="mtasts-world-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.negative_ttl = negative_ttl
        self.netns = Netns(netns_name)
        self.domains: dict[str, Domain] = {}
        self.mx_hosts: dict[str, MxHost] = {}
        self.update_zones: dict[str, UpdateZone] = {}
        self.ca = TestCA(self.dir / "ca")
        self.ca_file: Path = self.ca.ca_file
        self.untrusted_ca_file: Path = self.ca.untrusted_ca_file
        self.https = HttpsLog(self.dir / "https.jsonl")
        self.smtp = SmtpLog(self.dir / "smtp.jsonl")
        self.dnslog = DnsLog(self.dir / "dns.jsonl")
        self.mail_dir = self.dir / "mail"
        self.dns = DnsControl(self)
        self.started = False
        self._zone = ZoneData()
        self._applied_zone: Optional[ZoneData] = None
        self._edits: dict[tuple[str, str], Any] = {}
        self._unbound_conf: Optional[Path] = None
        self._serial = 1
        self._tsig = dnsmod.new_tsig_secret()
        self._procs: dict[str, Process] = {}
        self._running_cfg: dict[str, Any] = {}
        self._addr_alloc: dict[str, str] = {}
        # The root's DNSKEY, unbound's trust anchor (set when knot first starts).
        self.trust_anchor: Optional[str] = None
        atexit.register(self.stop)

    # ----- describing the world -----

    def add_domains(self, *domains: Domain) -> None:
        """Adds domain descriptions; before start() or while running (DNS by dynamic update,
        servers by config reload or restart)."""
        for d in domains:
            if not isinstance(d, Domain):
                raise TypeError(f"expected Domain, got {type(d).__name__}")
            if d.name in self.domains:
                if self.domains[d.name] == d:
                    continue
                raise ValueError(f"domain {d.name} declared twice, differently")

        def mutate() -> None:
            for d in domains:
                for h in d.mx:
                    _merge_mx_host(self.mx_hosts, h)
                self.domains[d.name] = d

        self._change(mutate)

    def add_domain(self, domain: Domain) -> None:
        self.add_domains(domain)

    def add_zones(self, *zones: UpdateZone) -> None:
        """Adds zones that clients change by signed dynamic update (see model.UpdateZone); while
        running, knot and unbound restart (which empties every update zone again)."""
        for z in zones:
            if not isinstance(z, UpdateZone):
                raise TypeError(f"expected UpdateZone, got {type(z).__name__}")
            if z.name in self.update_zones and self.update_zones[z.name] != z:
                raise ValueError(f"update zone {z.name} declared twice, differently")

        def mutate() -> None:
            for z in zones:
                self.update_zones[z.name] = z

        self._change(mutate)

    def update_zone(self, name: str) -> UpdateZone:
        return self.update_zones[normalize_name(name)]

    def set_policy(self, domain: str, policy: Optional[Policy]) -> None:
        """Replaces a domain's policy-host behaviour (None: the host disappears from DNS)."""
        name = normalize_name(domain)

        def mutate() -> None:
            self.domains[name] = dataclasses.replace(self.domains[name], policy=policy)

        self._change(mutate)

    def _change(self, mutate: Callable[[], None]) -> None:
        """Applies `mutate` to the descriptions; a description that cannot be built changes
        nothing. While running, the servers follow."""
        saved = (dict(self.domains), dict(self.mx_hosts), dict(self.update_zones), self._zone)
        try:
            mutate()
            self._rebuild_zone()
        except BaseException:
            self.domains, self.mx_hosts, self.update_zones, self._zone = saved
            raise
        if self.started:
            self._apply()

    def domain(self, name: str) -> Domain:
        return self.domains[normalize_name(name)]

    def cert(self, name: str, variant: str = "valid") -> CertFiles:
        """A leaf certificate from the test CA (see model.CERT_VARIANTS)."""
        return self.ca.leaf(name, variant)

    def tlsa(self, mx: str, spec: str = "3 1 1") -> str:
        """TLSA rdata for declared MX host `mx` from the certificate it presents (see
        model.TLSA_SPECS), e.g. to repair a record: world.dns.set(tlsa_name(mx), "TLSA", ...)."""
        h = self.mx_hosts[normalize_name(mx)]
        return tlsa_rdata(self.ca.leaf(h.name, h.cert), spec)

    # ----- running commands inside -----

    def run(self, cmd: Sequence[str], timeout: float = 30.0, check: bool = False,
            input: Optional[str | bytes] = None, env: Optional[dict] = None,
            cwd: Optional[str] = None, text: bool = True) -> subprocess.CompletedProcess:
        """Runs a command inside the namespace (see Netns.run)."""
        return self.netns.run(cmd, timeout=timeout, check=check, input=input, env=env, cwd=cwd,
                              text=text)

    def spawn(self, name: str, cmd: Sequence[str], log_path: Optional[Path] = None,
              **kw: Any) -> Process:
        """Starts a long-running process inside the namespace, stopped at teardown. Output goes
        to `log_path` (default DIR/NAME.log)."""
        if log_path is None:
            log_path = self.dir / f"{name}.log"
        return self.netns.spawn(name, cmd, log_path=log_path, **kw)

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0, **kw: Any) -> Any:
        """Runs a Python callable on a thread inside the namespace (see Netns.call)."""
        return self.netns.call(fn, *args, timeout=timeout, **kw)

    def wait_port(self, address: str, port: int, timeout: float = 10.0) -> None:
        """Waits until a TCP connect to address:port inside the namespace succeeds."""

        def probe() -> bool:
            with socket.socket() as s:
                s.settimeout(0.5)
                return s.connect_ex((address, port)) == 0

        deadline = time.monotonic() + timeout
        while not self.call(probe):
            if time.monotonic() > deadline:
                raise WorldError(f"nothing listens on {address}:{port} after {timeout}s")
            time.sleep(0.05)

    # ----- lifecycle -----

    def start(self) -> "World":
        if self.started:
            return self
        problems = preflight()
        if problems:
            raise WorldError("test world cannot start:\n  " + "\n  ".join(problems))
        try:
            self.netns.create()
            self.started = True
            self._apply()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops every process, deletes the namespace and /etc/netns entry, and the directory
        when World made it (unless MTASTS_WORLD_KEEP=1). Idempotent."""
        self.started = False
        self._procs.clear()
        self._running_cfg.clear()
        self.netns.destroy()
        if self._own_dir and os.environ.get("MTASTS_WORLD_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "World":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ----- internals -----

    def _rebuild_zone(self) -> None:
        """Recomputes the zone from the domain descriptions, then replays runtime edits
        (dns.set/dns.delete) so that a later add_domains() does not undo them."""
        z = ZoneData()
        for d in self.domains.values():
            self._domain_records(z, d)
        for name, h in self.mx_hosts.items():
            if h.a_record:
                z.add(name, "A", [self._mx_address(h)], self._mx_ttl(name), merge=True)
            if h.tlsa:
                cert = self.ca.leaf(name, h.cert)
                z.add(tlsa_name(name), "TLSA", [tlsa_rdata(cert, t) for t in h.tlsa],
                      self._mx_ttl(name), merge=True)
        for key, rr in self._edits.items():
            if rr is None:
                z.rrsets.pop(key, None)
            else:
                z.rrsets[key] = rr
        for name, _ in z.rrsets:
            for uz in self.update_zones.values():
                if uz.contains(name):
                    raise ValueError(f"{name}: inside update zone {uz.name}, which only its "
                                     "clients write")
        self._zone = z

    def _zone_edit(self, fn: Callable[[ZoneData], None], flush: bool) -> None:
        before = self._zone
        after = before.copy()
        fn(after)
        for key in set(before.rrsets) | set(after.rrsets):
            if before.rrsets.get(key) != after.rrsets.get(key):
                self._edits[key] = after.rrsets.get(key)
        self._zone = after
        if self.started:
            self._apply(flush=flush)

    def _mx_ttl(self, name: str) -> int:
        ttls = [d.ttl for d in self.domains.values() for h in d.mx if h.name == name]
        return min(ttls) if ttls else 300

    def _domain_records(self, z: ZoneData, d: Domain) -> None:
        ttl = d.ttl
        chain = [d.sts_name, *d.sts_cname]
        for a, b in zip(chain, chain[1:]):
            z.add(a, "CNAME", [f"{b}."], ttl)
        if d.sts is not None:
            z.add(chain[-1], "TXT", txt_rdatas(d.sts), ttl)
        if d.policy is not None or d.policy_cname:
            chain = [d.policy_host, *d.policy_cname]
            for a, b in zip(chain, chain[1:]):
                z.add(a, "CNAME", [f"{b}."], ttl)
            if d.policy is not None:
                z.add(chain[-1], "A", [self._policy_address(d)], ttl, merge=True)
        mx_rdatas = [f"{h.preference} {h.name}." for h in d.mx if h.mx_record]
        if mx_rdatas:
            z.add(d.name, "MX", mx_rdatas, ttl)
        if d.tlsrpt is not None:
            z.add(d.tlsrpt_name, "TXT", txt_rdatas(d.tlsrpt), ttl)
        for r in d.records:
            rd = txt_rdatas(r.data) if r.rtype == "TXT" else (
                [r.data] if isinstance(r.data, str) else list(r.data))
            z.add(r.name, r.rtype, rd, r.ttl if r.ttl is not None else ttl, merge=True)

    def _alloc(self, key: str, prefix: str) -> str:
        if key not in self._addr_alloc:
            n = sum(1 for v in self._addr_alloc.values() if v.startswith(prefix)) + 1
            if n > 254:
                raise WorldError(f"out of addresses under {prefix}")
            self._addr_alloc[key] = f"{prefix}{n}"
        return self._addr_alloc[key]

    def _policy_address(self, d: Domain) -> str:
        p = d.policy
        assert p is not None
        if p.address:
            return p.address
        if p.tls_versions:
            return self._alloc(f"policy:{d.name}", "127.0.1.")
        return DEFAULT_POLICY_ADDRESS

    def _mx_address(self, h: MxHost) -> str:
        if h.address:
            return h.address
        if not h.serve:
            return self._alloc(f"mx-dead:{h.name}", "127.0.3.")
        if h.shares_default_listener():
            return DEFAULT_MX_ADDRESS
        return self._alloc(f"mx:{h.name}", "127.0.2.")

    def _policy_config(self) -> dict:
        listeners: dict[str, dict] = {}
        hosts: dict[str, dict] = {}
        members: dict[str, list[tuple[str, str]]] = {}
        for d in sorted(self.domains.values(), key=lambda x: x.name):
            p = d.policy
            if p is None:
                continue
            addr = self._policy_address(d)
            versions = list(p.tls_versions) if p.tls_versions else None
            have = listeners.setdefault(addr, {"address": addr, "tls_versions": versions})
            if have["tls_versions"] != versions:
                raise WorldError(f"policy hosts on {addr} disagree on TLS versions")
            members.setdefault(addr, []).append((d.policy_host, p.cert))
            body = d.policy_body()
            if p.size is not None:
                if p.size < len(body):
                    raise ValueError(f"{d.name}: policy size {p.size} < body length {len(body)}")
                body = body + filler(p.size - len(body))
            cf = self.ca.leaf(d.policy_host, p.cert)
            hosts[d.policy_host] = {
                "cert": str(cf.cert), "key": str(cf.key),
                "body": base64.b64encode(body).decode(), "status": p.status,
                "content_type": p.content_type, "headers": [list(h) for h in p.headers],
                "redirect": p.redirect, "alert": p.alert, "content_length": p.content_length,
                "chunked": p.chunked, "chunk_size": p.chunk_size, "endless": p.endless,
                "trickle": p.trickle, "stall": p.stall, "stall_after": p.stall_after,
                "stall_seconds": p.stall_seconds, "close_after": p.close_after,
            }
        listeners.setdefault(DEFAULT_POLICY_ADDRESS,
                             {"address": DEFAULT_POLICY_ADDRESS, "tls_versions": None})
        for addr, lst in listeners.items():
            m = members.get(addr, [])
            name, variant = m[0] if len(m) == 1 else (NO_SNI_NAME, "valid")
            cf = self.ca.leaf(name, variant)
            lst["default_cert"], lst["default_key"] = str(cf.cert), str(cf.key)
        return {"log": str(self.https.path), "ready": str(self.dir / "policy_host.ready"),
                "listeners": sorted(listeners.values(), key=lambda x: x["address"]),
                "hosts": hosts}

    def _mx_config(self) -> dict:
        listeners: dict[str, dict] = {}
        hosts: dict[str, dict] = {}
        for name, h in self.mx_hosts.items():
            if not h.serve:
                continue
            addr = self._mx_address(h)
            starttls, versions = h.listener_options()
            cf = self.ca.leaf(name, h.cert)
            hosts[name] = {"cert": str(cf.cert), "key": str(cf.key)}
            if addr not in listeners:
                listeners[addr] = {"address": addr, "starttls": starttls,
                                   "tls_versions": list(versions) if versions else None,
                                   "banner_name": name, "default_cert": str(cf.cert),
                                   "default_key": str(cf.key)}
            elif (listeners[addr]["starttls"], listeners[addr]["tls_versions"]) != (
                    starttls, list(versions) if versions else None):
                raise WorldError(f"MX hosts on {addr} disagree on STARTTLS/TLS versions")
        if DEFAULT_MX_ADDRESS not in listeners:
            cf = self.ca.leaf(f"mx.{NO_SNI_NAME}", "valid")
            listeners[DEFAULT_MX_ADDRESS] = {
                "address": DEFAULT_MX_ADDRESS, "starttls": True, "tls_versions": None,
                "banner_name": f"mx.{NO_SNI_NAME}", "default_cert": str(cf.cert),
                "default_key": str(cf.key)}
        return {"log": str(self.smtp.path), "ready": str(self.dir / "mx_host.ready"),
                "mail_dir": str(self.mail_dir),
                "listeners": sorted(listeners.values(), key=lambda x: x["address"]),
                "hosts": hosts}

    def _stub_names(self) -> tuple[list[str], list[str]]:
        servfail = [SERVFAIL_ZONE] + [n for d in self.domains.values() for n in d.servfail]
        unresp = [UNRESPONSIVE_ZONE] + [n for d in self.domains.values()
                                        for n in d.unresponsive]
        return servfail, unresp

    def _apply(self, flush: bool = True) -> None:
        """Brings the running servers in line with the descriptions: restarts what needs new
        listeners or zones, updates or reloads the rest; with `flush`, unbound forgets the
        changed names."""
        zones = sorted(self._zone.zones() | {"test."} | set(SIGNED_ZONES))
        update_zones = sorted(self.update_zones.values(), key=lambda u: u.name)
        stub_zones = zones + [f"{u.name}." for u in update_zones]
        servfail, unresp = self._stub_names()
        knot_key = ("knot", tuple(zones), tuple((u.name, u.key_name, u.algorithm, u.secret)
                                                for u in update_zones))
        unbound_key = ("unbound", tuple(stub_zones), tuple(sorted(servfail)),
                       tuple(sorted(unresp)))
        restart_knot = self._running_cfg.get("knot") != knot_key
        restart_unbound = self._running_cfg.get("unbound") != unbound_key
        before = self._applied_zone

        if "dnsstub" not in self._procs:
            self._start_dnsstub()
        if restart_knot:
            self._start_knot(zones)
            self._running_cfg["knot"] = knot_key
        elif before is not None:
            self._ddns(before, self._zone)
        self._applied_zone = self._zone.copy()
        if restart_unbound:
            self._start_unbound(stub_zones, servfail, unresp)
            self._running_cfg["unbound"] = unbound_key
        elif restart_knot:
            for z in stub_zones:
                self.dns.flush(z)
        elif before is not None and flush:
            changed = sorted({k[0] for k in set(before.rrsets) | set(self._zone.rrsets)
                              if before.rrsets.get(k) != self._zone.rrsets.get(k)})
            if len(changed) > 8:
                changed = sorted({zone_of(n) for n in changed})
            for n in changed:
                self.dns.flush(n)

        self._apply_server("policy_host", self._policy_config(),
                           lambda c: [(x["address"], x["tls_versions"]) for x in c["listeners"]])
        self._apply_server("mx_host", self._mx_config(),
                           lambda c: [(x["address"], x["starttls"], x["tls_versions"])
                                      for x in c["listeners"]])

    def _apply_server(self, module: str, cfg: dict, listener_key: Callable[[dict], Any]) -> None:
        path = self.dir / f"{module}.json"
        key = listener_key(cfg)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(cfg, indent=1))
        os.replace(tmp, path)
        if self._running_cfg.get(module) == key and self._procs[module].alive():
            return  # the server re-reads its config at the next connection
        ready = Path(cfg["ready"])
        self._restart(module, [sys.executable, "-m", f"world.{module}", str(path)], ready)
        self._running_cfg[module] = key

    def _py_env(self) -> dict:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(PACKAGE_ROOT) + (
            os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def _restart(self, name: str, cmd: list[str], ready: Optional[Path],
                 probe: Optional[Callable[[], bool]] = None) -> Process:
        old = self._procs.pop(name, None)
        if old is not None:
            old.stop()
            if old in self.netns.processes:
                self.netns.processes.remove(old)
        if ready is not None:
            ready.unlink(missing_ok=True)
        proc = self.spawn(name, cmd, env=self._py_env())
        self._procs[name] = proc
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if ready is not None and ready.exists():
                break
            if probe is not None and probe():
                break
            if not proc.alive():
                raise WorldError(f"{name} exited with {proc.popen.returncode} while starting:\n"
                                 f"{proc.log_tail()}")
            if time.monotonic() > deadline:
                raise WorldError(f"{name} not ready after {START_TIMEOUT}s:\n{proc.log_tail()}")
            time.sleep(0.05)
        return proc

    def _start_dnsstub(self) -> None:
        cfg = {"log": str(self.dnslog.path), "ready": str(self.dir / "dnsstub.ready"),
               "servfail": [SERVFAIL_ADDR], "blackhole": [BLACKHOLE_ADDR]}
        path = self.dir / "dnsstub.json"
        path.write_text(json.dumps(cfg))
        self._restart("dnsstub", [sys.executable, "-m", "world.dnsstub", str(path)],
                      Path(cfg["ready"]))

    def _start_knot(self, zones: list[str]) -> None:
        base = self.dir / "knot"
        dnsmod.reset_knot_dirs(base)
        self._serial += 1
        for z in zones:
            (base / "zones" / f"{z.rstrip('.')}.zone").write_text(
                self._zone.render(z, self._serial, self.negative_ttl))
        update_zones = list(self.update_zones.values())
        for uz in update_zones:
            (base / "zones" / f"{uz.name}.zone").write_text(
                dnsmod.render_update_zone(uz, self._serial, self.negative_ttl))
        signed = [z for z in zones if z in SIGNED_ZONES]
        conf = base / "knot.conf"
        conf.write_text(dnsmod.knot_config(base, zones, self._tsig, update_zones, signed))
        chk = self.netns.run([_tool("knotc"), "-c", str(conf), "conf-check"], timeout=20)
        if chk.returncode != 0:
            raise WorldError(f"knot config rejected: {chk.stdout}{chk.stderr}")
        # Keys first (the KASP database outlives restarts), then the root zone with the DS of
        # every signed zone; knot signs all of them as it loads.
        ds = {}
        for z in [".", *signed]:
            dnsmod.ensure_zone_key(conf, z)
            if z != ".":
                ds[z] = dnsmod.zone_ds(conf, z, bogus=z in BOGUS_ZONES)
        self.trust_anchor = dnsmod.zone_dnskey(conf, ".")
        tlds = zones + [f"{uz.name}." for uz in update_zones if "." not in uz.name]
        (base / "zones" / "root.zone").write_text(
            dnsmod.render_root_zone(tlds, ds, self._serial, self.negative_ttl))
        served = [".", *zones, *[f"{uz.name}." for uz in update_zones]]
        self._restart("knot", [_tool("knotd"), "-c", str(conf)], None,
                      probe=lambda: self._dns_ready(AUTH_ADDR, served))

    def _start_unbound(self, zones: list[str], servfail: list[str], unresp: list[str]) -> None:
        base = self.dir / "unbound"
        base.mkdir(exist_ok=True)
        conf = base / "unbound.conf"
        assert self.trust_anchor is not None, "knot starts first"
        conf.write_text(dnsmod.unbound_config(base, zones, servfail, unresp, self.trust_anchor))
        chk = self.netns.run([_tool("unbound-checkconf"), str(conf)], timeout=20)
        if chk.returncode != 0:
            raise WorldError(f"unbound config rejected: {chk.stdout}{chk.stderr}")
        self._unbound_conf = conf
        # Zones that fail validation answer SERVFAIL by design: not a readiness signal.
        healthy = [".", *[z for z in zones if z not in BOGUS_ZONES]]
        self._restart("unbound", [_tool("unbound"), "-d", "-c", str(conf)], None,
                      probe=lambda: self._dns_ready(RESOLVER_ADDR, healthy))

    def _dns_ready(self, server: str, zones: list[str]) -> bool:
        for z in zones:
            if self.call(udp_query, server, z, "SOA", timeout=5) != 0:
                return False
        return True

    def _ddns(self, old: ZoneData, new: ZoneData) -> None:
        for zone, script in dnsmod.update_script(old, new).items():
            r = self.netns.run([_tool("knsupdate"), "-t", "5", "-y",
                                f"hmac-sha256:{dnsmod.TSIG_NAME}:{self._tsig}"],
                               input=script, timeout=20)
            if r.returncode != 0 or "error" in (r.stderr or "").lower():
                raise WorldError(f"dynamic update of {zone} failed ({r.returncode}):\n"
                                 f"{r.stdout}{r.stderr}\nscript:\n{script}")

    def _unbound_control(self, args: list[str]) -> None:
        r = self.netns.run([_tool("unbound-control"), "-c", str(self._unbound_conf), *args],
                           timeout=20)
        if r.returncode != 0:
            raise WorldError(f"unbound-control {' '.join(args)} failed: {r.stdout}{r.stderr}")


def _merge_mx_host(hosts: dict[str, MxHost], h: MxHost) -> None:
    """One MX name may serve several domains; its server options must agree."""
    canon = dataclasses.replace(h, preference=None, mx_record=True)
    have = hosts.get(h.name)
    if have is None:
        hosts[h.name] = canon
    elif have != canon:
        raise ValueError(f"MX host {h.name} declared twice with different options:\n"
                         f"  {have}\n  {canon}")
