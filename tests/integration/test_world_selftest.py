"""The test world proves itself with standard tools only: dig, Python's ssl/http.client/smtplib
and openssl s_client, all run inside the namespace."""

from __future__ import annotations

import base64
import re
import time

import pytest

from world import CERT_VARIANTS, Domain, MxHost, Policy, Record
from world.clients import http_get, https_get, openssl_s_client, smtp_send

WORLD_DOMAINS = [
    Domain("st-basic.test", sts="v=STSv1; id=20240101T000000",
           policy=Policy(mode="enforce", headers=[("Cache-Control", "max-age=60")]),
           mx=["mx1.st-basic.test", "mx2.st-basic.test"],
           tlsrpt="v=TLSRPTv1; rua=mailto:tlsrpt@st-basic.test"),
    Domain("st-other.test", sts="v=STSv1; id=1", policy=Policy(mode="testing"),
           mx=[MxHost("mx.st-other.test")]),
    Domain("st-multistring.test", sts=[["v=STSv1; ", "id=multi1"]]),
    Domain("st-multirr.test", sts=["v=STSv1; id=rr1", "v=STSv1; id=rr2"]),
    Domain("st-cname.test", sts="v=STSv1; id=viacname",
           sts_cname=["sts1.st-provider.test", "sts2.st-provider.test"],
           policy=Policy(mode="enforce", mx=["mx.st-provider.test"]),
           policy_cname=["policy.st-provider.test"]),
    Domain("st-servfail.test", servfail=["_mta-sts"], mx=["mx1.st-basic.test"]),
    Domain("st-nodata.test", records=[Record("_mta-sts.st-nodata.test", "A", "127.0.0.9")]),
    Domain("st-redirect.test", sts="v=STSv1; id=1",
           policy=Policy(redirect="https://mta-sts.st-basic.test/.well-known/mta-sts.txt")),
    Domain("st-expired.test", sts="v=STSv1; id=1", policy=Policy(cert="expired")),
    Domain("st-untrusted.test", sts="v=STSv1; id=1", policy=Policy(cert="untrusted")),
    Domain("st-alert.test", sts="v=STSv1; id=1", policy=Policy(alert=True)),
    Domain("st-stall.test", sts="v=STSv1; id=1", policy=Policy(stall="handshake")),
    Domain("st-big.test", sts="v=STSv1; id=1",
           policy=Policy(size=70 * 1024, content_length=False)),
    Domain("st-tls11.test", sts="v=STSv1; id=1",
           policy=Policy(tls_versions=("TLSv1", "TLSv1.1"))),
    Domain("st-dyn.test", sts="v=STSv1; id=1", ttl=1),
    Domain("st-plain.test", mx=[MxHost("mx.st-plain.test", starttls=False)]),
    Domain("st-badmx.test", mx=[MxHost("mx.st-badmx.test", cert="expired")]),
    Domain("st-chunked.test", policy=Policy(chunked=True, chunk_size=7, content_type=None)),
    Domain("st-cut.test", policy=Policy(close_after=20)),
    Domain("st-stall-headers.test", policy=Policy(stall="headers")),
    Domain("st-stall-body.test", policy=Policy(stall="body", stall_after=10)),
    Domain("st-endless.test", policy=Policy(endless=True, content_length=False)),
    Domain("st-trickle.test", policy=Policy(body="v=1\r\n", trickle=0.2)),
    *[Domain(f"st-cert-{v.replace('_', '-')}.test", policy=Policy(cert=v))
      for v in CERT_VARIANTS],
    # DNSSEC: `.dnssec` is signed and validates, `.bogus` is signed but its DS in the root
    # matches no key.
    Domain("st-signed.dnssec", sts="v=STSv1; id=1", ttl=1,
           mx=[MxHost("mx.st-signed.dnssec", tlsa=["3 1 1"]),
               MxHost("mx2.st-signed.dnssec", cert="chain", tlsa=["2 1 1", "3 1 1 mismatch"])]),
    Domain("st-bogus.bogus", sts="v=STSv1; id=1", mx=["mx.st-bogus.bogus"]),
]


def dig(world, name, rtype="TXT", *extra):
    r = world.dns.dig(name, rtype, extra=extra)
    assert r.returncode in (0, 9), r.stdout + r.stderr
    return r.stdout


def status_of(out: str) -> str:
    m = re.search(r"status: (\w+)", out)
    return m.group(1) if m else "NO-ANSWER"


def answers(out: str) -> list[str]:
    """The rdata of every answer line of `dig +noall +answer`."""
    return [line.split(None, 4)[4] for line in out.splitlines() if line and not
            line.startswith(";")]


def test_txt_single_multistring_multirr(world):
    assert answers(dig(world, "_mta-sts.st-basic.test", "TXT", "+noall", "+answer")) == [
        '"v=STSv1; id=20240101T000000"']
    assert answers(dig(world, "_mta-sts.st-multistring.test", "TXT", "+noall", "+answer")) == [
        '"v=STSv1; " "id=multi1"']
    assert sorted(answers(dig(world, "_mta-sts.st-multirr.test", "TXT", "+noall", "+answer"))) \
        == ['"v=STSv1; id=rr1"', '"v=STSv1; id=rr2"']
    assert answers(dig(world, "_smtp._tls.st-basic.test", "TXT", "+noall", "+answer")) == [
        '"v=TLSRPTv1; rua=mailto:tlsrpt@st-basic.test"']


def test_mx_and_a_records(world):
    mx = sorted(answers(dig(world, "st-basic.test", "MX", "+noall", "+answer")))
    assert mx == ["10 mx1.st-basic.test.", "20 mx2.st-basic.test."]
    assert answers(dig(world, "mx1.st-basic.test", "A", "+noall", "+answer")) == ["127.0.0.2"]
    assert answers(dig(world, "mta-sts.st-basic.test", "A", "+noall", "+answer")) == [
        "127.0.0.1"]


def test_cname_chain_is_followed_by_the_resolver(world):
    out = dig(world, "_mta-sts.st-cname.test", "TXT", "+noall", "+answer")
    assert answers(out) == ["sts1.st-provider.test.", "sts2.st-provider.test.",
                            '"v=STSv1; id=viacname"']
    out = dig(world, "mta-sts.st-cname.test", "A", "+noall", "+answer")
    assert answers(out) == ["policy.st-provider.test.", "127.0.0.1"]


def test_nxdomain_nodata_and_negative_ttl(world):
    out = dig(world, "_mta-sts.st-nothing.test")
    assert status_of(out) == "NXDOMAIN"
    soa = [line for line in out.splitlines() if "\tSOA\t" in line or " SOA " in line]
    assert soa and int(soa[0].split()[1]) <= world.negative_ttl, out
    out = dig(world, "_mta-sts.st-nodata.test")
    assert status_of(out) == "NOERROR" and "ANSWER: 0" in out


def test_servfail_through_the_resolver(world):
    mark = world.dnslog.mark()
    t0 = time.monotonic()
    assert status_of(dig(world, "_mta-sts.st-servfail.test")) == "SERVFAIL"
    assert status_of(dig(world, "anything.servfail.test")) == "SERVFAIL"
    assert time.monotonic() - t0 < 10
    assert world.dnslog.queries("servfail", "_mta-sts.st-servfail.test", since=mark)
    # The rest of the domain still resolves.
    assert answers(dig(world, "st-servfail.test", "MX", "+noall", "+answer")) == [
        "10 mx1.st-basic.test."]


def test_blackhole_times_out_and_records_the_query(world):
    mark = world.dnslog.mark()
    t0 = time.monotonic()
    r = world.run(["dig", f"@{world.blackhole}", "+tries=1", "+time=1", "_mta-sts.st-basic.test",
                   "TXT"], timeout=15)
    elapsed = time.monotonic() - t0
    assert r.returncode == 9 and "timed out" in r.stdout, r.stdout
    assert 0.9 <= elapsed < 6
    assert world.dnslog.queries("blackhole", "_mta-sts.st-basic.test", since=mark)


def test_dynamic_update_is_visible_at_once(world):
    assert answers(dig(world, "_mta-sts.st-dyn.test", "TXT", "+noall", "+answer")) == [
        '"v=STSv1; id=1"']
    world.dns.set_txt("_mta-sts.st-dyn.test", "v=STSv1; id=2")
    out = dig(world, "_mta-sts.st-dyn.test", "TXT", "+noall", "+answer")
    assert answers(out) == ['"v=STSv1; id=2"'] and out.split()[1] == "1"
    world.dns.delete("_mta-sts.st-dyn.test", "TXT")
    assert status_of(dig(world, "_mta-sts.st-dyn.test")) == "NXDOMAIN"
    world.dns.set_txt("_mta-sts.st-dyn.test", "v=STSv1; id=1")


def test_https_policy_fetch_verified_against_the_test_ca(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-basic.test")
    assert "error" not in res, res
    assert res["status"] == 200
    headers = {k.lower(): v for k, v in res["headers"]}
    assert headers["content-type"] == "text/plain"
    assert headers["cache-control"] == "max-age=60"
    body = (b"version: STSv1\r\nmode: enforce\r\nmx: mx1.st-basic.test\r\n"
            b"mx: mx2.st-basic.test\r\nmax_age: 86400\r\n")
    assert base64.b64decode(res["body"]) == body
    reqs = world.https.requests("mta-sts.st-basic.test", since=mark)
    assert len(reqs) == 1
    r = reqs[0]
    assert (r["sni"], r["host"], r["method"], r["target"]) == (
        "mta-sts.st-basic.test", "mta-sts.st-basic.test", "GET", "/.well-known/mta-sts.txt")
    assert r["status"] == 200 and r["complete"] and r["body_bytes"] == len(body)

    out = openssl_s_client(world, "mta-sts.st-basic.test:443", "mta-sts.st-basic.test")
    assert out.returncode == 0 and "Verify return code: 0 (ok)" in out.stdout, out.stdout


def test_policy_behind_cname_keeps_sni_and_host(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-cname.test")
    assert res.get("status") == 200, res
    r = world.https.requests("mta-sts.st-cname.test", since=mark)
    assert len(r) == 1 and r[0]["sni"] == "mta-sts.st-cname.test"


def test_redirect_recorded_with_exactly_one_request(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-redirect.test")
    assert res["status"] == 301
    assert ["Location", "https://mta-sts.st-basic.test/.well-known/mta-sts.txt"] in res["headers"]
    reqs = world.https.requests("mta-sts.st-redirect.test", since=mark)
    assert len(reqs) == 1 and reqs[0]["status"] == 301
    assert world.https.requests("mta-sts.st-basic.test", since=mark) == []


def test_bad_certificates_are_rejected(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-expired.test")
    assert "certificate has expired" in res.get("error", ""), res
    res = https_get(world, "mta-sts.st-untrusted.test")
    assert "unable to get local issuer certificate" in res.get("error", ""), res
    out = openssl_s_client(world, "mta-sts.st-expired.test:443", "mta-sts.st-expired.test")
    assert out.returncode != 0 and "certificate has expired" in out.stdout + out.stderr
    errs = world.https.tls_errors("mta-sts.st-expired.test", since=mark)
    assert len(errs) == 2 and all(e["aborted"] is None for e in errs)
    assert world.https.requests("mta-sts.st-expired.test", since=mark) == []


def test_tls_alert_and_handshake_stall(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-alert.test")
    assert "handshake failure" in res.get("error", "").lower(), res
    t0 = time.monotonic()
    res = https_get(world, "mta-sts.st-stall.test", timeout=2)
    assert "timed out" in res.get("error", ""), res
    assert time.monotonic() - t0 < 10
    assert [e["aborted"] for e in world.https.tls_errors("mta-sts.st-alert.test", since=mark)] \
        == ["alert"]
    (stall,) = world.https.tls_errors("mta-sts.st-stall.test", since=mark)
    assert stall["aborted"] == "stall" and stall["peer_closed"] and 1.5 <= stall["stalled"] < 10


def test_oversize_body_without_content_length(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-big.test")
    assert res.get("status") == 200, res
    assert "content-length" not in {k.lower() for k, _ in res["headers"]}
    assert len(base64.b64decode(res["body"])) == 70 * 1024
    (r,) = world.https.requests("mta-sts.st-big.test", since=mark)
    assert r["body_bytes"] == 70 * 1024 and r["complete"]


def test_tls11_only_policy_host(world):
    res = https_get(world, "mta-sts.st-tls11.test")
    assert "error" in res, res  # a default client refuses TLS 1.1
    res = https_get(world, "mta-sts.st-tls11.test", min_version="TLSv1")
    assert res.get("tls_version") == "TLSv1.1" and res["status"] == 200, res


def test_plaintext_port_80_is_recorded(world):
    mark = world.https.mark()
    assert http_get(world, "mta-sts.st-basic.test").get("status") == 404
    (r,) = world.https.plaintext_requests(since=mark)
    assert r["host"] == "mta-sts.st-basic.test" and r["target"] == "/.well-known/mta-sts.txt"


def test_smtp_starttls_picks_certificate_by_sni(world):
    mark = world.smtp.mark()
    for mx, rcpt in (("mx1.st-basic.test", "user@st-basic.test"),
                     ("mx.st-other.test", "user@st-other.test")):
        res = smtp_send(world, mx, "sender@client.test", rcpt)
        assert res.get("sent") and res["starttls_offered"], res
        sans = [v for k, v in res["peer_cert"]["subjectAltName"]]
        assert sans == [mx]
    sessions = world.smtp.sessions(since=mark)
    assert [(s["listener"], s["sni"]) for s in sessions] == [
        ("127.0.0.2:25", "mx1.st-basic.test"), ("127.0.0.2:25", "mx.st-other.test")]
    for s in sessions:
        assert s["tls"] and s["mail"] and s["rcpt"] and s["data"] and s["messages"] == 1
    msgs = world.smtp.messages("st-other.test", since=mark)
    assert len(msgs) == 1 and msgs[0]["tls"] and msgs[0]["sni"] == "mx.st-other.test"

    out = openssl_s_client(world, "127.0.0.2:25", "mx2.st-basic.test",
                           extra=("-starttls", "smtp"))
    assert out.returncode == 0 and "Verify return code: 0 (ok)" in out.stdout, out.stdout


def test_mx_without_starttls(world):
    mark = world.smtp.mark()
    res = smtp_send(world, "mx.st-plain.test", "sender@client.test", "user@st-plain.test",
                    starttls=False)
    assert res.get("sent") and res["starttls_offered"] is False, res
    (s,) = world.smtp.sessions(since=mark)
    assert not s["starttls_offered"] and not s["tls"] and s["data"]
    assert s["listener"] != "127.0.0.2:25"


def test_no_plaintext_policy_requests_from_the_clients(world):
    assert [r for r in world.https.plaintext_requests() if r["host"] != "mta-sts.st-basic.test"] \
        == []


def test_mx_certificate_failure_is_recorded(world):
    mark = world.smtp.mark()
    res = smtp_send(world, "mx.st-badmx.test", "sender@client.test", "user@st-badmx.test")
    assert "certificate has expired" in res.get("error", ""), res
    (s,) = world.smtp.sessions(since=mark)
    assert s["starttls"] and not s["tls"] and s["sni"] == "mx.st-badmx.test"
    assert s["tls_error"] and not s["mail"]


@pytest.mark.parametrize("variant", CERT_VARIANTS)
def test_certificate_variants(world, variant):
    host = f"mta-sts.st-cert-{variant.replace('_', '-')}.test"
    res = https_get(world, host)
    expected_error = {
        "valid": None, "chain": None, "wildcard": None, "expiring": None,
        "expired": "certificate has expired",
        "not_yet_valid": "certificate is not yet valid",
        "wrong_name": "Hostname mismatch",
        "cn_only": None,  # Python's client still falls back to the CN
        "untrusted": "unable to get local issuer certificate",
        "missing_intermediate": "unable to get local issuer certificate",
        "self_signed": "self-signed certificate",
    }[variant]
    if expected_error is None:
        assert res.get("status") == 200, res
        sans = [v for _, v in res["peer_cert"].get("subjectAltName", ())]
        subject_cn = [v for rdn in res["peer_cert"]["subject"] for k, v in rdn if k == "commonName"]
        if variant == "cn_only":
            assert sans == [] and subject_cn == [host]
        elif variant == "wildcard":
            assert sans == [host.replace("mta-sts.", "*.", 1)]
        else:
            assert sans == [host]
    else:
        assert expected_error in res.get("error", ""), res


def test_chunked_body_without_content_type(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-chunked.test")
    assert res.get("status") == 200, res
    headers = {k.lower(): v for k, v in res["headers"]}
    assert headers.get("transfer-encoding") == "chunked" and "content-type" not in headers
    assert base64.b64decode(res["body"]).startswith(b"version: STSv1\r\n")
    (r,) = world.https.requests("mta-sts.st-chunked.test", since=mark)
    assert r["complete"]


def test_close_mid_body(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-cut.test")
    assert "IncompleteRead" in res.get("error", ""), res
    (r,) = world.https.requests("mta-sts.st-cut.test", since=mark)
    assert r["body_bytes"] == 20 and not r["complete"]


@pytest.mark.parametrize("host", ["mta-sts.st-stall-headers.test", "mta-sts.st-stall-body.test"])
def test_stalls_end_when_the_client_gives_up(world, host):
    mark = world.https.mark()
    t0 = time.monotonic()
    res = https_get(world, host, timeout=1.5)
    assert "timed out" in res.get("error", ""), res
    assert time.monotonic() - t0 < 10
    (r,) = world.https.requests(host, since=mark)
    assert r["peer_closed"] and 1.0 <= r["stalled"] < 10 and not r["complete"]


def test_endless_body_is_cut_by_the_client(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-endless.test", max_body=65536)
    assert len(base64.b64decode(res["body"])) == 65536, res.get("error")
    (r,) = world.https.requests("mta-sts.st-endless.test", since=mark)
    assert r["peer_closed"] and not r["complete"] and r["body_bytes"] < 16 * 1024 * 1024


def test_trickle(world):
    mark = world.https.mark()
    res = https_get(world, "mta-sts.st-trickle.test", timeout=5)
    assert base64.b64decode(res["body"]) == b"v=1\r\n", res
    (r,) = world.https.requests("mta-sts.st-trickle.test", since=mark)
    assert r["complete"] and r["duration"] >= 1.0


def test_domains_and_behaviours_change_while_running(world):
    world.add_domains(Domain("st-late.test", sts="v=STSv1; id=late", policy=Policy(mode="testing"),
                             mx=[MxHost("mx.st-late.test", address="127.0.0.77")], ttl=1))
    assert answers(dig(world, "_mta-sts.st-late.test", "TXT", "+noall", "+answer")) == [
        '"v=STSv1; id=late"']
    res = https_get(world, "mta-sts.st-late.test")
    assert b"mode: testing" in base64.b64decode(res["body"]), res
    world.set_policy("st-late.test", Policy(mode="enforce", status=404))
    res = https_get(world, "mta-sts.st-late.test")
    assert res["status"] == 404 and b"mode: enforce" in base64.b64decode(res["body"]), res
    mark = world.smtp.mark()
    res = smtp_send(world, "mx.st-late.test", "sender@client.test", "user@st-late.test")
    assert res.get("sent"), res
    (s,) = world.smtp.sessions(since=mark)
    assert s["listener"] == "127.0.0.77:25" and s["sni"] == "mx.st-late.test"


def flags_of(out: str) -> set[str]:
    """The header flags of a dig answer ("qr rd ra ad")."""
    m = re.search(r";; flags: ([a-z ]*);", out)
    assert m, out
    return set(m.group(1).split())


def tlsa_answers(out: str) -> list[str]:
    """TLSA rdatas of `dig +noall +answer` output as "u s m hex" (dig splits long hex)."""
    out_rd = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 7 and parts[3] == "TLSA":
            out_rd.append(" ".join(parts[4:7] + ["".join(parts[7:]).lower()]))
    return out_rd


def test_signed_root_validates_with_the_worlds_trust_anchor(world):
    out = dig(world, ".", "NS", "+dnssec")
    assert status_of(out) == "NOERROR" and "ad" in flags_of(out), out
    out = dig(world, ".", "DNSKEY", "+noall", "+answer")
    def key(rdata: list[str]) -> str:  # dig splits the base64 key with spaces
        return " ".join(rdata[:3] + ["".join(rdata[3:])])

    keys = [key(a.split()) for a in answers(out)]
    assert world.trust_anchor is not None
    assert key(world.trust_anchor.split()[2:]) in keys, (world.trust_anchor, keys)


def test_signed_tld_validates(world):
    out = dig(world, "mx.st-signed.dnssec", "A", "+dnssec")
    assert status_of(out) == "NOERROR" and "ad" in flags_of(out), out
    assert answers(dig(world, "mx.st-signed.dnssec", "A", "+noall", "+answer")) == ["127.0.0.2"]
    out = dig(world, "_mta-sts.st-signed.dnssec", "TXT", "+dnssec")
    assert "ad" in flags_of(out) and '"v=STSv1; id=1"' in out, out
    # A signed denial: NXDOMAIN, authenticated.
    out = dig(world, "nothing.st-signed.dnssec", "A", "+dnssec")
    assert status_of(out) == "NXDOMAIN" and "ad" in flags_of(out), out
    # knot signs: the authoritative answer carries the RRSIG.
    out = world.dns.dig("mx.st-signed.dnssec", "A", server=world.authoritative,
                        extra=("+dnssec", "+norec")).stdout
    assert "RRSIG\tA 13 " in out and "aa" in flags_of(out), out


def test_bogus_tld_gets_servfail(world):
    out = dig(world, "mx.st-bogus.bogus", "A", "+dnssec")
    assert status_of(out) == "SERVFAIL", out
    assert status_of(dig(world, "_mta-sts.st-bogus.bogus", "TXT")) == "SERVFAIL"
    # The data is there and signed; only validation fails (checking disabled: the answer).
    out = dig(world, "mx.st-bogus.bogus", "A", "+cd", "+dnssec")
    assert status_of(out) == "NOERROR" and "ad" not in flags_of(out), out
    assert "127.0.0.2" in out and "RRSIG" in out, out


def test_unsigned_zones_stay_insecure(world):
    out = dig(world, "mx1.st-basic.test", "A", "+dnssec")
    assert status_of(out) == "NOERROR" and "ad" not in flags_of(out), out
    assert answers(dig(world, "mx1.st-basic.test", "A", "+noall", "+answer")) == ["127.0.0.2"]
    out = dig(world, "_mta-sts.st-nothing.test", "TXT", "+dnssec")
    assert status_of(out) == "NXDOMAIN" and "ad" not in flags_of(out), out
    # Insecure by proof: the root's signed answer says `test.` has no DS.
    out = dig(world, "test.", "DS", "+dnssec")
    assert status_of(out) == "NOERROR" and "ANSWER: 0" in out and "ad" in flags_of(out), out


def test_tlsa_records_from_the_certificates(world):
    mx, mx2 = "mx.st-signed.dnssec", "mx2.st-signed.dnssec"
    out = dig(world, f"_25._tcp.{mx}", "TLSA", "+dnssec")
    assert status_of(out) == "NOERROR" and "ad" in flags_of(out), out
    leaf = world.cert(mx)
    assert tlsa_answers(dig(world, f"_25._tcp.{mx}", "TLSA", "+noall", "+answer")) == [
        f"3 1 1 {leaf.spki_sha256()}"]
    chain = world.cert(mx2, "chain")
    issuer = chain.issuer_spki_sha256()
    got = sorted(tlsa_answers(dig(world, f"_25._tcp.{mx2}", "TLSA", "+noall", "+answer")))
    assert len(got) == 2 and got[0] == f"2 1 1 {issuer}", got
    assert got[1].startswith("3 1 1 ") and got[1] != f"3 1 1 {chain.spki_sha256()}", got
    assert issuer != chain.spki_sha256() and world.tlsa(mx2, "2 1 1") == got[0]
    # 2 1 1 needs the issuer in the chain the MX sends: the "chain" variant sends it.
    res = openssl_s_client(world, "127.0.0.2:25", mx2, extra=("-starttls", "smtp", "-showcerts"))
    assert res.returncode == 0 and res.stdout.count("BEGIN CERTIFICATE") == 2, res.stdout


def test_signed_zone_follows_dynamic_updates(world):
    world.dns.set_txt("_mta-sts.st-signed.dnssec", "v=STSv1; id=2")
    out = dig(world, "_mta-sts.st-signed.dnssec", "TXT", "+dnssec")
    assert '"v=STSv1; id=2"' in out and "ad" in flags_of(out), out
    world.dns.delete("_mta-sts.st-signed.dnssec", "TXT")
    out = dig(world, "_mta-sts.st-signed.dnssec", "TXT", "+dnssec")
    assert status_of(out) == "NXDOMAIN" and "ad" in flags_of(out), out
    world.dns.set_txt("_mta-sts.st-signed.dnssec", "v=STSv1; id=1")
    out = dig(world, "_mta-sts.st-signed.dnssec", "TXT", "+dnssec")
    assert '"v=STSv1; id=1"' in out and "ad" in flags_of(out), out
