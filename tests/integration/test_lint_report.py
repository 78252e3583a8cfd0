"""`mtasts lint tlsrpt-report`: a TLS-RPT report file read and explained, as an operator runs it
on a report that arrived by mail (no network; the binary under test, as installed)."""

from __future__ import annotations

import gzip
import json
import subprocess

MICROSOFT_LIKE = {
    "organization-name": "Mailer Corporation",
    "date-range": {"start-datetime": "2026-12-01T00:00:00Z",
                   "end-datetime": "2026-12-02T00:00:00Z"},
    "contact-info": None,
    "report-id": "133-mailer",
    "policies": [{
        "policy": {"policy-type": "sts",
                   "policy-string": ["version: STSv1", "mode: testing", "mx: mx.example.test",
                                     "max_age: 86400"],
                   "policy-domain": "example.test",
                   "mx-host": "mx.example.test"},
        "summary": {"total-successful-session-count": 41, "total-failure-session-count": 3},
        "failure-details": [{"result-type": "certificate-expired",
                             "receiving-mx-hostname": "mx.example.test",
                             "receiving-ip": "192.0.2.25",
                             "failed-session-count": 2}],
    }],
}


def lint(mtasts_bin: str, path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([mtasts_bin, "lint", "tlsrpt-report", str(path), *extra],
                          capture_output=True, text=True, timeout=30)


def test_report_fields_and_every_deviation_are_shown(mtasts_bin, tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(MICROSOFT_LIKE))
    proc = lint(mtasts_bin, path, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["valid"] and out["error"] is None
    report = out["report"]
    assert report["report_id"] == "133-mailer" and report["contact_info"] is None
    assert report["date_range"]["window"] == "day-ending-next-midnight"
    policy = report["policies"][0]
    assert policy["mx_host"] == ["mx.example.test"]
    assert policy["total_successful_session_count"] == 41
    detail = policy["failure_details"][0]
    assert detail["result_type"] == "certificate-expired" and detail["sending_mta_ip"] is None
    warnings = {(w["code"], w["path"]) for w in out["warnings"]}
    # No sending-mta-ip, contact-info null, and 2 failed sessions listed against 3 in the summary.
    assert ("field-missing", "/policies/0/failure-details/0/sending-mta-ip") in warnings
    assert any(code == "field-null" and p == "/contact-info" for code, p in warnings)
    assert any(code == "failure-count-mismatch" for code, _ in warnings)
    assert {i["code"] for i in out["infos"]} >= {"mx-host-string"}


def test_text_output_summarises_the_sessions(mtasts_bin, tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(MICROSOFT_LIKE))
    proc = lint(mtasts_bin, path)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert "report 133-mailer from Mailer Corporation" in first
    assert "41 sessions succeeded, 3 failed" in first
    assert "certificate-expired x2 mx mx.example.test" in proc.stdout
    assert "[failure-count-mismatch]" in proc.stdout


def test_not_a_report_is_refused_with_the_reason(mtasts_bin, tmp_path):
    cases = {
        "truncated.json": (json.dumps(MICROSOFT_LIKE)[:-7].encode(), "not JSON"),
        "array.json": (b"[1, 2]", "object"),
        "deep.json": (b'{"a":' * 100 + b"1" + b"}" * 100, "deep"),
        "report.json.gz": (gzip.compress(json.dumps(MICROSOFT_LIKE).encode()), "gzip"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        proc = lint(mtasts_bin, path, "--json")
        assert proc.returncode == 1, (name, proc.stdout, proc.stderr)
        out = json.loads(proc.stdout)
        assert out["valid"] is False and out["report"] is None, name
        assert reason.lower() in out["error"].lower(), (name, out["error"])


def test_unreadable_file_is_a_usage_error(mtasts_bin, tmp_path):
    proc = lint(mtasts_bin, tmp_path / "missing.json")
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr
