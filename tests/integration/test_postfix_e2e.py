"""Real Postfix (Debian's 3.7) end to end in the test world, asking `mtasts daemon` (default
`mx_match: resolve`) through `smtp_tls_policy_maps = socketmap:...`.

Every case gets one message at the start; then:
- enforce domains deliver over verified TLS to an MX the policy allows (the MX host records the
  message, TLS with the MX's name as SNI; the maillog says "Verified");
- an MX with an untrusted, expired or wrong-name certificate, an MX the policy does not list
  (with a certificate for its own name, and with one for a name the policy lists), and an MX one
  label too deep under a wildcard: the message is deferred, never bounced, and never reaches
  the MX (no session gets as far as MAIL FROM; any session there is encrypted);
- testing-mode and no-policy domains get their mail;
- once the policy map is removed from Postfix, every deferred message is delivered: the policy,
  not the world, deferred it.

MTASTS_E2E_DAEMON=peer runs the same tests against Debian's postfix-mta-sts-resolver, which
validated this harness; the peer fails two cases, marked xfail (strict) for it: the wildcard one
(it writes `*.x` as Postfix's `.x`, which matches any depth) and the unlisted MX whose
certificate names a listed host (it hands Postfix the patterns, not the MX names they allow):
PEERS.md, peer issues #105 and #116.
"""

from __future__ import annotations

import os
import time

import pytest

from world import Domain, MxHost, Policy
from world.peer import MtastsDaemon, PeerDaemon, daemon_config
from world.postfix import Postfix

PORT = 18461
SENDER = "e2e@sender.mtasts-world.test"
DAEMON = os.environ.get("MTASTS_E2E_DAEMON", "mtasts")
DEFER_WAIT = 90.0  # bound on the first attempt of every message (DNS, fetch, TLS, retries)


def enforce(name: str, mx: list, policy_mx=None, **kw) -> Domain:
    return Domain(name, sts="v=STSv1; id=1",
                  policy=Policy(mode="enforce", mx=policy_mx, max_age=86400, **kw), mx=mx)


WORLD_DOMAINS = [
    enforce("e2e-enforce.test", ["mx.e2e-enforce.test"]),
    enforce("e2e-wild.test", ["mx.e2e-wild.test"], policy_mx=["*.e2e-wild.test"]),
    enforce("e2e-untrusted.test", [MxHost("mx.e2e-untrusted.test", cert="untrusted")]),
    enforce("e2e-expired.test", [MxHost("mx.e2e-expired.test", cert="expired")]),
    enforce("e2e-wrongname.test", [MxHost("mx.e2e-wrongname.test", cert="wrong_name")]),
    enforce("e2e-unlisted.test", ["mx.e2e-unlisted.test"],
            policy_mx=["other.e2e-unlisted.test"]),
    enforce("e2e-deep.test", ["a.b.e2e-deep.test"], policy_mx=["*.e2e-deep.test"]),
    # The MX is not listed, but its certificate names a listed host (the domain itself).
    enforce("e2e-certother.test", [MxHost("mx.e2e-certother.test", cert="wrong_name")],
            policy_mx=["e2e-certother.test"]),
    Domain("e2e-testing.test", sts="v=STSv1; id=1", policy=Policy(mode="testing"),
           mx=[MxHost("mx.e2e-testing.test", cert="expired")]),
    Domain("e2e-nopolicy.test", mx=["mx.e2e-nopolicy.test"]),
]

DELIVERED = {  # domain -> (its MX, TLS state the maillog must show)
    "e2e-enforce.test": ("mx.e2e-enforce.test", "Verified"),
    "e2e-wild.test": ("mx.e2e-wild.test", "Verified"),
    "e2e-testing.test": ("mx.e2e-testing.test", "Untrusted"),
    "e2e-nopolicy.test": ("mx.e2e-nopolicy.test", "Trusted"),
}
DEFERRED = {  # domain -> its MX
    "e2e-untrusted.test": "mx.e2e-untrusted.test",
    "e2e-expired.test": "mx.e2e-expired.test",
    "e2e-wrongname.test": "mx.e2e-wrongname.test",
    "e2e-unlisted.test": "mx.e2e-unlisted.test",
    "e2e-deep.test": "a.b.e2e-deep.test",
    "e2e-certother.test": "mx.e2e-certother.test",
}
PEER_WRONG = {
    "e2e-deep.test": "the peer writes *.x as .x, which Postfix matches at any depth "
                     "(RFC 8461 §4.1: a wildcard covers exactly one label)",
    "e2e-certother.test": "the peer lists the policy's patterns, so Postfix accepts a certificate "
                          "for any listed name from an MX the policy does not list "
                          "(RFC 8461 §4.1, §4.2)",
}


def rcpt_of(domain: str) -> str:
    return f"user@{domain}"


class Run:
    """Postfix and the daemon it asks, after one message to every case was submitted."""

    def __init__(self, world, postfix: Postfix, daemon, mark: int) -> None:
        self.world = world
        self.postfix = postfix
        self.daemon = daemon
        self.mark = mark
        self.first: dict[str, object] = {}

    def first_attempt(self, domain: str):
        """The first final-or-deferred attempt of the domain's message (waited for, bounded)."""
        if domain not in self.first:
            self.first[domain] = self.postfix.wait_status(
                rcpt_of(domain), {"sent", "deferred", "bounced", "expired"}, timeout=DEFER_WAIT)
        return self.first[domain]


def start_daemon(world, mtasts_bin: str):
    cfg = daemon_config(world, PORT, default_zone={"timeout": 4})
    if DAEMON == "peer":
        return PeerDaemon(world, cfg, name="e2e-peer").start()
    return MtastsDaemon(world, cfg, binary=mtasts_bin, name="e2e-mtasts").start()


@pytest.fixture(scope="module")
def run(world, mtasts_bin):
    daemon = start_daemon(world, mtasts_bin)
    postfix = Postfix(world, policy_map=daemon.postfix_map("postfix"))
    try:
        postfix.start()
        mark = world.smtp.mark()
        for d in [*DELIVERED, *DEFERRED]:
            postfix.send(SENDER, rcpt_of(d))
        yield Run(world, postfix, daemon, mark)
    finally:
        postfix.stop()
        daemon.stop()


def deferred_case(domain: str):
    marks = []
    if DAEMON == "peer" and domain in PEER_WRONG:
        marks.append(pytest.mark.xfail(reason=PEER_WRONG[domain], strict=True))
    return pytest.param(domain, id=domain.split(".")[0], marks=marks)


def test_postfix_asks_the_daemon(run):
    """Postfix's own socketmap client gets the enforce reply for a plain domain (the map wiring
    the rest relies on)."""
    res = run.postfix.lookup("e2e-enforce.test")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("secure match="), res.stdout
    assert "mx.e2e-enforce.test" in res.stdout


@pytest.mark.parametrize("domain", list(DELIVERED))
def test_delivered(run, domain):
    mx, tls = DELIVERED[domain]
    d = run.first_attempt(domain)
    assert d.status == "sent", d.line
    assert d.relay_host == mx and d.tls == tls, d.line
    msgs = [m for m in run.world.smtp.messages(rcpt_of(domain), since=run.mark)]
    assert len(msgs) == 1, msgs
    assert msgs[0]["tls"] and msgs[0]["sni"] == mx, msgs[0]


@pytest.mark.parametrize("domain", [deferred_case(d) for d in DEFERRED])
def test_deferred_never_bounced_never_sent(run, domain):
    d = run.first_attempt(domain)
    assert d.status == "deferred", d.line
    assert d.dsn.startswith("4."), d.line
    # Deferred again on the next retries: still queued, still nothing bounced or sent.
    again = run.postfix.wait_status(rcpt_of(domain), {"sent", "deferred", "bounced"},
                                    timeout=DEFER_WAIT,
                                    after=len(run.postfix.deliveries(rcpt_of(domain))))
    assert again.status == "deferred", again.line
    assert not [x for x in run.postfix.deliveries(rcpt_of(domain)) if x.status != "deferred"]
    assert run.world.smtp.messages(rcpt_of(domain), since=run.mark) == []
    sessions = run.world.smtp.sessions(sni=DEFERRED[domain], since=run.mark)
    assert not [s for s in sessions if s["mail"]], sessions
    assert all(s["tls"] for s in sessions), sessions  # never a word in clear after EHLO
    assert not [s for s in run.world.smtp.sessions(since=run.mark)
                if rcpt_of(domain) in (s.get("rcpt_tos") or [])]


def test_deferred_mail_is_delivered_once_the_policy_map_is_removed(run):
    """Last: changes Postfix for the rest of the module."""
    expect_deferred = [d for d in DEFERRED if not (DAEMON == "peer" and d in PEER_WRONG)]
    counts = {}
    for domain in expect_deferred:
        assert run.first_attempt(domain).status == "deferred"
        counts[domain] = len(run.postfix.deliveries(rcpt_of(domain)))
    mark = run.world.smtp.mark()
    run.postfix.remove_policy_map()
    for domain in expect_deferred:
        d = run.postfix.wait_status(rcpt_of(domain), {"sent", "bounced"}, timeout=DEFER_WAIT,
                                    after=counts[domain], flush_every=3.0)
        assert d.status == "sent" and d.relay_host == DEFERRED[domain], d.line
        assert len(run.world.smtp.messages(rcpt_of(domain), since=mark)) == 1
    deadline = time.monotonic() + 30
    while "Mail queue is empty" not in run.postfix.queue() and time.monotonic() < deadline:
        run.postfix.flush()
        time.sleep(1)
    assert "Mail queue is empty" in run.postfix.queue()
