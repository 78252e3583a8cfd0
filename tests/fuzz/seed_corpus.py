#!/usr/bin/env python3
"""Seeds each fuzz target's corpus with every golden input of its parser.

Usage: seed_corpus.py [--check]
Writes tests/fuzz/corpus/<target>/golden-<case> for each golden row, and
tests/fuzz/corpus/<target>/testdata-<file> for each sample file of the targets whose inputs are
whole files (TESTDATA_DIRS). With --check, writes nothing and exits 1 when one of them is missing
from the corpus (CI runs this).
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "tests" / "testdata"
GOLDEN = TESTDATA / "golden"
CORPUS = ROOT / "tests" / "fuzz" / "corpus"

# The acme_messages target reads its first byte as the parser to run (fuzz_acme_messages.cpp).
ACME_SELECTOR = {"directory": "d", "account": "a", "order": "o", "authorization": "z",
                 "challenge": "c", "problem": "p"}

# corpus name -> (golden file, function giving the raw input bytes of a row)
SOURCES = {
    "sts_record": [("sts_record.jsonl", lambda r: r["input"]),
                   ("sts_selection.jsonl", lambda r: "".join("".join(rr) for rr in r["input"][:1]))],
    "policy": [("policy.jsonl", lambda r: r["input"])],
    "tlsrpt_record": [("tlsrpt_record.jsonl", lambda r: r["input"]),
                      ("tlsrpt_selection.jsonl", lambda r: "".join("".join(rr) for rr in r["input"][:1]))],
    "netstring": [("netstring.jsonl", lambda r: "".join(r["input"]["chunks"]))],
    "admin_request": [("admin_request.jsonl", lambda r: r["input"])],
    "dns_update_response": [("dns_update.jsonl", lambda r: bytes.fromhex(r["response"]))],
    "acme_messages": [("acme_messages.jsonl", lambda r: ACME_SELECTOR[r["kind"]] + r["input"])],
    "host_port": [("host_port.jsonl", lambda r: r["input"])],
    "tlsrpt_report": [("tlsrpt_report.jsonl", lambda r: r["input"])],
    "smtp_session": [("smtp_session.jsonl", lambda r: "".join(r["input"]["chunks"]))],
}

# corpus name -> folder of tests/testdata whose files are inputs of that target as they are
TESTDATA_DIRS = {
    "report_mail": "tlsrpt_mail",
}


def wanted():
    for corpus, sources in SOURCES.items():
        for golden, extract in sources:
            path = GOLDEN / golden
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                row = json.loads(line)
                data = extract(row)
                if data is None:
                    continue
                name = "golden-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in row["case"])
                if isinstance(data, str):
                    data = data.encode("utf-8", "surrogateescape")
                yield CORPUS / corpus / name, data
    for corpus, folder in TESTDATA_DIRS.items():
        for path in sorted((TESTDATA / folder).iterdir()):
            if path.is_file():
                yield CORPUS / corpus / ("testdata-" + path.name), path.read_bytes()


def main():
    check = "--check" in sys.argv[1:]
    missing = []
    for path, data in wanted():
        if check:
            if not path.exists() or path.read_bytes() != data:
                missing.append(str(path.relative_to(ROOT)))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if missing:
        print("fuzz corpus out of date with golden files (run tests/fuzz/seed_corpus.py):")
        for m in missing:
            print("  " + m)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
