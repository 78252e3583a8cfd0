#!/usr/bin/python3
"""Writes docs/lint-codes.md from the catalogue in core/src/base/lint_catalogue.cpp
(kLintCatalogue), so the table of `mtasts lint` codes cannot drift from the code. Usage:

    scripts/gen-lint-docs.py            # rewrite docs/lint-codes.md
    scripts/gen-lint-docs.py --check    # exit 1 if docs/lint-codes.md is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "core/src/base/lint_catalogue.cpp"
HEADER = ROOT / "core/include/mtasts/core/base/lint_catalogue.hpp"
OUT = ROOT / "docs/lint-codes.md"

HEAD = """# `mtasts lint` finding codes

Codes are stable: never renamed or reused. E = error (the input is unusable for a conforming
sender: `valid` is false), W = warning (accepted, but not clean or not wise). This file is
generated from the catalogue in `core/src/base/lint_catalogue.cpp` by `scripts/gen-lint-docs.py`.
"""
# What precedes each subject's table.
INTRO = {
    "sts_record": "## `_mta-sts` record (`mtasts lint record`)",
    "tlsrpt_record": "## `_smtp._tls` record (`mtasts lint tlsrpt-record`)",
    "policy": "## Policy file (`mtasts lint policy`)",
    "policy_mx": "With `--domain D` (the MX hosts of D are looked up in DNS, or given with `--mx`):",
}
SEVERITY = {"error": "E", "warning": "W"}

ROW = re.compile(r'\{L::\w+,\s*"([a-z0-9-]+)",\s*(error|warning),\s*S::(\w+),\s*'
                 r'((?:"(?:[^"\\]|\\.)*"\s*)+)\}', re.S)
COUNT = re.compile(r"kLintCodeCount = (\d+);")


def rows() -> list[dict]:
    out = []
    for m in ROW.finditer(SRC.read_text()):
        meaning = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(4))).replace('\\"', '"')
        out.append({"code": m.group(1), "severity": m.group(2), "subject": m.group(3),
                    "meaning": meaning})
    return out


def render(table: list[dict]) -> str:
    parts = [HEAD]
    for subject, intro in INTRO.items():
        parts.append(f"\n{intro}\n\n| code | | meaning |\n|---|---|---|\n")
        # Adjacent codes with the same severity and meaning share one line.
        lines: list[list] = []
        for r in (r for r in table if r["subject"] == subject):
            if lines and lines[-1][1:] == [r["severity"], r["meaning"]]:
                lines[-1][0].append(r["code"])
            else:
                lines.append([[r["code"]], r["severity"], r["meaning"]])
        for codes, severity, meaning in lines:
            names = ", ".join(f"`{c}`" for c in codes)
            parts.append(f"| {names} | {SEVERITY[severity]} | {meaning} |\n")
    return "".join(parts)


def main() -> int:
    table = rows()
    expected = int(COUNT.search(HEADER.read_text()).group(1))
    if len(table) != expected:
        print(f"expected {expected} catalogue rows (kLintCodeCount), parsed {len(table)}",
              file=sys.stderr)
        return 1
    text = render(table)
    if "--check" in sys.argv[1:]:
        if OUT.exists() and OUT.read_text() == text:
            return 0
        print("docs/lint-codes.md is stale: run scripts/gen-lint-docs.py", file=sys.stderr)
        return 1
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
