"""TLS-RPT intake of the real `mtasts host` (docs/tlsrpt-intake.md): reports POSTed over HTTPS to
https://mta-sts.<d>/tlsrpt (RFC 8460 §5.4) with the certificate the service got from pebble,
and report files imported with `mtasts host report import`. Each report is stored once, counted
for its domain, tied to what the service published, and what cannot be counted is kept apart
with its reason. Hostile bodies (truncated gzip, a gzip bomb, deep JSON, 100 MB, a slow
poster, the wrong type) get clear refusals while the policy keeps being served.
"""

from __future__ import annotations

import gzip
import io
import json
import socket
import ssl
import time
import zipfile
from pathlib import Path
from typing import Optional

import pytest

from world import Domain, Record
from world.host import fetch_policy, start_host

PROVIDER = "hrep-provider.test"
HOSTNAME = f"host.{PROVIDER}"
ADDRESS = "127.0.6.9"
DOMAIN = "rep.hrep.test"
POLICY_HOST = f"mta-sts.{DOMAIN}"
OTHER = "other.hrep.test"  # not hosted
# The lines of the policy the service serves for DOMAIN (set by the host fixture): what a sender
# that fetched it writes as policy-string.
POLICY_LINES: list[str] = []

WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)]),
    Domain(DOMAIN, mx=[f"mx1.{DOMAIN}"], ttl=1,
           records=[Record(POLICY_HOST, "CNAME", f"{HOSTNAME}.")]),
]


def report(report_id: str, domain: str = DOMAIN, org: str = "Sender A",
           day: str = "2026-10-01", ok: int = 100, failures: Optional[list] = None,
           policy_type: str = "sts", mx: Optional[list] = None,
           policy_string: Optional[list] = None) -> dict:
    failures = failures or []
    if policy_string is None:
        policy_string = POLICY_LINES if domain == DOMAIN else [
            "version: STSv1", "mode: testing", f"mx: mx1.{domain}", "max_age: 86400"]
    return {
        "organization-name": org,
        "date-range": {"start-datetime": f"{day}T00:00:00Z", "end-datetime": f"{day}T23:59:59Z"},
        "contact-info": "tlsrpt@sender.example",
        "report-id": report_id,
        "policies": [{
            "policy": {"policy-type": policy_type,
                       "policy-string": policy_string,
                       "policy-domain": domain,
                       "mx-host": mx if mx is not None else [f"mx1.{domain}"]},
            "summary": {"total-successful-session-count": ok,
                        "total-failure-session-count": sum(f[1] for f in failures)},
            "failure-details": [
                {"result-type": result, "sending-mta-ip": "192.0.2.1",
                 "receiving-mx-hostname": receiving_mx, "failed-session-count": count}
                for result, count, receiving_mx in failures],
        }],
    }


def gz(doc: dict) -> bytes:
    return gzip.compress(json.dumps(doc).encode())


def post(world, cafile: Path, body: bytes, content_type: str = "application/tlsrpt+gzip",
         host: str = POLICY_HOST, path: str = "/tlsrpt", method: str = "POST",
         timeout: float = 20.0) -> dict:
    """One HTTPS request to the policy host, verified against `cafile`: {status, body} or
    {error}."""
    def call():
        context = ssl.create_default_context(cafile=str(cafile))
        try:
            with socket.create_connection((ADDRESS, 443), timeout=timeout) as raw:
                with context.wrap_socket(raw, server_hostname=host) as s:
                    head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
                            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                            "Connection: close\r\n\r\n")
                    s.sendall(head.encode() + body)
                    data = b""
                    while chunk := s.recv(65536):
                        data += chunk
        except (OSError, ssl.SSLError) as e:
            return {"error": f"{type(e).__name__}: {e}"}
        head, _, rest = data.partition(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].decode(errors="replace")
        return {"status": int(line.split()[1]), "body": rest.decode(errors="replace")}

    return world.call(call, timeout=timeout + 10)


@pytest.fixture(scope="module")
def host(world, mtasts_bin, pebble, trust):
    instance = start_host(world, mtasts_bin, pebble, trust, "hrep", ADDRESS, 18561, HOSTNAME,
                          metrics="127.0.0.1:18562")
    status, body = instance.api("POST", "/v1/domains", {"domain": DOMAIN})
    assert status == 201, body
    world.dns.set_txt(f"_mta-sts.{DOMAIN}", f"v=STSv1; id={body['id']}")
    instance.wait_certificate(DOMAIN)
    served = fetch_policy(world, ADDRESS, POLICY_HOST, trust)
    assert served.get("status") == 200, served
    POLICY_LINES[:] = [line for line in served["body"].splitlines() if line.strip()]
    yield instance
    instance.stop()


def summary(host, domain: str = DOMAIN, days: int = 400) -> dict:
    status, body = host.api("GET", f"/v1/domains/{domain}/reports?days={days}")
    assert status == 200, body
    return body


def test_the_records_to_publish_name_the_intake_url(host):
    status, body = host.api("GET", f"/v1/domains/{DOMAIN}")
    assert status == 200, body
    tlsrpt = [r for r in body["records"] if r["owner"] == f"_smtp._tls.{DOMAIN}"]
    assert tlsrpt, body["records"]
    assert f"rua=https://{POLICY_HOST}/tlsrpt" in tlsrpt[0]["value"]


def test_a_gzip_report_posted_is_stored_and_counted_once(world, host, trust):
    doc = report("post-1", ok=120, failures=[("certificate-expired", 3, f"mx1.{DOMAIN}")])
    first = post(world, trust, gz(doc))
    assert first.get("status") == 200, first
    assert first["body"].startswith("accepted"), first
    again = post(world, trust, gz(doc))
    assert again.get("status") == 200, again
    assert again["body"].startswith("duplicate"), again

    s = summary(host)
    assert s["by_result"].get("success") == 120, s
    assert s["by_result"].get("certificate-expired") == 3, s
    listed = host.api("GET", f"/v1/reports?domain={DOMAIN}&days=400")[1]["reports"]
    assert [r["report_id"] for r in listed].count("post-1") == 1, listed
    mine = next(r for r in listed if r["report_id"] == "post-1")
    assert mine["channel"] == "https" and mine["successful"] == 120 and mine["failed"] == 3
    status, detail = host.api("GET", f"/v1/reports/{mine['id']}")
    assert status == 200 and detail["report"]["report-id"] == "post-1", detail
    metrics = host.metrics()
    assert 'mtasts_host_tlsrpt_reports_total{outcome="duplicate"} 1' in metrics, metrics
    assert 'mtasts_host_tlsrpt_reports_total{outcome="accepted"} 1' in metrics, metrics


def test_a_json_report_is_taken_and_an_unknown_type_refused(world, host, trust):
    plain = json.dumps(report("post-json", ok=5)).encode()
    assert post(world, trust, plain, "application/tlsrpt+json").get("status") == 200
    refused = post(world, trust, plain, "text/html")
    assert refused.get("status") == 415, refused
    get = post(world, trust, b"", method="GET")
    assert get.get("status") == 405, get


def test_failures_of_the_policy_host_and_unlisted_mx_are_findings(world, host, trust):
    doc = report("post-outage", day="2026-10-02", ok=10,
                 failures=[("sts-webpki-invalid", 7, ""),
                           ("certificate-host-mismatch", 2, "old-mx.elsewhere.test")])
    assert post(world, trust, gz(doc)).get("status") == 200
    findings = {f["code"]: f for f in summary(host)["findings"]}
    assert findings["policy-host-failure"]["sessions"] == 7, findings
    assert "provider" in findings["policy-host-failure"]["message"]
    assert findings["mx-not-in-policy"]["mx"] == "old-mx.elsewhere.test", findings
    assert "policy-unknown" not in findings, findings


def test_a_policy_never_published_here_is_a_finding(world, host, trust):
    forged = ["version: STSv1", "mode: enforce", "mx: mx.attacker.test", "max_age: 604800"]
    doc = report("post-forged", day="2026-10-03", ok=4, policy_string=forged)
    assert post(world, trust, gz(doc)).get("status") == 200
    findings = {f["code"]: f for f in summary(host)["findings"]}
    assert findings["policy-unknown"]["sessions"] == 4, findings


def test_reports_that_cannot_be_counted_are_refused_and_kept_apart(world, host, trust):
    other = post(world, trust, gz(report("other-1", domain=OTHER)))
    assert other.get("status") == 400 and "domain-mismatch" in other["body"], other
    truncated = gz(report("trunc-1"))[:-20]
    bad = post(world, trust, truncated)
    assert bad.get("status") == 400 and "bad-compression" in bad["body"], bad
    deep = ("[" * 5000 + "]" * 5000).encode()
    not_report = post(world, trust, deep, "application/tlsrpt+json")
    assert not_report.get("status") in (400, 413), not_report
    status, apart = host.api("GET", "/v1/reports/apart")
    reasons = {r["reason"] for r in apart["reports"]}
    assert {"domain-mismatch", "bad-compression"} <= reasons, apart
    assert all(r["report_id"] != "other-1" for r in
               host.api("GET", "/v1/reports?days=400")[1]["reports"])


def test_a_gzip_bomb_is_refused_at_the_limit(world, host, trust):
    # 64 MiB of zeros inside a JSON string compress to about 64 KiB.
    bomb = gzip.compress(b'{"organization-name":"' + b"0" * (64 << 20) + b'"}', 9)
    assert len(bomb) < 200_000
    answer = post(world, trust, bomb)
    assert answer.get("status") == 413, answer
    assert fetch_policy(world, ADDRESS, POLICY_HOST, trust)["status"] == 200


def test_a_100_mb_post_is_refused_and_the_policy_still_served(world, host, trust):
    def call():
        context = ssl.create_default_context(cafile=str(trust))
        with socket.create_connection((ADDRESS, 443), timeout=20) as raw:
            with context.wrap_socket(raw, server_hostname=POLICY_HOST) as s:
                s.sendall((f"POST /tlsrpt HTTP/1.1\r\nHost: {POLICY_HOST}\r\n"
                           "Content-Type: application/tlsrpt+gzip\r\n"
                           f"Content-Length: {100 << 20}\r\n\r\n").encode())
                sent = 0
                try:
                    while sent < (100 << 20):
                        s.sendall(b"\0" * 65536)
                        sent += 65536
                except OSError:
                    pass
                data = b""
                try:
                    while chunk := s.recv(65536):
                        data += chunk
                except OSError:
                    pass
                return sent, data[:64].decode(errors="replace")

    began = time.monotonic()
    sent, head = world.call(call, timeout=60)
    assert head.startswith("HTTP/1.1 413") or sent < (100 << 20), (sent, head)
    assert time.monotonic() - began < 30
    assert fetch_policy(world, ADDRESS, POLICY_HOST, trust)["status"] == 200


def test_a_slow_poster_is_cut_off(world, host, trust):
    def call():
        context = ssl.create_default_context(cafile=str(trust))
        with socket.create_connection((ADDRESS, 443), timeout=30) as raw:
            with context.wrap_socket(raw, server_hostname=POLICY_HOST) as s:
                s.sendall((f"POST /tlsrpt HTTP/1.1\r\nHost: {POLICY_HOST}\r\n"
                           "Content-Type: application/tlsrpt+json\r\n"
                           "Content-Length: 100000\r\n\r\n").encode())
                began = time.monotonic()
                try:
                    while time.monotonic() - began < 25:
                        s.sendall(b" ")
                        time.sleep(1)
                except OSError:
                    return time.monotonic() - began
                return None

    closed_after = world.call(call, timeout=60)
    assert closed_after is not None and closed_after < 20, closed_after
    assert fetch_policy(world, ADDRESS, POLICY_HOST, trust)["status"] == 200


def test_import_reads_json_gzip_and_zip_files_once(world, host, tmp_path):
    folder = Path(world.dir) / "hrep-import"
    folder.mkdir(exist_ok=True)
    (folder / "a.json").write_text(json.dumps(report("imp-1", org="Sender B", day="2026-10-20")))
    (folder / "b.json.gz").write_bytes(gz(report("imp-2", org="Sender B", day="2026-10-21")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.json", json.dumps(report("imp-3", org="Sender C", day="2026-10-22")))
    (folder / "c.zip").write_bytes(buffer.getvalue())
    (folder / "d.json").write_text(json.dumps(report("imp-4", domain=OTHER)))

    first = host.cli("report", "import", str(folder), "--json")
    assert first.returncode == 1, first.stdout + first.stderr  # d.json is not hosted here
    out = json.loads(first.stdout)
    assert (out["accepted"], out["kept_apart"]) == (3, 1), out
    outcomes = {Path(r["file"]).name: (r["outcome"], r["reason"]) for r in out["reports"]}
    assert outcomes["d.json"] == ("kept-apart", "not-hosted"), outcomes

    (folder / "d.json").unlink()
    again = host.cli("report", "import", str(folder), "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["duplicate"] == 3
    text = host.cli("report", "show", DOMAIN, "--days", "90")
    assert text.returncode == 0, text.stderr
    assert "Sender C" in text.stdout and "enforce readiness" in text.stdout, text.stdout


def test_readiness_gives_the_command_and_it_applies(world, host, tmp_path):
    folder = Path(world.dir) / "hrep-ready"
    folder.mkdir(exist_ok=True)
    today = time.gmtime()
    base = time.mktime(time.struct_time((today.tm_year, today.tm_mon, today.tm_mday, 12, 0, 0,
                                         0, 0, -1)))
    for n in range(8):
        day = time.strftime("%Y-%m-%d", time.gmtime(base - n * 86400))
        for org in ("Sender R1", "Sender R2"):
            (folder / f"{org[-2:]}-{n}.json").write_text(
                json.dumps(report(f"ready-{org[-2:]}-{n}", org=org, day=day, ok=50)))
    assert host.cli("report", "import", str(folder)).returncode == 0
    verdict = summary(host, days=14)["readiness"]
    # Earlier tests left failures in older reports, but none in this window.
    assert verdict["verdict"] == "ready", verdict
    command = verdict["command"].split()
    assert command[:4] == ["mtasts", "host", "domain", "set"] and command[4] == DOMAIN
    applied = host.cli(*command[2:])
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert host.domain(DOMAIN)["mode"] == "enforce"
    assert summary(host, days=14)["readiness"]["verdict"] == "not-testing"
