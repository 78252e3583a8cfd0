"""`mtasts resolve` against the test world: the discovery and fetch matrix of CONFORMANCE.md
(records: none, several, invalid, split strings, CNAME-delegated record and policy host,
SERVFAIL, timeout; fetch: every failure class, oversize with and without Content-Length, stalls,
bad certificates), each checked on the JSON contract and on what the servers saw."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from world import Domain, MxHost, Policy

GOOD = Policy(mode="enforce", mx=["mx1.good.test"], max_age=604800)


def dom(name: str, sts="v=STSv1; id=1", **kw) -> Domain:
    """A domain with a valid record whose policy (by default enforce) names mx1.<name>."""
    policy = kw.pop("policy", None) or Policy()
    if policy.mx is None:
        policy = dataclasses.replace(policy, mx=["mx1." + name])
    return Domain(name, sts=sts, policy=policy, **kw)


WORLD_DOMAINS = [
    Domain("good.test", sts="v=STSv1; id=20240601", policy=GOOD, mx=["mx1.good.test"]),
    Domain("norecord.test", sts=None, policy=Policy(mx=["mx.norecord.test"])),
    dom("spfonly.test", sts=["v=spf1 -all"]),
    dom("several.test", sts=["v=STSv1; id=1", "v=STSv1; id=2"]),
    dom("badrecord.test", sts="v=STSv1; id=not-valid"),
    dom("split.test", sts=[["v=STSv1; id=", "12345"]]),
    dom("delegated.test", sts_cname=["_mta-sts.provider-a.test", "sts.provider-b.test"],
        sts="v=STSv1; id=77"),
    dom("hostcname.test", policy_cname=["policies.provider-c.test"]),
    dom("servfailrec.test", servfail=["_mta-sts"]),
    dom("unresp.test", unresponsive=["_mta-sts"]),
    dom("testing.test", policy=Policy(mode="testing", mx=["mx.testing.test"])),
    dom("none.test", policy=Policy(mode="none", mx=[])),
    dom("status404.test", policy=Policy(status=404)),
    dom("status201.test", policy=Policy(status=201)),
    dom("redirect.test", policy=Policy(redirect="https://mta-sts.good.test/.well-known/mta-sts.txt")),
    dom("redirecthttp.test", policy=Policy(status=302,
                                           redirect="http://mta-sts.good.test/.well-known/mta-sts.txt")),
    dom("html.test", policy=Policy(content_type="text/html")),
    dom("notype.test", policy=Policy(content_type=None)),
    dom("typeparams.test", policy=Policy(content_type='Text/Plain; charset="UTF-8"')),
    dom("cachectl.test", policy=Policy(headers=[("Cache-Control", "max-age=31536000")])),
    dom("bigcl.test", policy=Policy(size=70 * 1024)),
    dom("bignocl.test", policy=Policy(size=70 * 1024, content_length=False)),
    dom("bigchunked.test", policy=Policy(size=70 * 1024, chunked=True)),
    dom("endless.test", policy=Policy(endless=True, content_length=False)),
    dom("exactlimit.test", policy=Policy(size=64 * 1024)),
    dom("bigclstall.test", policy=Policy(size=70 * 1024, stall="headers")),
    dom("overbystall.test", policy=Policy(size=70 * 1024, content_length=False, stall="body",
                                          stall_after=64 * 1024 + 1)),
    dom("stall.test", policy=Policy(stall="request")),
    dom("stallhs.test", policy=Policy(stall="handshake")),
    dom("trickle.test", policy=Policy(trickle=1.0)),
    dom("midbody.test", policy=Policy(size=4000, close_after=100)),
    dom("alert.test", policy=Policy(alert=True)),
    dom("tls11.test", policy=Policy(tls_versions=("TLSv1", "TLSv1.1"))),
    dom("tls13.test", policy=Policy(tls_versions=("TLSv1.3", "TLSv1.3"))),
    dom("expired.test", policy=Policy(cert="expired")),
    dom("notyet.test", policy=Policy(cert="not_yet_valid")),
    dom("wrongname.test", policy=Policy(cert="wrong_name")),
    dom("cnonly.test", policy=Policy(cert="cn_only")),
    dom("untrusted.test", policy=Policy(cert="untrusted")),
    dom("selfsigned.test", policy=Policy(cert="self_signed")),
    dom("wildcard.test", policy=Policy(cert="wildcard")),
    dom("chain.test", policy=Policy(cert="chain")),
    dom("nointermediate.test", policy=Policy(cert="missing_intermediate")),
    dom("badpolicy.test", policy=Policy(body="version: STSv1\nmode: Enforce\nmx: a.test\nmax_age: 1\n")),
    dom("lfpolicy.test", policy=Policy(body="version: STSv1\nmode: enforce\nmx: mx1.lfpolicy.test\nmax_age: 86400")),
    Domain("nohost.test", sts="v=STSv1; id=1", policy=None),
]

SLACK = 5.0  # seconds allowed beyond a timeout (process start, DNS, teardown)


def resolve(world, mtasts_bin, domain, *extra, timeout=4, dns=None):
    cmd = [mtasts_bin, "resolve", domain, "--json", "--ca-file", str(world.ca_file),
           "--timeout", str(timeout), *extra]
    if dns:
        cmd += ["--dns-server", dns]
    mark = world.https.mark()
    started = time.monotonic()
    proc = world.run(cmd, timeout=timeout * 4 + 30)
    elapsed = time.monotonic() - started
    assert world.https.plaintext_requests(since=mark) == []   # 028-T3: never port 80
    assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr}"
    out = json.loads(proc.stdout)
    assert out["domain"] == domain
    assert (proc.returncode == 0) == (out["result"] == "ok")
    assert (out["policy"] is not None) == (out["result"] == "ok")
    return out, elapsed


def expect(world, mtasts_bin, domain, result, detail, **kw):
    out, elapsed = resolve(world, mtasts_bin, domain, **kw)
    assert (out["result"], out["detail"]) == (result, detail), out
    return out, elapsed


# --- records -------------------------------------------------------------------------------

def test_valid_enforce_policy_is_fetched(world, mtasts_bin):
    mark = world.https.mark()
    out, _ = expect(world, mtasts_bin, "good.test", "ok", "ok")
    assert out["record"] == {"v": "STSv1", "id": "20240601", "extensions": {}}
    assert out["policy"] == {"mode": "enforce", "mx": ["mx1.good.test"], "max_age": 604800,
                             "id": "20240601"}
    (req,) = world.https.requests("mta-sts.good.test", since=mark)
    assert req["sni"] == "mta-sts.good.test"
    assert world.https.plaintext_requests(since=mark) == []


@pytest.mark.parametrize("domain,detail", [
    ("norecord.test", "no-record"),       # 009-T3: NXDOMAIN
    ("spfonly.test", "no-record"),        # only non-STS TXT records
    ("several.test", "multiple-records"), # 009-T2 / C10
    ("badrecord.test", "invalid-record"), # 005-T3
])
def test_no_usable_record_means_no_policy_and_no_fetch(world, mtasts_bin, domain, detail):
    mark = world.https.mark()
    out, _ = expect(world, mtasts_bin, domain, "no-policy", detail)
    assert out["policy"] is None
    # 010-T3: no usable record -> zero HTTPS requests.
    assert world.https.requests("mta-sts." + domain, since=mark) == []


def test_split_strings_are_concatenated(world, mtasts_bin):
    out, _ = expect(world, mtasts_bin, "split.test", "ok", "ok")
    assert out["record"]["id"] == "12345"


def test_cname_delegated_record_keeps_policy_host(world, mtasts_bin):
    mark = world.https.mark()
    out, _ = expect(world, mtasts_bin, "delegated.test", "ok", "ok")   # 012-T1/T2, 014-T3
    assert out["record"]["id"] == "77"
    (req,) = world.https.requests("mta-sts.delegated.test", since=mark)
    assert req["sni"] == "mta-sts.delegated.test"


def test_cname_delegated_policy_host_uses_policy_host_name(world, mtasts_bin):
    mark = world.https.mark()
    expect(world, mtasts_bin, "hostcname.test", "ok", "ok")             # 062-T2
    (req,) = world.https.requests("mta-sts.hostcname.test", since=mark)
    assert req["sni"] == "mta-sts.hostcname.test"


def test_servfail_on_record_is_fetch_error(world, mtasts_bin):
    expect(world, mtasts_bin, "servfailrec.test", "sts-policy-fetch-error", "dns-servfail")


def test_dns_timeout_ends_within_timeout(world, mtasts_bin):
    _, elapsed = expect(world, mtasts_bin, "good.test", "sts-policy-fetch-error", "dns-timeout",
                        timeout=2, dns=world.blackhole)
    assert elapsed < 2 + SLACK


def test_unresponsive_authority_ends_within_timeout(world, mtasts_bin):
    out, elapsed = resolve(world, mtasts_bin, "unresp.test", timeout=2)
    assert out["result"] == "sts-policy-fetch-error"
    assert out["detail"] in ("dns-timeout", "dns-servfail")
    assert elapsed < 2 + SLACK


@pytest.mark.parametrize("domain,mode", [("testing.test", "testing"), ("none.test", "none")])
def test_every_mode_is_ok_with_policy(world, mtasts_bin, domain, mode):
    out, _ = expect(world, mtasts_bin, domain, "ok", "ok")
    assert out["policy"]["mode"] == mode
    if mode == "none":
        assert out["policy"]["mx"] == []


def test_policy_host_without_address(world, mtasts_bin):
    expect(world, mtasts_bin, "nohost.test", "sts-policy-fetch-error", "host-not-found")


# --- HTTP ----------------------------------------------------------------------------------

@pytest.mark.parametrize("domain,detail", [
    ("status404.test", "http-status"),   # 030-T3
    ("status201.test", "http-status"),   # 030-T2
    ("html.test", "content-type"),       # 015-T2
    ("notype.test", "content-type"),     # 015-T3
    ("bigcl.test", "too-large"),         # 034-T3
    ("bignocl.test", "too-large"),       # 034-T2 without Content-Length
    ("bigchunked.test", "too-large"),    # 034-T2 chunked
    ("midbody.test", "truncated"),
])
def test_fetch_failures_are_classified(world, mtasts_bin, domain, detail):
    expect(world, mtasts_bin, domain, "sts-policy-fetch-error", detail)


@pytest.mark.parametrize("domain", ["redirect.test", "redirecthttp.test"])
def test_redirect_is_never_followed(world, mtasts_bin, domain):
    mark = world.https.mark()
    expect(world, mtasts_bin, domain, "sts-policy-fetch-error", "redirect")   # 031
    assert len(world.https.requests("mta-sts." + domain, since=mark)) == 1
    assert world.https.requests("mta-sts.good.test", since=mark) == []
    assert world.https.plaintext_requests(since=mark) == []


def test_media_type_parameters_and_case_are_accepted(world, mtasts_bin):
    expect(world, mtasts_bin, "typeparams.test", "ok", "ok")                  # 015-T1 / C13


def test_http_caching_is_not_used(world, mtasts_bin):
    mark = world.https.mark()
    for _ in range(2):
        expect(world, mtasts_bin, "cachectl.test", "ok", "ok")
    reqs = world.https.requests("mta-sts.cachectl.test", since=mark)
    assert len(reqs) == 2                                                      # 032-T1
    for r in reqs:
        names = {k.lower() for k, _ in r["headers"]} if isinstance(r["headers"], list) \
            else {k.lower() for k in r["headers"]}
        assert not names & {"if-none-match", "if-modified-since"}             # 032-T3


def test_policy_of_exactly_64k_is_accepted(world, mtasts_bin):
    expect(world, mtasts_bin, "exactlimit.test", "ok", "ok")


def test_endless_body_is_cut_at_the_limit(world, mtasts_bin):
    mark = world.https.mark()
    expect(world, mtasts_bin, "endless.test", "sts-policy-fetch-error", "too-large")
    (req,) = world.https.requests("mta-sts.endless.test", since=mark)
    # The server writes until the client closes; what it managed to send is bounded by the
    # client's 64 KiB limit plus the kernel's socket buffers, never megabytes.
    assert req["body_bytes"] < 64 * 1024 + 4 * 1024 * 1024
    assert req.get("client_closed", True)


@pytest.mark.parametrize("domain", ["bigclstall.test", "overbystall.test"])
def test_size_limit_is_enforced_without_reading_further(world, mtasts_bin, domain):
    # The server declares 70 KiB (or sends 64 KiB + 1 byte) and then sends nothing more: the
    # client must give up at once on the declared or counted size, not wait for more bytes
    # (034-T2/T3). A client that read on would only stop at the 10 s deadline.
    _, elapsed = expect(world, mtasts_bin, domain, "sts-policy-fetch-error", "too-large",
                        timeout=10)
    assert elapsed < 5


@pytest.mark.parametrize("domain", ["stall.test", "stallhs.test", "trickle.test"])
def test_stalls_end_within_the_deadline(world, mtasts_bin, domain):
    _, elapsed = expect(world, mtasts_bin, domain, "sts-policy-fetch-error", "timeout", timeout=2)
    assert elapsed < 2 + SLACK


def test_lf_only_policy_without_final_newline(world, mtasts_bin):
    out, _ = expect(world, mtasts_bin, "lfpolicy.test", "ok", "ok")            # 023
    assert out["policy"]["mx"] == ["mx1.lfpolicy.test"]


def test_invalid_body_is_policy_invalid(world, mtasts_bin):
    expect(world, mtasts_bin, "badpolicy.test", "sts-policy-invalid", "parse")


# --- TLS -----------------------------------------------------------------------------------

@pytest.mark.parametrize("domain,detail", [
    ("expired.test", "cert-expired"),            # 028-T2
    ("notyet.test", "cert-not-yet-valid"),
    ("wrongname.test", "cert-name-mismatch"),    # 028-T2, 062-T1
    ("cnonly.test", "cert-name-mismatch"),       # 029-T1 / C23: no CN fallback
    ("untrusted.test", "cert-untrusted"),
    ("selfsigned.test", "cert-untrusted"),
    ("nointermediate.test", "cert-untrusted"),
    ("alert.test", "tls-handshake"),
    ("tls11.test", "tls-handshake"),             # 059: TLS 1.2+ only
])
def test_policy_host_authentication_failures(world, mtasts_bin, domain, detail):
    mark = world.https.mark()
    expect(world, mtasts_bin, domain, "sts-webpki-invalid", detail)
    # Nothing is requested over an unauthenticated connection.
    assert world.https.requests("mta-sts." + domain, since=mark) == []


@pytest.mark.parametrize("domain", ["wildcard.test", "chain.test", "tls13.test"])
def test_acceptable_tls_variants(world, mtasts_bin, domain):
    expect(world, mtasts_bin, domain, "ok", "ok")                              # 029-T2, 059-T1
