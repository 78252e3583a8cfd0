"""Data that tests use to describe the domains of the test world.

A test describes each destination domain as a `Domain`; the world turns the descriptions into DNS
records (knot), certificates (the test CA), policy-host behaviour (HTTPS on port 443) and MX hosts
(SMTP on port 25). Nothing here does I/O.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Optional, Sequence, Union

# A TXT value as tests write it. A str is one RR with one string (split into 255-byte pieces when
# longer, as DNS requires); a list is several RRs, each a str or a list of strings (one RR made of
# several character-strings, the "multi-string" case); bytes stand for raw octets.
TxtString = Union[str, bytes]
TxtValue = Union[TxtString, Sequence[Union[TxtString, Sequence[TxtString]]]]

CERT_VARIANTS = (
    "valid",  # SAN = the name, CN = the name, issued by the test CA, valid now
    "expired",  # validity ended a day ago
    "expiring",  # valid, but ends in 7 days (inside mtasts check's 14-day warning)
    "not_yet_valid",  # validity starts tomorrow
    "wrong_name",  # SAN and CN name the parent domain, not the host
    "cn_only",  # CN = the name, no subjectAltName extension at all
    "wildcard",  # SAN = *.<parent domain>
    "untrusted",  # like valid, but issued by a second CA that nobody trusts
    "self_signed",  # like valid, but self-signed
    "chain",  # issued by an intermediate CA; the server sends leaf + intermediate
    "missing_intermediate",  # issued by the intermediate; the server sends the leaf only
)

TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

# TLSA data a test asks for by name; the world derives the digest from the MX host's certificate:
TLSA_SPECS = (
    "3 1 1",  # DANE-EE: SHA-256 of the leaf's SubjectPublicKeyInfo
    "2 1 1",  # DANE-TA: SHA-256 of the issuing CA's SPKI (only cert="chain" sends the issuer)
    "3 1 1 mismatch",  # like "3 1 1", but a digest that matches no certificate
    "2 1 1 mismatch",  # like "2 1 1", but a digest that matches no certificate
)

STALL_POINTS = (
    "handshake",  # TCP accepted, ClientHello read, no ServerHello ever sent
    "request",  # TLS done and request read, no response ever sent
    "headers",  # status line and headers sent, then nothing
    "body",  # headers and `stall_after` bytes of body sent, then nothing
)

# Replies an MX host may give to the STARTTLS command it offered (MxHost.starttls).
STARTTLS_REFUSALS = ("454",)

DEFAULT_POLICY_ADDRESS = "127.0.0.1"
DEFAULT_MX_ADDRESS = "127.0.0.2"
POLICY_PATH = "/.well-known/mta-sts.txt"


def normalize_name(name: str) -> str:
    """Lower-cases a domain name and drops a trailing dot; rejects empty or relative garbage."""
    n = name.strip().lower().rstrip(".")
    if not n or " " in n or ".." in n:
        raise ValueError(f"bad domain name {name!r}")
    return n


def filler(n: int) -> bytes:
    """Exactly n bytes of well-formed policy extension lines ("x-padN: aaa...\r\n"), which
    RFC 8461 §3.2 says receivers ignore: a padded policy stays valid except for its size."""
    if n < 16:
        return b"\r\n" * (n // 2) + b"\n" * (n % 2)
    out = bytearray()
    i = 0
    while len(out) < n:
        rem = n - len(out)
        prefix = f"x-pad{i}: ".encode()
        width = 68 if rem >= 200 else rem - len(prefix) - 2
        out += prefix + b"a" * width + b"\r\n"
        i += 1
    return bytes(out)


def policy_text(mode: str = "enforce", mx: Sequence[str] = (), max_age: int = 86400,
                version: str = "STSv1", eol: str = "\r\n", extra: Sequence[str] = ()) -> str:
    """Renders an RFC 8461 §3.2 policy file: version, mode, one mx line per pattern, max_age."""
    lines = [f"version: {version}", f"mode: {mode}"]
    lines += [f"mx: {m}" for m in mx]
    lines.append(f"max_age: {max_age}")
    lines += list(extra)
    return eol.join(lines) + eol


@dataclass
class Policy:
    """What the HTTPS policy host answers for `mta-sts.<domain>`, and how it misbehaves.

    The body is `body` when given, else a policy rendered from `mode`, `mx` (default: the names of
    the domain's MX hosts) and `max_age`. Only GET of /.well-known/mta-sts.txt gets this response;
    any other path gets 404. Every response carries `Connection: close`.
    """

    body: Optional[Union[str, bytes]] = None
    mode: str = "enforce"
    mx: Optional[Sequence[str]] = None
    max_age: int = 86400
    status: int = 200
    content_type: Optional[str] = "text/plain"  # None: no Content-Type header at all
    headers: Sequence[tuple[str, str]] = ()  # extra response headers, e.g. Cache-Control
    redirect: Optional[str] = None  # Location; status becomes 301 unless a 3xx status is given
    cert: str = "valid"  # one of CERT_VARIANTS, chosen by SNI
    tls_versions: Optional[tuple[str, str]] = None  # (min, max): gets a listener of its own
    alert: bool = False  # abort the TLS handshake with a handshake_failure alert
    content_length: Union[bool, int] = True  # True: correct; False: omitted; int: that value
    chunked: bool = False  # Transfer-Encoding: chunked
    chunk_size: int = 4096
    size: Optional[int] = None  # pad the body (with ignorable extension lines) to this many bytes
    endless: bool = False  # stream until the client closes (at most 64 MiB / stall_seconds)
    trickle: Optional[float] = None  # seconds between single body bytes
    stall: Optional[str] = None  # one of STALL_POINTS
    stall_after: int = 0  # body bytes sent before stall="body"
    stall_seconds: float = 120.0  # bound of any stall or trickle; the client gives up first
    close_after: Optional[int] = None  # close the connection after this many body bytes
    address: Optional[str] = None  # A record of the policy host; default 127.0.0.1

    def __post_init__(self) -> None:
        if self.stall is not None and self.stall not in STALL_POINTS:
            raise ValueError(f"unknown stall point {self.stall!r}; known: {STALL_POINTS}")
        _check_server(self.cert, self.tls_versions, self.address)


@dataclass
class MxHost:
    """An MX host: its MX record (in the owning domain), its A record and its SMTP server.

    MX hosts with default listener options share 127.0.0.2:25 and pick the certificate by SNI;
    a client that sends no SNI gets the certificate of the first MX host on that address. Hosts
    with their own `address`, `starttls` other than True, or `tls_versions` get a listener of
    their own.
    """

    name: str
    preference: Optional[int] = None  # default 10, 20, 30... in list order
    mx_record: bool = True  # False: only an A record (e.g. the implicit MX, name == domain)
    address: Optional[str] = None  # default 127.0.0.2 (shared listener)
    a_record: bool = True  # False: the MX name does not resolve
    serve: bool = True  # False: no SMTP server listens for it
    # True: STARTTLS offered and done; False: EHLO does not offer it; one of STARTTLS_REFUSALS
    # (e.g. "454"): offered in EHLO, but the command is answered with that reply code.
    starttls: Union[bool, str] = True
    cert: str = "valid"  # one of CERT_VARIANTS
    tls_versions: Optional[tuple[str, str]] = None  # (min, max)
    # TLSA RRs at _25._tcp.<name>, each one of TLSA_SPECS (derived from the host's certificate)
    # or full presentation rdata ("3 1 1 <hex>"); meant for MX hosts in a signed zone.
    tlsa: Sequence[str] = ()

    def __post_init__(self) -> None:
        self.name = normalize_name(self.name)
        self.tlsa = tuple(_check_tlsa(t) for t in self.tlsa)
        if not isinstance(self.starttls, bool) and self.starttls not in STARTTLS_REFUSALS:
            raise ValueError(f"starttls must be True, False or one of {STARTTLS_REFUSALS}")
        _check_server(self.cert, self.tls_versions, self.address)

    def listener_options(self) -> tuple:
        return (self.starttls, tuple(self.tls_versions) if self.tls_versions else None)

    def shares_default_listener(self) -> bool:
        return self.address is None and self.listener_options() == (True, None)


@dataclass
class Record:
    """Any other RR, in zone-file presentation format (TXT data may be a str/list as TxtValue)."""

    name: str
    rtype: str
    data: Union[str, TxtValue]
    ttl: Optional[int] = None

    def __post_init__(self) -> None:
        self.name = normalize_name(self.name)
        self.rtype = self.rtype.upper()


@dataclass
class Domain:
    """One destination domain of the test world.

    sts:        TXT RRs at `_mta-sts.<name>` (see TxtValue); None: the name does not exist.
    sts_cname:  CNAME chain from `_mta-sts.<name>`: [a, b] gives _mta-sts CNAME a, a CNAME b, and
                the TXT RRs sit at b.
    policy:     the policy host `mta-sts.<name>`; None: no such host (NXDOMAIN).
    policy_cname: CNAME chain from `mta-sts.<name>`; the A record sits at the last name. SNI and
                Host stay `mta-sts.<name>`, so the behaviour still comes from `policy`.
    mx:         MX hosts (MxHost or a bare name); MX records are created in list order.
    tlsrpt:     TXT RRs at `_smtp._tls.<name>`.
    records:    any other RRs (TLSA, AAAA, an A record at `_mta-sts.<name>` for NODATA, ...).
    servfail:   names (absolute, or relative to the domain: "_mta-sts", "mta-sts", "@") whose
                queries through the resolver end in SERVFAIL.
    unresponsive: names whose authoritative server never answers: the resolver keeps retrying and
                does not answer for minutes, so its client times out.
    ttl:        TTL of all the domain's records; use 1 for records a test changes.
    """

    name: str
    sts: Optional[TxtValue] = None
    sts_cname: Sequence[str] = ()
    policy: Optional[Policy] = None
    policy_cname: Sequence[str] = ()
    mx: Sequence[Union[MxHost, str]] = ()
    tlsrpt: Optional[TxtValue] = None
    records: Sequence[Record] = ()
    servfail: Sequence[str] = ()
    unresponsive: Sequence[str] = ()
    ttl: int = 300

    def __post_init__(self) -> None:
        self.name = normalize_name(self.name)
        self.sts_cname = [normalize_name(n) for n in self.sts_cname]
        self.policy_cname = [normalize_name(n) for n in self.policy_cname]
        hosts = []
        pref = 10
        for m in self.mx:
            h = MxHost(m) if isinstance(m, str) else dataclasses.replace(m)
            if h.preference is None and h.mx_record:
                h.preference = pref
                pref += 10
            hosts.append(h)
        self.mx = hosts
        self.records = list(self.records)
        self.servfail = [self.absolute(n) for n in self.servfail]
        self.unresponsive = [self.absolute(n) for n in self.unresponsive]

    @property
    def policy_host(self) -> str:
        return f"mta-sts.{self.name}"

    @property
    def sts_name(self) -> str:
        return f"_mta-sts.{self.name}"

    @property
    def tlsrpt_name(self) -> str:
        return f"_smtp._tls.{self.name}"

    def absolute(self, label: str) -> str:
        if label == "@":
            return self.name
        if label.endswith("."):
            return normalize_name(label)
        if label in ("_mta-sts", "mta-sts", "_smtp._tls") or "." not in label:
            return normalize_name(f"{label}.{self.name}")
        return normalize_name(label)

    def policy_body(self) -> bytes:
        """The policy body as served (before `size` padding)."""
        assert self.policy is not None
        p = self.policy
        if p.body is not None:
            return p.body.encode() if isinstance(p.body, str) else bytes(p.body)
        mx = p.mx if p.mx is not None else [h.name for h in self.mx if h.mx_record]
        return policy_text(p.mode, mx, p.max_age).encode()


UPDATE_ALGORITHMS = ("hmac-sha256", "hmac-sha512", "hmac-sha1")


@dataclass
class UpdateZone:
    """A zone of its own in knot that clients change by RFC 2136 dynamic update, signed (RFC 8945
    TSIG) with the zone's own key; no other key may update it. It starts with its SOA and NS
    records only; the world never writes to it, the test's client does. Unbound has a stub for it,
    so its names resolve like every other. A knot restart (a new top-level zone declared while
    running) empties it again.

    name:       the zone, e.g. "sts.provider.test" (below a world zone, or a top-level zone).
    key_name:   the TSIG key's name (default "<name>-key").
    algorithm:  one of UPDATE_ALGORITHMS.
    secret:     base64 of the key; default: derived from the name (stable across runs).
    """

    name: str
    key_name: Optional[str] = None
    algorithm: str = "hmac-sha256"
    secret: Optional[str] = None

    def __post_init__(self) -> None:
        self.name = normalize_name(self.name)
        if self.key_name is None:
            self.key_name = f"{self.name}-key"
        self.key_name = normalize_name(self.key_name)
        if self.algorithm not in UPDATE_ALGORITHMS:
            raise ValueError(f"unknown TSIG algorithm {self.algorithm!r}; known: "
                             f"{UPDATE_ALGORITHMS}")
        if self.secret is None:
            digest = hashlib.sha256(f"mtasts-world-update:{self.name}".encode()).digest()
            self.secret = base64.b64encode(digest).decode()
        base64.b64decode(self.secret, validate=True)

    def contains(self, name: str) -> bool:
        n = normalize_name(name)
        return n == self.name or n.endswith("." + self.name)


def _check_tlsa(spec: str) -> str:
    """A TLSA spec of MxHost.tlsa, whitespace-normalized; ValueError when it is neither one of
    TLSA_SPECS nor "usage selector matching-type hex"."""
    norm = " ".join(str(spec).split()).lower()
    if norm in TLSA_SPECS:
        return norm
    parts = norm.split(" ")
    if (len(parts) == 4 and all(p.isdigit() for p in parts[:3]) and parts[3]
            and all(c in "0123456789abcdef" for c in parts[3])):
        return norm
    raise ValueError(f"bad TLSA spec {spec!r}: one of {TLSA_SPECS} or 'U S M <hex>'")


def _check_loopback(address: str) -> None:
    parts = address.split(".")
    if len(parts) != 4 or parts[0] != "127" or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError(f"{address!r}: the test world uses 127.0.0.0/8 addresses only")


def _check_server(cert: str, tls_versions: Optional[Sequence[str]], address: Optional[str]) -> None:
    """ValueError unless a server's certificate variant, TLS versions and address are known."""
    if cert not in CERT_VARIANTS:
        raise ValueError(f"unknown cert variant {cert!r}; known: {CERT_VARIANTS}")
    for v in tls_versions or ():
        if v not in TLS_VERSIONS:
            raise ValueError(f"unknown TLS version {v!r}; known: {TLS_VERSIONS}")
    if address is not None:
        _check_loopback(address)
