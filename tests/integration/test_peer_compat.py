"""Drop-in compatibility with Debian's postfix-mta-sts-resolver.

The peer (`mta-sts-daemon`) and `mtasts daemon` are started, one after the other on the same
port, from the SAME config file: the peer's YAML with an `mtasts:` section holding
`mx_match: patterns` (the peer ignores top-level keys it does not know; checked in its
utils.populate_cfg_defaults). Both get the same requests, one at a time on one connection as
Postfix sends them, then pipelined. Replies must be byte-identical, and equal to the RFC-correct
reply written below, wherever the peer is RFC-correct; lists of several mx patterns are compared
as sets (the peer orders them arbitrarily). Every case where the peer is wrong is asserted
explicitly in KNOWN_DIFFERENCES and listed in docs/peer-differences.md with its RFC section.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from world import Domain, Policy, WorldError, policy_text
from world.peer import MtastsDaemon, PeerDaemon, daemon_config, write_config
from world.socketmap_client import Connection, request

PORT = 18462
NF = "NOTFOUND "
ZONES = {"strict": {"strict_testing": True}, "nosni": {"require_sni": False}}


def sts(name: str, policy: Policy | None = None, record="v=STSv1; id=1", **kw) -> Domain:
    """A domain with an STS record and (by default) an enforce policy naming mx1.<name>."""
    policy = policy or Policy()
    if policy.mx is None and policy.body is None:
        policy = dataclasses.replace(policy, mx=[f"mx1.{name}"])
    return Domain(name, sts=record, policy=policy, mx=[f"mx1.{name}"], **kw)


STALE_MAX_AGE = 3
WORLD_DOMAINS = [
    sts("pc-enforce.test"),
    sts("pc-multi.test", Policy(mx=["mx1.pc-multi.test", "mx2.pc-multi.test",
                                    "*.backup.pc-multi.test"])),
    sts("pc-wild.test", Policy(mx=["*.pc-wild.test"])),
    sts("pc-testing.test", Policy(mode="testing")),
    sts("pc-none.test", Policy(mode="none", mx=[])),
    Domain("pc-norecord.test", sts=None, policy=Policy(mx=["mx1.pc-norecord.test"])),
    sts("pc-multirecord.test", record=["v=STSv1; id=1", "v=STSv1; id=2"]),
    sts("pc-noid.test", record="v=STSv1;"),
    sts("pc-badid.test", record="v=STSv1; id=bad_id!"),
    sts("pc-split.test", record=[["v=STSv1; ", "id=12345"]]),
    sts("pc-spf.test", record=["v=spf1 -all", "v=STSv1; id=7"]),
    sts("pc-404.test", Policy(status=404)),
    sts("pc-redirect.test",
        Policy(redirect="https://mta-sts.pc-enforce.test/.well-known/mta-sts.txt")),
    sts("pc-html.test", Policy(content_type="text/html")),
    sts("pc-params.test", Policy(content_type="text/plain; charset=utf-8")),
    sts("pc-expiredcert.test", Policy(cert="expired")),
    sts("pc-untrusted.test", Policy(cert="untrusted")),
    Domain("pc-nohost.test", sts="v=STSv1; id=1", policy=None),
    sts("pc-big.test", Policy(size=70 * 1024)),
    sts("pc-servfail.test", servfail=["_mta-sts"]),
    sts("pc-badmode.test", Policy(body=policy_text("Enforce", ["mx1.pc-badmode.test"]))),
    sts("pc-nomx.test", Policy(body=policy_text("enforce", []))),
    sts("pc-lf.test", Policy(body=policy_text("enforce", ["mx1.pc-lf.test"], eol="\n"))),
    sts("pc-ipmx.test", Policy(mx=["mx1.pc-ipmx.test", "127.0.0.2"])),
    sts("pc-stale.test", Policy(max_age=STALE_MAX_AGE)),
    sts("pc-backoff.test", Policy(status=500)),
    sts("pc-flight.test"),
]


def ok(*patterns: str, sni: bool = True) -> str:
    return "OK secure match=" + ":".join(patterns) + (" servername=hostname" if sni else "")


# (id, socketmap name, key, the RFC-correct reply both must give)
SAME = [
    ("enforce", "postfix", "pc-enforce.test", ok("mx1.pc-enforce.test")),
    ("multi", "postfix", "pc-multi.test",
     ok("mx1.pc-multi.test", "mx2.pc-multi.test", ".backup.pc-multi.test")),
    ("wildcard", "postfix", "pc-wild.test", ok(".pc-wild.test")),
    ("testing", "postfix", "pc-testing.test", NF),
    ("none", "postfix", "pc-none.test", NF),
    ("no-record", "postfix", "pc-norecord.test", NF),
    ("two-records", "postfix", "pc-multirecord.test", NF),
    ("record-without-id", "postfix", "pc-noid.test", NF),
    ("record-in-two-strings", "postfix", "pc-split.test", ok("mx1.pc-split.test")),
    ("record-beside-spf", "postfix", "pc-spf.test", ok("mx1.pc-spf.test")),
    ("status-404", "postfix", "pc-404.test", NF),
    ("redirect", "postfix", "pc-redirect.test", NF),
    ("content-type-html", "postfix", "pc-html.test", NF),
    ("content-type-params", "postfix", "pc-params.test", ok("mx1.pc-params.test")),
    ("expired-cert", "postfix", "pc-expiredcert.test", NF),
    ("untrusted-cert", "postfix", "pc-untrusted.test", NF),
    ("no-policy-host", "postfix", "pc-nohost.test", NF),
    ("body-over-64k", "postfix", "pc-big.test", NF),
    ("txt-servfail", "postfix", "pc-servfail.test", NF),
    ("mode-case", "postfix", "pc-badmode.test", NF),
    ("enforce-without-mx", "postfix", "pc-nomx.test", NF),
    ("lf-line-ends", "postfix", "pc-lf.test", ok("mx1.pc-lf.test")),
    ("parent-probe", "postfix", ".pc-enforce.test", NF),
    ("subdomain-no-parent-policy", "postfix", "sub.pc-enforce.test", NF),
    ("ipv4-bracketed", "postfix", "[127.0.0.2]", NF),
    ("ipv4-bracketed-port", "postfix", "[127.0.0.2]:25", NF),
    ("ipv4-bare", "postfix", "127.0.0.2", NF),
    ("ipv6-bracketed", "postfix", "[2001:db8::1]", NF),
    ("bracketed", "postfix", "[pc-enforce.test]", ok("mx1.pc-enforce.test")),
    ("bracketed-port", "postfix", "[pc-enforce.test]:587", ok("mx1.pc-enforce.test")),
    ("port", "postfix", "pc-enforce.test:25", ok("mx1.pc-enforce.test")),
    ("uppercase", "postfix", "PC-Enforce.TEST", ok("mx1.pc-enforce.test")),
    ("trailing-dot", "postfix", "pc-enforce.test.", ok("mx1.pc-enforce.test")),
    ("leading-space", "postfix", " pc-enforce.test", ok("mx1.pc-enforce.test")),
    ("zone-strict-testing", "strict", "pc-testing.test", ok("mx1.pc-testing.test")),
    ("zone-strict-enforce", "strict", "pc-enforce.test", ok("mx1.pc-enforce.test")),
    ("zone-strict-none", "strict", "pc-none.test", NF),
    ("zone-no-sni", "nosni", "pc-enforce.test", ok("mx1.pc-enforce.test", sni=False)),
    ("zone-no-sni-wildcard", "nosni", "pc-wild.test", ok(".pc-wild.test", sni=False)),
    ("zone-unknown-is-default", "elsewhere", "pc-enforce.test", ok("mx1.pc-enforce.test")),
]

# (id, socketmap name, key, what the peer answers) where the peer is wrong; what mtasts must do
# instead is asserted in the test of each.
KNOWN_DIFFERENCES = {
    # RFC 8461 §3.1: id is 1*32(ALPHA / DIGIT); a syntactically invalid record means no policy.
    "invalid-record-id": ("postfix", "pc-badid.test", ok("mx1.pc-badid.test")),
    # RFC 8461 §4.1: an address as an mx value matches no MX; the peer hands it to Postfix.
    "ip-literal-mx": ("postfix", "pc-ipmx.test", None),
}


def normalize(reply: str) -> tuple:
    """A reply with its match= list as a set (the peer orders several patterns arbitrarily)."""
    words = reply.split(" ")
    out = []
    for w in words:
        if w.startswith("match="):
            out.append(("match", frozenset(w[len("match="):].split(":"))))
        else:
            out.append(w)
    return tuple(out)


def match_list(reply: str) -> list[str]:
    for w in reply.split(" "):
        if w.startswith("match="):
            return w[len("match="):].split(":")
    return []


class Replies:
    """What one daemon answered in the scenario below."""

    def __init__(self) -> None:
        self.sequential: dict[str, str] = {}
        self.cached: dict[str, str] = {}
        self.pipelined: dict[str, str] = {}
        self.differences: dict[str, str] = {}
        self.stale_before = ""
        self.stale_after = ""
        self.backoff_replies: list[str] = []
        self.backoff_fetches = 0
        self.flight_replies: list[str] = []
        self.flight_fetches = 0


def scenario(world, daemon) -> Replies:
    """Every request of this module against one daemon. The world is put back in its initial
    state first, so both daemons see the same."""
    world.set_policy("pc-stale.test", Policy(mx=["mx1.pc-stale.test"], max_age=STALE_MAX_AGE))
    r = Replies()
    cases = [(i, m, k) for i, m, k, _ in SAME]
    diffs = [(i, m, k) for i, (m, k, _) in KNOWN_DIFFERENCES.items()]
    r.sequential, r.differences, r.cached, r.pipelined = world.call(
        _static, daemon.address, cases, diffs, timeout=300)

    # RFC 8461 §3.2/§5.1: a policy is cached for max_age from its last fetch; then it is fetched
    # again, even when the TXT id has not changed.
    r.stale_before = daemon.query("postfix", "pc-stale.test")
    world.set_policy("pc-stale.test", Policy(mode="testing", mx=["mx1.pc-stale.test"],
                                             max_age=STALE_MAX_AGE))
    time.sleep(STALE_MAX_AGE + 2)
    r.stale_after = daemon.query("postfix", "pc-stale.test")

    # RFC 8461 §3.3: after a failed fetch, further attempts SHOULD wait five minutes or more.
    mark = world.https.mark()
    for _ in range(3):
        r.backoff_replies.append(daemon.query("postfix", "pc-backoff.test"))
        time.sleep(1.2)
    r.backoff_fetches = len(world.https.requests("mta-sts.pc-backoff.test", since=mark))

    # Concurrent first lookups of one domain: eight connections at once.
    mark = world.https.mark()
    r.flight_replies = world.call(_concurrent, daemon.address, "pc-flight.test", 8, timeout=60)
    r.flight_fetches = len(world.https.requests("mta-sts.pc-flight.test", since=mark))
    return r


def _static(addr, cases, diffs) -> tuple[dict, dict, dict, dict]:
    """Inside the namespace: every case one at a time on one connection (as Postfix asks), the
    known differences, every case again (now cached), then every case pipelined."""
    seq, dif, cached, piped = {}, {}, {}, {}
    with Connection(addr, timeout=60) as c:
        for i, m, k in cases:
            seq[i] = c.query(m, k)
        for i, m, k in diffs:
            dif[i] = c.query(m, k)
        for i, m, k in cases:
            cached[i] = c.query(m, k)
    with Connection(addr, timeout=60) as c:
        c.send_raw(b"".join(request(m, k) for _, m, k in cases))
        for (i, _, _), rep in zip(cases, c.read_replies(len(cases))):
            piped[i] = rep
    return seq, dif, cached, piped


def _concurrent(addr, key: str, n: int) -> list[str]:
    conns = [Connection(addr, timeout=30) for _ in range(n)]
    out: list[str] = [""] * n
    start = threading.Barrier(n)

    def one(i: int) -> None:
        start.wait(timeout=10)
        out[i] = conns[i].query("postfix", key)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=40)
    for c in conns:
        c.close()
    return out


@pytest.fixture(scope="module")
def config_path(world):
    cfg = daemon_config(world, PORT, zones=ZONES, cache_grace=1,
                        default_zone={"timeout": 4}, mtasts={"mx_match": "patterns"})
    return write_config(world, cfg, "compat.yml")


@pytest.fixture(scope="module")
def peer(world, config_path) -> Replies:
    d = PeerDaemon(world, config_path, name="compat-peer").start()
    try:
        return scenario(world, d)
    finally:
        d.stop()


@pytest.fixture(scope="module")
def mtasts(world, config_path, peer, mtasts_bin) -> Replies:
    d = MtastsDaemon(world, config_path, binary=mtasts_bin, name="compat-mtasts").start()
    try:
        return scenario(world, d)
    finally:
        d.stop()


def test_the_peer_answers_as_peers_md_says(peer):
    """The harness itself: the peer's replies are the documented ones (PEERS.md)."""
    for i, _, _, want in SAME:
        assert normalize(peer.sequential[i]) == normalize(want), i
    assert peer.differences["invalid-record-id"] == KNOWN_DIFFERENCES["invalid-record-id"][2]
    assert "127.0.0.2" in match_list(peer.differences["ip-literal-mx"])
    assert peer.stale_after == ok("mx1.pc-stale.test")
    assert peer.backoff_fetches == 3
    assert peer.flight_fetches > 1


@pytest.mark.parametrize("case", [c[0] for c in SAME])
def test_same_reply(peer, mtasts, case):
    want = next(c[3] for c in SAME if c[0] == case)
    for name, r in (("peer", peer), ("mtasts", mtasts)):
        for phase in ("sequential", "cached", "pipelined"):
            got = getattr(r, phase)[case]
            assert normalize(got) == normalize(want), f"{name} {phase}: {got!r}"
    if len(match_list(want)) <= 1:
        assert mtasts.sequential[case] == peer.sequential[case]  # byte-identical


def test_difference_invalid_record_id(peer, mtasts):
    """RFC 8461 §3.1: "id=bad_id!" breaks the sts-id ABNF, so the domain has no policy; the
    peer does not check the id and enforces the policy."""
    assert peer.differences["invalid-record-id"] == ok("mx1.pc-badid.test")
    assert mtasts.differences["invalid-record-id"] == NF


def test_difference_ip_literal_mx(peer, mtasts):
    """RFC 8461 §3.2/§4.1: `mx: 127.0.0.2` is not a host name an MX record can hold, so it
    matches no MX (docs/decisions.md, CONFORMANCE 020). The peer passes the address to Postfix as
    an allowed name; mtasts keeps the policy and leaves the address out of match=."""
    assert set(match_list(peer.differences["ip-literal-mx"])) == {"mx1.pc-ipmx.test",
                                                                    "127.0.0.2"}
    assert mtasts.differences["ip-literal-mx"] == ok("mx1.pc-ipmx.test")


def test_difference_policy_refetched_after_max_age(peer, mtasts):
    """RFC 8461 §3.2 (cache "for up to" max_age "from the last policy fetch") and §5.1 step 1:
    an expired policy is fetched again. With an unchanged id the peer only renews its timestamp
    and keeps the old body for ever (peer issues #109, #113)."""
    assert peer.stale_before == mtasts.stale_before == ok("mx1.pc-stale.test")
    assert peer.stale_after == ok("mx1.pc-stale.test")  # still the old enforce body
    assert mtasts.stale_after == NF  # the new body: mode testing


def test_difference_failed_fetch_backoff(peer, mtasts):
    """RFC 8461 §3.3: after a failed HTTPS fetch, attempts SHOULD be limited to one per five
    minutes per id. The peer fetches on every lookup."""
    assert peer.backoff_replies == mtasts.backoff_replies == [NF] * 3
    assert peer.backoff_fetches == 3
    assert mtasts.backoff_fetches == 1


def test_difference_concurrent_misses_fetch_once(peer, mtasts):
    """Eight simultaneous first lookups of one domain: mtasts fetches the policy once
    (single-flight), the peer once per lookup. Not an RFC requirement; RFC 8461 §3.3 asks senders
    not to overwhelm policy hosts."""
    assert peer.flight_replies == mtasts.flight_replies == [ok("mx1.pc-flight.test")] * 8
    assert peer.flight_fetches > 1
    assert mtasts.flight_fetches == 1


def test_difference_reuse_port_false_is_accepted(world, config_path, mtasts_bin):
    """`reuse_port: false` is a documented peer key; the peer 1.1.2 dies at start-up with it
    (UnboundLocalError in responder.start). mtasts starts from the same file and serves."""
    import yaml

    cfg = yaml.safe_load(config_path.read_text())
    cfg.update(reuse_port=False, port=PORT + 1)
    path = write_config(world, cfg, "compat-reuse-port.yml")
    with pytest.raises(WorldError, match="exited"):
        PeerDaemon(world, path, name="compat-peer-reuse-port").start()
    d = MtastsDaemon(world, path, binary=mtasts_bin, name="compat-mtasts-reuse-port").start()
    try:
        assert d.query("postfix", "pc-enforce.test") == ok("mx1.pc-enforce.test")
    finally:
        d.stop()
