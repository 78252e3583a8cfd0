"""Real Postfix (Debian's 3.7) with DANE (`smtp_dns_support_level = dnssec`,
`smtp_tls_security_level = dane`) asking `mtasts daemon` (`mtasts: dane: on`) through
`smtp_tls_policy_maps = socketmap:...`, in the world's signed TLD `.dnssec`.

RFC 8461 §2: where a domain has DANE (a DNSSEC-secure MX RRset with usable TLSA records), DANE
wins over MTA-STS. The daemon must therefore not answer `secure` for such a domain (Postfix would
then verify the WebPKI certificate instead of the TLSA records): it answers `dane-only` when every
MX host has usable TLSA, `dane` when some have, and the MTA-STS reply as before when none has.

Every case gets one message at the start; then:
- TLSA 3 1 1 or 2 1 1 that match the certificate: delivered over DANE-verified TLS, with or
  without an enforce policy;
- TLSA that match nothing, while the enforce policy would accept the (valid WebPKI) certificate:
  deferred, never bounced, never past STARTTLS; once the test repairs the TLSA record the same
  queued message goes out (the TLSA record, not the world, deferred it);
- the same mismatch under a testing-mode policy: deferred (testing never relaxes DANE), the
  daemon answers NOTFOUND;
- a signed zone without TLSA, and an unsigned `.test` zone: `secure match=...`, delivered;
- a zone whose validation fails (`.bogus`): deferred, never bounced, nothing reaches an MX;
- an MX set where one host has TLSA and one has none: `dane`, delivered.

Cases whose expectation depends on the daemon's DANE support (`dane-only`/`dane` replies) carry
the marker `dane_daemon`: with a binary that predates it they fail, for that reason alone
(`-m "not dane_daemon"` runs the rest). test_dane_auto_is_on_in_a_signed_world starts a second
daemon with `dane` left at its default (auto).

MTASTS_DANE_DAEMON=emulated validates the harness without the daemon: Postfix then reads a static
table (texthash) holding exactly the replies expected of the daemon (REPLIES), so every case must
pass; a case that fails there is wrong, whatever the daemon does.
"""

from __future__ import annotations

import os

import pytest

from world import Domain, MxHost, Policy, tlsa_name
from world.peer import MtastsDaemon, daemon_config
from world.postfix import Postfix, SubmittedMail

PORT = 18464
SENDER = "dane@sender.mtasts-world.test"
DAEMON = os.environ.get("MTASTS_DANE_DAEMON", "mtasts")  # or "emulated"
DEFER_WAIT = 90.0  # bound on one delivery attempt (DNS, TLSA, fetch, TLS, retries)


def enforce(name: str, mx: list, mode: str = "enforce", **kw) -> Domain:
    return Domain(name, sts="v=STSv1; id=1", policy=Policy(mode=mode), mx=mx, **kw)


WORLD_DOMAINS = [
    Domain("dane-ee.dnssec", mx=[MxHost("mx.dane-ee.dnssec", tlsa=["3 1 1"])]),
    enforce("dane-sts.dnssec", [MxHost("mx.dane-sts.dnssec", tlsa=["3 1 1"])]),
    # A certificate no CA of Postfix's vouches for: only DANE can authenticate this MX.
    enforce("dane-private.dnssec",
            [MxHost("mx.dane-private.dnssec", cert="untrusted", tlsa=["3 1 1"])]),
    enforce("dane-bad.dnssec", [MxHost("mx.dane-bad.dnssec", tlsa=["3 1 1 mismatch"])], ttl=1),
    enforce("dane-bad-testing.dnssec",
            [MxHost("mx.dane-bad-testing.dnssec", tlsa=["3 1 1 mismatch"])], mode="testing"),
    enforce("dane-ta.dnssec", [MxHost("mx.dane-ta.dnssec", cert="chain", tlsa=["2 1 1"])]),
    enforce("dane-ta-bad.dnssec",
            [MxHost("mx.dane-ta-bad.dnssec", cert="chain", tlsa=["2 1 1 mismatch"])], ttl=1),
    enforce("dane-notlsa.dnssec", ["mx.dane-notlsa.dnssec"]),
    enforce("dane-unsigned.test", ["mx.dane-unsigned.test"]),
    enforce("dane-bogus.bogus", ["mx.dane-bogus.bogus"]),
    enforce("dane-mixed.dnssec",
            [MxHost("mx1.dane-mixed.dnssec", tlsa=["3 1 1"]), "mx2.dane-mixed.dnssec"]),
]

DELIVERED = {  # domain -> the MX that gets the message (always over Verified TLS)
    "dane-ee.dnssec": "mx.dane-ee.dnssec",
    "dane-sts.dnssec": "mx.dane-sts.dnssec",
    "dane-private.dnssec": "mx.dane-private.dnssec",
    "dane-ta.dnssec": "mx.dane-ta.dnssec",
    "dane-notlsa.dnssec": "mx.dane-notlsa.dnssec",
    "dane-unsigned.test": "mx.dane-unsigned.test",
    "dane-mixed.dnssec": "mx1.dane-mixed.dnssec",
}
DEFERRED = {  # domain -> its MX
    "dane-bad.dnssec": "mx.dane-bad.dnssec",
    "dane-bad-testing.dnssec": "mx.dane-bad-testing.dnssec",
    "dane-ta-bad.dnssec": "mx.dane-ta-bad.dnssec",
    "dane-bogus.bogus": "mx.dane-bogus.bogus",
}
# Deferred by a TLSA mismatch; the test then repairs the record with this spec.
REPAIRABLE = {"dane-bad.dnssec": "3 1 1", "dane-ta-bad.dnssec": "2 1 1"}

# What Postfix's own socketmap client gets (`postmap -q`, which drops the leading "OK"):
# the first word of the reply, "secure" with the MX names it must match, or None for NOTFOUND.
REPLIES = {
    "dane-ee.dnssec": None,  # no MTA-STS policy: Postfix's own dane level governs
    "dane-sts.dnssec": "dane-only",
    "dane-private.dnssec": "dane-only",
    "dane-bad.dnssec": "dane-only",
    "dane-bad-testing.dnssec": None,  # testing: no policy answer, so no DANE check either
    "dane-ta.dnssec": "dane-only",
    "dane-ta-bad.dnssec": "dane-only",
    "dane-notlsa.dnssec": "secure",
    "dane-unsigned.test": "secure",
    "dane-mixed.dnssec": "dane",
}
NEEDS_DANE_DAEMON = {d for d, r in REPLIES.items() if r in ("dane", "dane-only")}


def rcpt_of(domain: str) -> str:
    return f"user@{domain}"


def case(domain: str):
    """A parameter with the domain's first label as id, marked dane_daemon where the expected
    outcome needs the daemon's DANE answers."""
    marks = [pytest.mark.dane_daemon] if domain in NEEDS_DANE_DAEMON else []
    return pytest.param(domain, id=domain.split(".")[0], marks=marks)


class Run(SubmittedMail):
    """Postfix (with DANE) and the daemon it asks (none when emulated)."""

    def never_sent(self, domain: str) -> None:
        """Nothing of the domain's message went out: no message at any MX, no session of its MX
        got to MAIL FROM, every session of its MX was encrypted, nothing bounced."""
        assert not [x for x in self.postfix.deliveries(rcpt_of(domain))
                    if x.status not in ("deferred",)]
        assert self.world.smtp.messages(rcpt_of(domain), since=self.mark) == []
        sessions = self.world.smtp.sessions(sni=DEFERRED[domain], since=self.mark)
        assert not [s for s in sessions if s["mail"]], sessions
        assert all(s["tls"] for s in sessions), sessions
        assert not [s for s in self.world.smtp.sessions(since=self.mark)
                    if rcpt_of(domain) in (s.get("rcpt_tos") or [])]


def emulated_map(postfix: Postfix) -> str:
    """A texthash table in Postfix's directory (readable by its unprivileged smtp processes)
    answering what REPLIES expects of the daemon."""
    lines = []
    for domain, reply in REPLIES.items():
        if reply == "secure":
            mx = [h.name for h in next(d for d in WORLD_DOMAINS if d.name == domain).mx]
            lines.append(f"{domain} secure match={':'.join(mx)} servername=hostname")
        elif reply is not None:
            lines.append(f"{domain} {reply}")
    path = postfix.dir / "dane-policy"
    path.write_text("\n".join(lines) + "\n")
    return f"texthash:{path}"


@pytest.fixture(scope="module")
def run(world, mtasts_bin):
    daemon = None
    if DAEMON == "emulated":
        postfix = Postfix(world, policy_map=None, dane=True)
        postfix.policy_map = emulated_map(postfix)
    else:
        cfg = daemon_config(world, PORT, default_zone={"timeout": 4}, mtasts={"dane": "on"})
        daemon = MtastsDaemon(world, cfg, binary=mtasts_bin, name="dane-mtasts").start()
        postfix = Postfix(world, policy_map=daemon.postfix_map("postfix"), dane=True)
    try:
        postfix.start()
        mark = world.smtp.mark()
        for d in [*DELIVERED, *DEFERRED]:
            postfix.send(SENDER, rcpt_of(d))
        yield Run(world, postfix, daemon, mark, DEFER_WAIT)
    finally:
        postfix.stop()
        if daemon is not None:
            daemon.stop()


def test_postfix_runs_with_dane(run):
    """Postfix's DNSSEC probe (`dnssec_probe = ns:.`) passed: the root is signed and validated,
    so Postfix does not fall back from DANE to `may`."""
    main = run.postfix.main_cf()
    assert main["smtp_tls_security_level"] == "dane"
    assert main["smtp_dns_support_level"] == "dnssec"
    run.first_attempt("dane-ee.dnssec")
    log = run.postfix.log_text()
    assert "DNSSEC validation may be unavailable" not in log, log
    assert "dnssec_probe" not in log, log


@pytest.mark.parametrize("domain", [case(d) for d in REPLIES])
def test_daemon_reply(run, domain):
    """The reply Postfix's own socketmap client gets for the domain."""
    res = run.postfix.lookup(domain)
    want = REPLIES[domain]
    if want is None:
        assert res.returncode == 1 and res.stdout == "", (res.returncode, res.stdout,
                                                          res.stderr)
        return
    assert res.returncode == 0, (res.stdout, res.stderr)
    words = res.stdout.split()
    assert words and words[0] == want, res.stdout
    if want == "secure":
        mx = DELIVERED[domain]
        assert f"match={mx}" in res.stdout, res.stdout


@pytest.mark.parametrize("domain", [case(d) for d in DELIVERED])
def test_delivered_verified(run, domain):
    """Delivered over verified TLS. For dane-ee (no policy) only DANE can say "Verified" (`may`
    would say "Trusted"), for dane-private only DANE can authenticate the certificate at all."""
    mx = DELIVERED[domain]
    d = run.first_attempt(domain)
    assert d.status == "sent", d.line
    assert d.relay_host == mx and d.tls == "Verified", d.line
    msgs = run.world.smtp.messages(rcpt_of(domain), since=run.mark)
    assert len(msgs) == 1, msgs
    assert msgs[0]["tls"] and msgs[0]["sni"] == mx, msgs[0]


@pytest.mark.parametrize("domain", [case(d) for d in DEFERRED])
def test_deferred_never_bounced_never_sent(run, domain):
    d = run.first_attempt(domain)
    assert d.status == "deferred", d.line
    assert d.dsn.startswith("4."), d.line
    again = run.next_attempt(domain)
    assert again.status == "deferred", again.line
    run.never_sent(domain)


@pytest.mark.parametrize("domain", [case(d) for d in DEFERRED if d in REPAIRABLE or
                                    d == "dane-bad-testing.dnssec"])
def test_tlsa_mismatch_is_what_postfix_reports(run, domain):
    """The mismatch cases fail at certificate verification after STARTTLS, for DANE's reason."""
    d = run.first_attempt(domain)
    assert d.status == "deferred", d.line
    assert "Server certificate not verified" in d.text, d.line
    log = run.postfix.log_text()
    mx = DEFERRED[domain]
    assert f"Untrusted TLS connection established to {mx}[" in log, run.postfix.log_tail()
    sessions = run.world.smtp.sessions(sni=mx, since=run.mark)
    assert sessions and all(s["tls"] and not s["mail"] for s in sessions), sessions


def test_bogus_zone_is_deferred_on_dns_failure(run):
    """`.bogus` fails validation, so every lookup in it is SERVFAIL through the resolver.

    What the logs show: Postfix looks the MX up first, gets SERVFAIL and defers ("Name service
    error ... type=MX", dsn 4.4.3, relay=none) without ever asking the policy map (the daemon's
    log names the domain only once this test asks). Asked, the daemon answers NOTFOUND: its
    `_mta-sts` TXT lookup gets SERVFAIL, so it holds no policy, and without a policy there is no
    DANE check (a TEMP would need a policy whose MX hosts' TLSA state cannot be learnt). Either
    way Postfix's own DNS failure keeps the message queued; no MX host sees a connection."""
    domain = "dane-bogus.bogus"
    d = run.first_attempt(domain)
    assert d.status == "deferred" and d.relay == "none", d.line
    assert "Name service error" in d.text and "type=MX" in d.text, d.line
    run.postfix.wait_status(rcpt_of(domain), {"deferred"}, timeout=DEFER_WAIT,
                            after=len(run.postfix.deliveries(rcpt_of(domain))))
    if run.daemon is not None:
        asked = run.daemon.log_path.read_text(errors="replace")
        assert f"domain={domain}" not in asked, "Postfix asked the policy map"
    res = run.postfix.lookup(domain)
    assert res.returncode == 1 and res.stdout == "", (res.returncode, res.stdout, res.stderr)
    assert run.world.smtp.sessions(sni=DEFERRED[domain], since=run.mark) == []
    run.never_sent(domain)


@pytest.mark.parametrize("domain", [case(d) for d in REPAIRABLE])
def test_repaired_tlsa_record_releases_the_queued_message(run, domain):
    """Negative control: once the TLSA record matches the certificate, the message that waited
    in the queue goes out over DANE-verified TLS."""
    first = run.first_attempt(domain)
    assert first.status == "deferred", first.line
    mx = DEFERRED[domain]
    count = len(run.postfix.deliveries(rcpt_of(domain)))
    mark = run.world.smtp.mark()
    run.world.dns.set(tlsa_name(mx), "TLSA", run.world.tlsa(mx, REPAIRABLE[domain]))
    run.postfix.flush()
    d = run.postfix.wait_status(rcpt_of(domain), {"sent", "bounced"}, timeout=DEFER_WAIT,
                                after=count, flush_every=3.0)
    assert d.status == "sent" and d.relay_host == mx and d.tls == "Verified", d.line
    msgs = run.world.smtp.messages(rcpt_of(domain), since=mark)
    assert len(msgs) == 1 and msgs[0]["tls"] and msgs[0]["sni"] == mx, msgs


@pytest.mark.dane_daemon
def test_dane_auto_is_on_in_a_signed_world(world, mtasts_bin):
    """`mtasts: dane:` left at its default (auto): the resolver sets AD for the signed root, so
    the daemon looks for TLSA records by itself and answers as with `dane: on`."""
    if DAEMON == "emulated":
        pytest.skip("no daemon in the emulated run")
    cfg = daemon_config(world, PORT + 1, default_zone={"timeout": 4})
    assert "dane" not in cfg["mtasts"]
    daemon = MtastsDaemon(world, cfg, binary=mtasts_bin, name="dane-auto-mtasts").start()
    try:
        assert daemon.query("postfix", "dane-sts.dnssec").split()[:2] == ["OK", "dane-only"]
        assert daemon.query("postfix", "dane-notlsa.dnssec").startswith("OK secure match=")
    finally:
        daemon.stop()


def test_nothing_bounced(run):
    """Last: no message of the module bounced, whatever else happened."""
    for domain in [*DELIVERED, *DEFERRED]:
        run.first_attempt(domain)
    bounced = [x.line for x in run.postfix.deliveries() if x.status in ("bounced", "expired")]
    assert bounced == []
