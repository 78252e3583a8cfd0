"""DNS of the test world: the zone data model, knot (authoritative, 127.0.0.53) and unbound
(recursive, 127.0.0.1), plus RFC 2136 dynamic updates with knsupdate.

Every name's zone is its top-level label (`a.test` lives in zone `test.`); each such zone is a knot
zone and an unbound stub-zone. Names listed as SERVFAIL or unresponsive become unbound stub-zones
pointing at the SERVFAIL server or at the blackhole. Update zones (model.UpdateZone) are knot zones
of their own, changed only by clients holding the zone's TSIG key, with an unbound stub each.
"""

from __future__ import annotations

import base64
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

from world.model import TxtValue, UpdateZone, normalize_name

AUTH_ADDR = "127.0.0.53"
RESOLVER_ADDR = "127.0.0.1"
SERVFAIL_ADDR = "127.0.0.54"
BLACKHOLE_ADDR = "127.0.0.99"
TSIG_NAME = "world-key"


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


def knot_config(base: Path, zones: Iterable[str], tsig_secret: str,
                update_zones: Sequence[UpdateZone] = ()) -> str:
    zone_lines = "".join(f"  - domain: {z}\n    acl: ddns\n" for z in sorted(zones))
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
                   unresponsive: Iterable[str]) -> str:
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
        '    module-config: "iterator"',
        "    qname-minimisation: no",
        "    infra-host-ttl: 5",
        "    infra-keep-probing: yes",
        "    prefetch: no",
        "    serve-expired: no",
        "    minimal-responses: no",
    ]
    for z in zones:
        lines += [f'    local-zone: "{z}" nodefault', f'    domain-insecure: "{z}"']
    lines += ["", "remote-control:", "    control-enable: yes",
              f'    control-interface: "{base / "unbound.ctl"}"', "    control-use-cert: no", ""]
    for z in zones:
        lines += ["stub-zone:", f'    name: "{z}"', f"    stub-addr: {AUTH_ADDR}@53", ""]
    for n in sorted(set(servfail)):
        lines += ["stub-zone:", f'    name: "{n}."', f"    stub-addr: {SERVFAIL_ADDR}@53", ""]
    for n in sorted(set(unresponsive)):
        lines += ["stub-zone:", f'    name: "{n}."', f"    stub-addr: {BLACKHOLE_ADDR}@53", ""]
    return "\n".join(lines) + "\n"


def reset_knot_dirs(base: Path) -> None:
    for sub in ("run", "db", "zones"):
        shutil.rmtree(base / sub, ignore_errors=True)
        (base / sub).mkdir(parents=True)
