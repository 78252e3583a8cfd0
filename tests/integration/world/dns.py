"""DNS of the test world: the zone data model, knot (authoritative, 127.0.0.53) and unbound
(recursive, 127.0.0.1), plus RFC 2136 dynamic updates with knsupdate.

Every name's zone is its top-level label (`a.test` lives in zone `test.`); each such zone is a knot
zone and an unbound stub-zone. Names listed as SERVFAIL or unresponsive become unbound stub-zones
pointing at the SERVFAIL server or at the blackhole. Update zones (model.UpdateZone) are knot zones
of their own, changed only by clients holding the zone's TSIG key, with an unbound stub each.

DNSSEC: knot also serves a root zone `.` that delegates every top-level zone (NS and glue, all on
knot), and signs it (ECDSA P-256, NSEC); unbound validates with the root's key as its only trust
anchor. Zones in SIGNED_ZONES are signed too and get a DS in the root: `dnssec.` validates (AD
set), while the DS of each zone in BOGUS_ZONES names the zone's key tag with a wrong digest, so
unbound answers SERVFAIL for every name in it. All other zones (`test.`, ...) are delegated without
a DS: provably insecure, answered as before and without AD. Keys live in a KASP database that
survives knot restarts, so the root's key (unbound's trust anchor) stays the same for the whole
life of a world.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

from world.model import TxtValue, UpdateZone, normalize_name
from world.netns import WorldError, tool

AUTH_ADDR = "127.0.0.53"
RESOLVER_ADDR = "127.0.0.1"
SERVFAIL_ADDR = "127.0.0.54"
BLACKHOLE_ADDR = "127.0.0.99"
TSIG_NAME = "world-key"
ROOT_NS = "a.root-servers."  # the root zone's name server (an A record inside the root zone)
SIGNED_ZONE = "dnssec."  # signed, with a matching DS in the root: names in it validate (AD)
BOGUS_ZONE = "bogus."  # signed, but the root's DS matches no key: SERVFAIL through unbound
SIGNED_ZONES = (SIGNED_ZONE, BOGUS_ZONE)  # the zones knot signs besides the root
BOGUS_ZONES = (BOGUS_ZONE,)
DNSSEC_POLICY = "world"


def zone_of(name: str) -> str:
    return normalize_name(name).rsplit(".", 1)[-1] + "."


def _quote(piece: bytes) -> str:
    out = []
    for c in piece:
        if 0x20 <= c < 0x7F and c not in (0x22, 0x5C):
            out.append(chr(c))
        else:
            out.append(f"\\{c:03d}")
    return '"' + "".join(out) + '"'


def _as_bytes(s) -> bytes:
    return s.encode() if isinstance(s, str) else bytes(s)


def _split255(b: bytes) -> list[bytes]:
    return [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]


def txt_rdatas(value: TxtValue) -> list[str]:
    """TXT presentation rdata, one per RR (see model.TxtValue)."""
    if isinstance(value, (str, bytes)):
        return [" ".join(_quote(p) for p in _split255(_as_bytes(value)))]
    out = []
    for rr in value:
        if isinstance(rr, (str, bytes)):
            out.append(" ".join(_quote(p) for p in _split255(_as_bytes(rr))))
        else:
            pieces = [_as_bytes(p) for p in rr]
            for p in pieces:
                if len(p) > 255:
                    raise ValueError(f"TXT character-string over 255 bytes: {p[:40]!r}...")
            out.append(" ".join(_quote(p) for p in pieces))
    return out


@dataclass
class RRset:
    ttl: int
    rdatas: list[str]


class ZoneData:
    """All RRsets of the world, keyed by (absolute name without dot, TYPE)."""

    def __init__(self) -> None:
        self.rrsets: dict[tuple[str, str], RRset] = {}

    def copy(self) -> "ZoneData":
        z = ZoneData()
        z.rrsets = {k: RRset(v.ttl, list(v.rdatas)) for k, v in self.rrsets.items()}
        return z

    def add(self, name: str, rtype: str, rdatas: Sequence[str], ttl: int,
            merge: bool = False) -> None:
        name = normalize_name(name)
        rtype = rtype.upper()
        if "." not in name:
            raise ValueError(f"{name}: records at a zone apex are not supported")
        types = {t for (n, t) in self.rrsets if n == name}
        if rtype == "CNAME" and types - {"CNAME"}:
            raise ValueError(f"{name}: CNAME next to other data ({sorted(types)})")
        if rtype != "CNAME" and "CNAME" in types:
            raise ValueError(f"{name}: {rtype} next to a CNAME")
        key = (name, rtype)
        if key in self.rrsets and merge:
            have = self.rrsets[key]
            have.rdatas += [r for r in rdatas if r not in have.rdatas]
            have.ttl = min(have.ttl, ttl)
        elif key in self.rrsets:
            raise ValueError(f"{name} {rtype}: declared twice")
        else:
            self.rrsets[key] = RRset(ttl, list(rdatas))

    def set(self, name: str, rtype: str, rdatas: Sequence[str], ttl: int) -> None:
        """Replaces the RRset; a CNAME displaces all other data at the name and vice versa."""
        name, rtype = normalize_name(name), rtype.upper()
        for key in [k for k in self.rrsets if k[0] == name]:
            if key[1] == rtype or (rdatas and "CNAME" in (rtype, key[1])):
                del self.rrsets[key]
        if rdatas:
            self.add(name, rtype, rdatas, ttl)

    def delete(self, name: str, rtype: Optional[str] = None) -> None:
        name = normalize_name(name)
        for key in [k for k in self.rrsets if k[0] == name and (rtype is None or
                                                               k[1] == rtype.upper())]:
            del self.rrsets[key]

    def zones(self) -> set[str]:
        return {zone_of(n) for (n, _) in self.rrsets}

    def render(self, zone: str, serial: int, negative_ttl: int) -> str:
        apex = zone.rstrip(".")
        lines = [
            f"$ORIGIN {zone}",
            f"@ {negative_ttl} IN SOA ns.{zone} hostmaster.{zone} {serial} 3600 600 86400 "
            f"{negative_ttl}",
            f"@ 300 IN NS ns.{zone}",
            f"ns.{zone} 300 IN A {AUTH_ADDR}",
        ]
        for (name, rtype), rr in sorted(self.rrsets.items()):
            if zone_of(name) != zone or name == f"ns.{apex}":
                continue
            for rd in rr.rdatas:
                lines.append(f"{name}. {rr.ttl} IN {rtype} {rd}")
        return "\n".join(lines) + "\n"


def update_script(old: ZoneData, new: ZoneData) -> dict[str, str]:
    """knsupdate input per zone that turns `old` into `new` (only the RRsets that differ)."""
    scripts: dict[str, list[str]] = {}
    keys = set(old.rrsets) | set(new.rrsets)
    # Deletions first, so that a CNAME can replace other data at a name (and vice versa).
    for key in sorted(keys):
        a, b = old.rrsets.get(key), new.rrsets.get(key)
        if a is not None and (b is None or (a.ttl, a.rdatas) != (b.ttl, b.rdatas)):
            scripts.setdefault(zone_of(key[0]), []).append(f"update delete {key[0]}. {key[1]}")
    for key in sorted(keys):
        a, b = old.rrsets.get(key), new.rrsets.get(key)
        if b is not None and (a is None or (a.ttl, a.rdatas) != (b.ttl, b.rdatas)):
            for rd in b.rdatas:
                scripts.setdefault(zone_of(key[0]), []).append(
                    f"update add {key[0]}. {b.ttl} {key[1]} {rd}")
    out = {}
    for zone, cmds in scripts.items():
        out[zone] = "\n".join([f"server {AUTH_ADDR} 53", f"zone {zone}", f"origin {zone}",
                               *cmds, "send", "quit"]) + "\n"
    return out


def new_tsig_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def render_update_zone(zone: UpdateZone, serial: int, negative_ttl: int) -> str:
    """The starting zone file of an update zone: SOA, NS and the name server's address."""
    origin = f"{zone.name}."
    return "\n".join([
        f"$ORIGIN {origin}",
        f"@ {negative_ttl} IN SOA ns.{origin} hostmaster.{origin} {serial} 3600 600 86400 "
        f"{negative_ttl}",
        f"@ 300 IN NS ns.{origin}",
        f"ns.{origin} 300 IN A {AUTH_ADDR}",
    ]) + "\n"


def render_root_zone(tlds: Iterable[str], ds: dict[str, list[str]], serial: int,
                     negative_ttl: int) -> str:
    """The root zone: its own NS, and a delegation (NS and glue on knot) for every top-level zone
    in `tlds`; `ds` gives the DS rdatas of the signed ones (no DS: an insecure delegation)."""
    lines = [
        "$ORIGIN .",
        f"@ {negative_ttl} IN SOA {ROOT_NS} hostmaster.{ROOT_NS} {serial} 3600 600 86400 "
        f"{negative_ttl}",
        f"@ 300 IN NS {ROOT_NS}",
        f"{ROOT_NS} 300 IN A {AUTH_ADDR}",
    ]
    for tld in sorted(set(tlds)):
        lines += [f"{tld} 300 IN NS ns.{tld}", f"ns.{tld} 300 IN A {AUTH_ADDR}"]
        lines += [f"{tld} 300 IN DS {rd}" for rd in ds.get(tld, [])]
    return "\n".join(lines) + "\n"


def _keymgr(conf: Path, *args: str) -> str:
    """keymgr on the KASP database that `conf` names; its stdout."""
    r = subprocess.run([tool("keymgr") or "keymgr", "-c", str(conf), *args],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise WorldError(f"keymgr {' '.join(args)} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r.stdout


def ensure_zone_key(conf: Path, zone: str) -> None:
    """Makes the zone's signing key (one ECDSA P-256 CSK) in knot's KASP database unless it has
    one. keymgr works on the database directly, so this runs before knotd starts."""
    if not _keymgr(conf, zone, "list").strip():
        _keymgr(conf, zone, "generate", "algorithm=13", "ksk=yes", "zsk=yes")


def zone_ds(conf: Path, zone: str, bogus: bool = False) -> list[str]:
    """The zone's DS rdata (SHA-256 digest) for the parent; with `bogus`, the right key tag and
    algorithm with a digest that matches no key."""
    out = []
    for line in _keymgr(conf, zone, "ds").splitlines():
        parts = line.split()
        if len(parts) == 6 and parts[1] == "DS" and parts[4] == "2":
            tag, alg, digest = parts[2], parts[3], parts[5]
            if bogus:
                digest = hashlib.sha256(b"no key of this zone" + digest.encode()).hexdigest()
            out.append(f"{tag} {alg} 2 {digest}")
    if not out:
        raise ValueError(f"keymgr printed no SHA-256 DS for {zone}")
    return out


def zone_dnskey(conf: Path, zone: str) -> str:
    """The zone's KSK as a DNSKEY RR in presentation format (unbound's `trust-anchor:`)."""
    lines = [ln.strip() for ln in _keymgr(conf, zone, "dnskey").splitlines() if " DNSKEY " in ln]
    if len(lines) != 1:
        raise ValueError(f"expected one DNSKEY for {zone}, keymgr printed {lines}")
    return lines[0]


def knot_config(base: Path, zones: Iterable[str], tsig_secret: str,
                update_zones: Sequence[UpdateZone] = (), signed: Iterable[str] = ()) -> str:
    """knot's configuration: the root zone (signed) and `zones` (those in `signed` signed too),
    each open to dynamic update with the world's key, plus the update zones."""
    signed = set(signed)
    signing = f"    dnssec-signing: on\n    dnssec-policy: {DNSSEC_POLICY}\n"
    zone_lines = f'  - domain: .\n    file: "root.zone"\n    acl: ddns\n{signing}'
    zone_lines += "".join(f"  - domain: {z}\n    acl: ddns\n" + (signing if z in signed else "")
                          for z in sorted(zones))
    keys: dict[str, tuple[str, str]] = {TSIG_NAME: ("hmac-sha256", tsig_secret)}
    acls = ""
    for i, uz in enumerate(sorted(update_zones, key=lambda u: u.name)):
        have = keys.setdefault(uz.key_name, (uz.algorithm, uz.secret))
        if have != (uz.algorithm, uz.secret):
            raise ValueError(f"TSIG key {uz.key_name} declared twice with different secrets")
        # RFC 2136 updates of this zone only with its own key (knot: acl action update).
        acls += (f"  - id: update{i}\n    address: 127.0.0.0/8\n    key: {uz.key_name}\n"
                 "    action: update\n")
        zone_lines += f"  - domain: {uz.name}.\n    acl: update{i}\n"
    key_lines = "".join(f"  - id: {name}\n    algorithm: {alg}\n    secret: {secret}\n"
                        for name, (alg, secret) in keys.items())
    return f"""server:
    rundir: "{base / 'run'}"
    user: root
    listen: {AUTH_ADDR}@53
    background-workers: 1
    udp-workers: 2
    tcp-workers: 2

log:
  - target: stderr
    any: info

database:
    storage: "{base / 'db'}"
    kasp-db: "{base / 'kasp'}"

policy:
  - id: {DNSSEC_POLICY}
    algorithm: ecdsap256sha256
    single-type-signing: on
    manual: on
    nsec3: off

key:
{key_lines}
acl:
  - id: ddns
    address: 127.0.0.0/8
    key: {TSIG_NAME}
    action: update
{acls}
template:
  - id: default
    storage: "{base / 'zones'}"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    semantic-checks: off

zone:
{zone_lines}"""


def unbound_config(base: Path, zones: Iterable[str], servfail: Iterable[str],
                   unresponsive: Iterable[str], trust_anchor: str) -> str:
    """unbound validates from `trust_anchor` (the root's DNSKEY); the root and every zone are
    stubs to knot, SERVFAIL and unresponsive names stubs to their servers."""
    zones = sorted(zones)
    lines = [
        "server:",
        f"    interface: {RESOLVER_ADDR}",
        "    port: 53",
        "    do-ip4: yes",
        "    do-ip6: no",
        "    do-udp: yes",
        "    do-tcp: yes",
        "    do-daemonize: no",
        '    username: ""',
        '    chroot: ""',
        f'    directory: "{base}"',
        f'    pidfile: "{base / "unbound.pid"}"',
        "    use-syslog: no",
        '    logfile: ""',
        "    verbosity: 1",
        "    num-threads: 1",
        "    access-control: 127.0.0.0/8 allow",
        "    do-not-query-localhost: no",
        '    module-config: "validator iterator"',
        f'    trust-anchor: "{trust_anchor}"',
        "    trust-anchor-signaling: no",
        "    val-log-level: 2",
        # Synthesized NXDOMAIN from cached NSEC would outlive a dynamic update (world.dns.set
        # flushes the changed name only), so signed zones change as visibly as unsigned ones.
        "    aggressive-nsec: no",
        "    qname-minimisation: no",
        "    infra-host-ttl: 5",
        "    infra-keep-probing: yes",
        "    prefetch: no",
        "    serve-expired: no",
        "    minimal-responses: no",
    ]
    # No domain-insecure: the root's signed denial of a DS proves a zone insecure. nodefault
    # lifts unbound's built-in answers for special-use names (test., invalid., ...).
    for z in zones:
        lines += [f'    local-zone: "{z}" nodefault']
    lines += ["", "remote-control:", "    control-enable: yes",
              f'    control-interface: "{base / "unbound.ctl"}"', "    control-use-cert: no", ""]
    for z in [".", *zones]:
        lines += ["stub-zone:", f'    name: "{z}"', f"    stub-addr: {AUTH_ADDR}@53", ""]
    for n in sorted(set(servfail)):
        lines += ["stub-zone:", f'    name: "{n}."', f"    stub-addr: {SERVFAIL_ADDR}@53", ""]
    for n in sorted(set(unresponsive)):
        lines += ["stub-zone:", f'    name: "{n}."', f"    stub-addr: {BLACKHOLE_ADDR}@53", ""]
    return "\n".join(lines) + "\n"


def reset_knot_dirs(base: Path) -> None:
    """Empties knot's run, database and zone directories; the KASP database (keys) stays."""
    for sub in ("run", "db", "zones"):
        shutil.rmtree(base / sub, ignore_errors=True)
        (base / sub).mkdir(parents=True)
    (base / "kasp").mkdir(exist_ok=True)
