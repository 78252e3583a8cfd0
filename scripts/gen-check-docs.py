#!/usr/bin/python3
"""Writes docs/check.md from the catalogue in core/src/check/check_findings.cpp (kCheckCatalogue), so
the table of `mtasts check` codes cannot drift from the code. Usage:

    scripts/gen-check-docs.py            # rewrite docs/check.md
    scripts/gen-check-docs.py --check    # exit 1 if docs/check.md is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "core/src/check/check_findings.cpp"
HEADER = ROOT / "core/include/mtasts/core/check/check_findings.hpp"
OUT = ROOT / "docs/check.md"

AREA = {
    "sts_record": "_mta-sts record", "policy_host": "policy host", "policy": "policy",
    "mx_coverage": "policy vs MX", "mx_host": "MX hosts", "tlsrpt": "TLSRPT record",
    "hosting": "hosted domain",
}
# A paragraph under an area's heading.
AREA_NOTE = {
    "hosting": "Reported by the monitor of `mtasts host` for the domains it hosts "
               "(`core/hosting_checks.hpp`), never by `mtasts check`. The monitor also reports "
               "`sts-record-lookup-failed` and `sts-record-invalid` for the `_mta-sts` record.",
}
# The subject a finding names, by area; the exceptions by code.
SUBJECT = {
    "sts_record": "record name `_mta-sts.<domain>`",
    "policy_host": "policy host `mta-sts.<domain>`",
    "policy": "policy URL",
    "mx_coverage": "MX host",
    "mx_host": "MX host",
    "tlsrpt": "record name `_smtp._tls.<domain>`",
    "hosting": "policy host `mta-sts.<domain>`",
}
SUBJECT_BY_CODE = {
    "mx-lookup-failed": "domain", "mx-null": "domain",
    "policy-pattern-stale": "mx pattern", "policy-pattern-wide": "mx pattern",
    "policy-pattern-domain-wildcard": "mx pattern `*.<domain>`",
    "policy-pattern-ip-address": "policy URL",
    "hosted-record-missing": "record name `_mta-sts.<domain>`",
    "hosted-record-multiple": "record name `_mta-sts.<domain>`",
    "hosted-id-stale": "record name `_mta-sts.<domain>`",
    "hosted-delegation-broken": "record name `_mta-sts.<domain>`",
}

ROW = re.compile(r'\{C::(\w+),\s*"([a-z0-9-]+)",\s*(\w+),\s*A::(\w+),\s*(k\w+|"[^"]*"),\s*'
                 r'((?:"(?:[^"\\]|\\.)*"\s*)+)\}', re.S)
CONST = re.compile(r'constexpr std::string_view (k\w+) = "([^"]*)";')
COUNT = re.compile(r"kCheckCodeCount = (\d+);")


def rows() -> list[dict]:
    text = SRC.read_text()
    consts = dict(CONST.findall(text))
    out = []
    for m in ROW.finditer(text):
        rfc = m.group(5)
        rfc = consts[rfc] if rfc.startswith("k") else rfc.strip('"')
        fix = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(6))).replace('\\"', '"')
        out.append({"code": m.group(2), "severity": m.group(3), "area": m.group(4),
                    "rfc": rfc, "fix": fix})
    return out


def render() -> str:
    table = rows()
    head = """# `mtasts check` findings

`mtasts check DOMAIN... [--json] [--dns-server HOST[:PORT]] [--ca-file PEM] [--timeout S]`
audits each domain (concurrently) as the strictest conforming sender sees it: the `_mta-sts`
record, the policy host and its certificate, the policy body, the policy against the MX records,
a STARTTLS probe of every MX host, and the `_smtp._tls` TLSRPT record. `--ca-file` replaces the
trust store for the policy host and the MX hosts alike; `--timeout` (default 10 s) bounds each
DNS query, the HTTPS fetch and each MX probe.

Exit status: 0 when no domain has an error, 1 when one has, 2 on usage errors. With `--json`:
`{"domains": [{"domain", "findings": [{"code", "severity", "subject", "message", "rfc",
"fix"}]}]}`. For a person: findings grouped by area, colour on a terminal, and one verdict line
per domain (`<domain>: PASS`, `PASS with warnings` or `FAIL`, with the counts).

Severities: **error**, a conforming sender cannot use the deployment as intended (the exit status
is 1); **warning**, it works but is fragile, about to break (a certificate expiring within 14 days)
or not enforced; **info**, worth knowing, nothing to fix.

Codes are stable: they are never renamed or reused. This file is generated from the catalogue in
`core/src/check/check_findings.cpp` by `scripts/gen-check-docs.py`.

"""
    parts = [head]
    for area, title in AREA.items():
        parts.append(f"## {title}\n\n")
        if area in AREA_NOTE:
            parts.append(AREA_NOTE[area] + "\n\n")
        parts.append("| code | severity | subject | RFC | fix |\n|---|---|---|---|---|\n")
        for r in table:
            if r["area"] != area:
                continue
            subject = SUBJECT_BY_CODE.get(r["code"], SUBJECT[area])
            fix = r["fix"].replace("|", "\\|").replace("<", "&lt;")
            parts.append(f"| `{r['code']}` | {r['severity']} | {subject} | {r['rfc']} | {fix} |\n")
        parts.append("\n")
    return "".join(parts).rstrip() + "\n"


def main() -> int:
    text = render()
    expected = int(COUNT.search(HEADER.read_text()).group(1))
    if len(rows()) != expected:
        print(f"expected {expected} catalogue rows (kCheckCodeCount), parsed {len(rows())}",
              file=sys.stderr)
        return 1
    if "--check" in sys.argv[1:]:
        return 0 if OUT.exists() and OUT.read_text() == text else 1
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
