"""`mtasts check` against the test world: one deployment broken in each way docs/check.md
lists, each reported with its code and severity; a correct deployment with a TLSRPT record that
gives no error and no warning; concurrency and the time bound; exit codes; the person-readable verdicts."""

from __future__ import annotations

import json
import time

import pytest

from world import Domain, MxHost, Policy

TLSRPT = "v=TLSRPTv1; rua=mailto:tlsrpt@chk-ok.test"
SLACK = 5.0  # seconds allowed beyond a timeout (process start, DNS, teardown)


def ck(case: str, sts="v=STSv1; id=1", policy: Policy | None = None, mx=None,
       tlsrpt=TLSRPT, **kw) -> Domain:
    """chk-<case>.test: correct (enforce, one MX host, TLSRPT) unless told otherwise."""
    name = f"chk-{case}.test"
    if mx is None:
        mx = [f"mx1.{name}"]
    if policy is None and "no_policy" not in kw:
        policy = Policy(max_age=604800)
    kw.pop("no_policy", None)
    return Domain(name, sts=sts, policy=policy, mx=mx, tlsrpt=tlsrpt, **kw)


def _policy_mx(case: str, *extra: str) -> list[str]:
    return [f"mx1.chk-{case}.test", *extra]


# case -> (code, severity, Domain)
CASES = {
    "norecord": ("sts-record-missing", "error", ck("norecord", sts=None)),
    "tworecords": ("sts-record-multiple", "error",
                   ck("tworecords", sts=["v=STSv1; id=1", "v=STSv1; id=2"])),
    "badrecord": ("sts-record-invalid", "error", ck("badrecord", sts="v=STSv1; id=not-valid")),
    "nohost": ("policy-host-unresolvable", "error", ck("nohost", no_policy=True)),
    "status404": ("policy-http-status", "error",
                  ck("status404", policy=Policy(status=404, max_age=604800))),
    "redirect": ("policy-redirect", "error",
                 ck("redirect", policy=Policy(
                     redirect="https://mta-sts.chk-ok.test/.well-known/mta-sts.txt"))),
    "html": ("policy-content-type", "error", ck("html", policy=Policy(content_type="text/html"))),
    "big": ("policy-too-large", "error", ck("big", policy=Policy(size=70 * 1024))),
    "badpolicy": ("policy-invalid", "error", ck("badpolicy", policy=Policy(
        body="version: STSv1\r\nmode: Enforce\r\nmx: mx1.chk-badpolicy.test\r\n"
             "max_age: 604800\r\n"))),
    "polexpired": ("policy-cert-expired", "error",
                   ck("polexpired", policy=Policy(cert="expired", max_age=604800))),
    "polwrongname": ("policy-cert-name-mismatch", "error",
                     ck("polwrongname", policy=Policy(cert="wrong_name", max_age=604800))),
    "poluntrusted": ("policy-cert-untrusted", "error",
                     ck("poluntrusted", policy=Policy(cert="untrusted", max_age=604800))),
    "notcovered": ("mx-not-covered", "error",
                   ck("notcovered", mx=["mx1.chk-notcovered.test", "mx2.chk-notcovered.test"],
                      policy=Policy(mx=_policy_mx("notcovered"), max_age=604800))),
    "mxdown": ("mx-unreachable", "error",
               ck("mxdown", mx=[MxHost("mx1.chk-mxdown.test", serve=False)])),
    "nostarttls": ("mx-starttls-missing", "error",
                   ck("nostarttls", mx=[MxHost("mx1.chk-nostarttls.test", starttls=False)])),
    "mxuntrusted": ("mx-cert-untrusted", "error",
                    ck("mxuntrusted", mx=[MxHost("mx1.chk-mxuntrusted.test", cert="untrusted")])),
    "mxexpired": ("mx-cert-expired", "error",
                  ck("mxexpired", mx=[MxHost("mx1.chk-mxexpired.test", cert="expired")])),
    "mxwrongname": ("mx-cert-name-mismatch", "error",
                    ck("mxwrongname", mx=[MxHost("mx1.chk-mxwrongname.test", cert="wrong_name")])),
    "testing": ("policy-mode-testing", "warning",
                ck("testing", policy=Policy(mode="testing", max_age=604800))),
    "notlsrpt": ("tlsrpt-record-missing", "warning", ck("notlsrpt", tlsrpt=None)),
    "badtlsrpt": ("tlsrpt-record-invalid", "warning",
                  ck("badtlsrpt", tlsrpt="v=TLSRPTv1; rua=tlsrpt@chk-badtlsrpt.test")),
    "polexpiring": ("policy-cert-expiring", "warning",
                    ck("polexpiring", policy=Policy(cert="expiring", max_age=604800))),
    "mxexpiring": ("mx-cert-expiring", "warning",
                   ck("mxexpiring", mx=[MxHost("mx1.chk-mxexpiring.test", cert="expiring")])),
    "stale": ("policy-pattern-stale", "warning",
              ck("stale", policy=Policy(mx=_policy_mx("stale", "old.chk-stale.test"),
                                        max_age=604800))),
    "modenone": ("policy-mode-none", "info",
                 ck("modenone", policy=Policy(mode="none", max_age=604800))),
}

STALLS = [ck(f"stall{i}", policy=Policy(stall="request", stall_seconds=30, max_age=604800))
          for i in range(4)]

# Two network operations that time out, one after the other: the policy fetch and the TLSRPT
# lookup (its authoritative server never answers).
SLOW = ck("slow", policy=Policy(stall="request", stall_seconds=30, max_age=604800),
          unresponsive=["_smtp._tls"])

WORLD_DOMAINS = [ck("ok"), *(d for _, _, d in CASES.values()), *STALLS, SLOW]


def run_check(world, mtasts_bin, *args, timeout=60):
    cmd = [mtasts_bin, "check", *args, "--ca-file", str(world.ca_file)]
    start = time.monotonic()
    proc = world.run(cmd, timeout=timeout)
    return proc, time.monotonic() - start


def check_json(world, mtasts_bin, *args, timeout=60):
    proc, elapsed = run_check(world, mtasts_bin, *args, "--json", timeout=timeout)
    assert proc.stdout, proc.stderr
    return proc, json.loads(proc.stdout), elapsed


def findings_of(doc, domain):
    (entry,) = [d for d in doc["domains"] if d["domain"] == domain]
    return entry["findings"]


def by_severity(findings, severity):
    return [f for f in findings if f["severity"] == severity]


def test_correct_deployment_no_error_no_warning(world, mtasts_bin):
    proc, doc, _ = check_json(world, mtasts_bin, "chk-ok.test")
    findings = findings_of(doc, "chk-ok.test")
    assert by_severity(findings, "error") == [], findings
    assert by_severity(findings, "warning") == [], findings
    assert proc.returncode == 0, proc.stderr
    codes = {f["code"] for f in findings}
    assert {"policy-fetched", "mx-tls-ok"} <= codes
    for f in findings:
        assert set(f) == {"code", "severity", "subject", "message", "rfc", "fix"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_deployment_reported(world, mtasts_bin, case):
    code, severity, domain = CASES[case]
    proc, doc, _ = check_json(world, mtasts_bin, domain.name)
    findings = findings_of(doc, domain.name)
    hits = [f for f in findings if f["code"] == code]
    assert hits, f"{code} not among {[(f['code'], f['message']) for f in findings]}"
    assert all(f["severity"] == severity for f in hits)
    assert all(f["rfc"].startswith("RFC ") and f["fix"] and f["subject"] for f in hits)
    assert proc.returncode == (1 if by_severity(findings, "error") else 0), proc.stderr
    if severity != "error":
        # Only the one thing is wrong: no error, and no warning but the expected one.
        assert by_severity(findings, "error") == [], findings
        assert {f["code"] for f in by_severity(findings, "warning")} <= {code}, findings


def test_redirect_not_followed_one_request(world, mtasts_bin):
    mark = world.https.mark()
    check_json(world, mtasts_bin, "chk-redirect.test")
    reqs = world.https.requests("mta-sts.chk-redirect.test", since=mark)
    assert len(reqs) == 1 and reqs[0]["status"] == 301, reqs
    assert world.https.requests("mta-sts.chk-ok.test", since=mark) == []
    assert world.https.plaintext_requests(since=mark) == []


def test_fetch_timeout_bounded(world, mtasts_bin):
    proc, doc, elapsed = check_json(world, mtasts_bin, "chk-stall0.test", "--timeout", "2")
    hits = [f for f in findings_of(doc, "chk-stall0.test") if f["code"] == "policy-fetch-timeout"]
    assert hits and hits[0]["severity"] == "error", doc
    assert proc.returncode == 1
    assert elapsed < 2 + SLACK, elapsed


def test_domains_checked_concurrently_within_bound(world, mtasts_bin):
    names = [d.name for d in STALLS] + ["chk-ok.test", "chk-mxdown.test"]
    proc, doc, elapsed = check_json(world, mtasts_bin, *names, "--timeout", "2")
    assert [d["domain"] for d in doc["domains"]] == names
    for d in STALLS:
        assert "policy-fetch-timeout" in {f["code"] for f in findings_of(doc, d.name)}
    assert by_severity(findings_of(doc, "chk-ok.test"), "error") == []
    assert proc.returncode == 1
    # One after another, the four stalls alone would take 8 s.
    assert elapsed < 2 + SLACK, elapsed


def test_exit_codes(world, mtasts_bin):
    proc, _ = run_check(world, mtasts_bin, "chk-ok.test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc, _ = run_check(world, mtasts_bin, "chk-ok.test", "chk-norecord.test")
    assert proc.returncode == 1
    proc, _ = run_check(world, mtasts_bin, "chk-testing.test")
    assert proc.returncode == 0  # warnings only
    for args in (["chk-ok.test", "--timeout", "0"], ["bad domain!"], ["[192.0.2.1]"], []):
        proc, _ = run_check(world, mtasts_bin, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)


def test_human_output_verdict_per_domain(world, mtasts_bin):
    proc, _ = run_check(world, mtasts_bin, "chk-ok.test", "chk-mxexpired.test", "chk-testing.test")
    out = proc.stdout
    assert proc.returncode == 1
    assert "\x1b[" not in out  # not a terminal: no colour
    lines = out.splitlines()
    assert any(line.startswith("chk-ok.test: PASS, 0 error(s), 0 warning(s)") for line in lines), out
    assert any(line.startswith("chk-mxexpired.test: FAIL") for line in lines), out
    assert any(line.startswith("chk-testing.test: PASS with warnings") for line in lines), out
    assert "mx-cert-expired" in out and "fix: " in out and "MX hosts" in out


def test_run_ends_within_sum_of_timeouts(world, mtasts_bin):
    proc, doc, elapsed = check_json(world, mtasts_bin, SLOW.name, "chk-stall1.test",
                                    "--timeout", "2")
    codes = {f["code"]: f["severity"] for f in findings_of(doc, SLOW.name)}
    assert codes.get("policy-fetch-timeout") == "error", codes
    assert codes.get("tlsrpt-lookup-failed") == "warning", codes
    assert proc.returncode == 1
    assert elapsed < 2 * 2 + SLACK, elapsed
