#!/usr/bin/python3
"""Times `mtasts check` over 100 domains at once in a test world (tests/integration/world).

Each domain chk-bench-N.test is a correct deployment: one _mta-sts record, its own policy host
(HTTPS, a certificate from the world's CA), an enforce policy, one MX host of its own (SMTP with
STARTTLS on the shared listener, certificate chosen by SNI) and a TLSRPT record. So every domain
costs the checker four DNS lookups, one HTTPS fetch, one address lookup and one STARTTLS probe.

As root (a private network namespace):

    bench/check/run-check-bench.py [--domains 100] [--rounds 3] [--bin build/check2/app/mtasts]

One warm-up run fills unbound's cache, then `--rounds` timed runs; prints each wall time and the
median, and fails if any domain reports an error (a benchmark of a broken run means nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from world import Domain, Policy, World, preflight  # noqa: E402


def domains(count: int) -> list[Domain]:
    out = []
    for i in range(count):
        name = f"chk-bench-{i}.test"
        out.append(Domain(name, sts="v=STSv1; id=1", policy=Policy(max_age=604800),
                          mx=[f"mx1.{name}"], tlsrpt=f"v=TLSRPTv1; rua=mailto:tlsrpt@{name}"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domains", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", default=os.environ.get("MTASTS_BIN",
                                                    str(ROOT / "build/check2/app/mtasts")))
    ap.add_argument("--timeout", default="10", help="mtasts check --timeout")
    args = ap.parse_args()
    problems = preflight()
    if problems:
        print("the test world cannot start:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    binary = str(Path(args.bin).resolve())
    decl = domains(args.domains)
    names = [d.name for d in decl]
    world = World()
    world.add_domains(*decl)
    with world:
        cmd = [binary, "check", *names, "--json", "--ca-file", str(world.ca_file),
               "--timeout", args.timeout]

        def once() -> float:
            start = time.monotonic()
            proc = world.run(cmd, timeout=300)
            elapsed = time.monotonic() - start
            doc = json.loads(proc.stdout)
            bad = [(d["domain"], f["code"]) for d in doc["domains"] for f in d["findings"]
                   if f["severity"] != "info"]
            done = sum(1 for d in doc["domains"]
                       if {"policy-fetched", "mx-tls-ok"} <= {f["code"] for f in d["findings"]})
            if proc.returncode != 0 or bad or done != len(names):
                raise SystemExit(f"run failed (exit {proc.returncode}): {bad[:10]} {proc.stderr}")
            return elapsed

        warm = once()
        times = [once() for _ in range(args.rounds)]
    print(f"mtasts check, {len(names)} domains at once, --timeout {args.timeout}")
    print(f"warm-up (cold resolver cache): {warm:.2f} s")
    print("rounds: " + ", ".join(f"{t:.2f} s" for t in times))
    print(f"median of {len(times)}: {statistics.median(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
