#!/usr/bin/python3
"""Peak RSS of `mtasts daemon` holding N (default 100,000) DISTINCT cached policies, filled by
real DNS lookups and HTTPS fetches in a test world (tests/integration/world). See README.md.

The world: `*.bulk.test` has TXT "v=STSv1; id=1", A to a policy server and MX mx.bulk.test.
Unlike bench/world_bench.py's bulk server (one body for every host), the policy server here
answers `mta-sts.<domain>` with a body of its own, so no two cached policies are equal:

    version: STSv1
    mode: enforce
    mx: mx.bulk.test
    mx: <domain with dots as dashes>.mail.protection.example.net
    mx: *.mail.protection.example.net
    max_age: 604800

(three patterns, two longer than 15 characters, as the large providers publish). The first
pattern matches the MX, so the daemon's default `mx_match: resolve` answers OK.

For each binary and cache backend it starts a fresh daemon, fills it (socketmap lookups through
bench/socketmap/loadgen, each domain once over --connections connections, or the daemon's
`mtasts.preload` list), asks again for a sample (hits), checks the cache gauge on the metrics
listener, then reads VmHWM and VmRSS from /proc/PID/status.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "lib"))

import world_bench  # noqa: E402  (make_certs, rss)
from bench_util import serve_args, serve_https, sni_context  # noqa: E402

POLICY_ADDR = "127.0.9.2"
SOCKETMAP_PORT = 18480
METRICS_PORT = 18481


def policy_body(domain: str) -> bytes:
    return ("version: STSv1\r\nmode: enforce\r\nmx: mx.bulk.test\r\n"
            f"mx: {domain.replace('.', '-')}.mail.protection.example.net\r\n"
            "mx: *.mail.protection.example.net\r\nmax_age: 604800\r\n").encode()


def serve_distinct(listen: str, cert_dir: Path, max_seconds: float) -> int:
    """HTTPS policy server: certificate by SNI, body by Host (policy_body)."""
    notfound = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    def response(req: bytes) -> bytes:
        lines = req.split(b"\r\n")
        parts = lines[0].split(b" ")
        host = b""
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"host":
                host = v.strip().lower()
        if len(parts) < 3 or parts[1] != b"/.well-known/mta-sts.txt" or \
                not host.startswith(b"mta-sts."):
            return notfound
        body = policy_body(host[len(b"mta-sts."):].decode())
        return (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)

    return serve_https(listen, sni_context(cert_dir), response, max_seconds)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def start_world(a, domains: list[str]):
    from world import Domain, Record, World

    w = World(negative_ttl=300)
    w.add_domains(Domain("bulk.test", records=[
        Record("*.bulk.test", "TXT", "v=STSv1; id=1"),
        Record("*.bulk.test", "A", POLICY_ADDR),
        Record("*.bulk.test", "MX", "10 mx.bulk.test."),
        Record("mx.bulk.test", "A", "127.0.0.2")]))
    w.start()
    log(f"world up in {w.dir}; issuing certificates for {len(domains)} policy hosts")
    # Certificates of --names-per-cert names each: fewer names than world_bench's 250 keep
    # each one near the size real policy hosts send.
    world_bench.make_certs(w.ca, domains, w.dir / "bulk-certs", group=a.names_per_cert)
    for i in range(a.policy_workers):
        w.spawn(f"policy-{i}", [sys.executable, str(Path(__file__).resolve()), "serve",
                                "--listen", f"{POLICY_ADDR}:443", "--certs",
                                str(w.dir / "bulk-certs"), "--max-seconds",
                                str(a.max_seconds)])
    w.wait_port(POLICY_ADDR, 443, timeout=60)
    return w


def cache_entries(w) -> int:
    def get() -> int:
        url = f"http://127.0.0.1:{METRICS_PORT}/metrics"
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        for line in text.splitlines():
            if line.startswith("mtasts_cache_entries "):
                return int(float(line.split()[1]))
        return -1

    return w.call(get, timeout=20)


def loadgen(a, w, keys: Path, conns: int, *extra: str, duration: float) -> dict:
    cmd = [a.loadgen, "--connect", f"127.0.0.1:{SOCKETMAP_PORT}", "--keys", str(keys),
           "--connections", str(conns), "--duration", str(duration), "--timeout", "60",
           "--json", *extra]
    res = w.run(cmd, timeout=duration + 120)
    lines = res.stdout.strip().splitlines() or ["{}"]
    out = json.loads(lines[-1])
    if res.returncode not in (0, 3) or not out:
        raise RuntimeError(f"loadgen failed ({res.returncode}): {res.stderr} {res.stdout}")
    return out


def malloc_stats(pid: int, log_path: Path) -> str:
    """glibc's malloc_stats() of the daemon (through gdb), from the end of its log."""
    size = log_path.stat().st_size
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (void) malloc_stats()"],
                   capture_output=True, timeout=60, check=False)
    time.sleep(0.5)
    with log_path.open("rb") as f:
        f.seek(size)
        return f.read().decode(errors="replace")


def measure(a, w, label: str, binary: str, backend: str, keys: Path, n: int) -> dict:
    from world.peer import MtastsDaemon, daemon_config

    state = w.dir / f"state-{label}-{backend}"
    state.mkdir()
    cache = ({"type": "internal", "options": {"cache_size": max(200000, 2 * n)}}
             if backend == "memory" else
             {"type": "sqlite", "options": {"filename": str(state / "cache.db")}})
    section = {"metrics": f"127.0.0.1:{METRICS_PORT}"}
    if a.fill_mode == "preload":
        section["preload"] = str(keys)
    cfg = daemon_config(w, SOCKETMAP_PORT, cache=cache, default_zone={"timeout": 10},
                        mtasts=section)
    d = MtastsDaemon(w, cfg, binary, name=f"mem-{label}-{backend}").start()
    try:
        pid = d.proc.pid
        start = world_bench.rss(pid)
        t0 = time.monotonic()
        fill: dict = {}
        if a.fill_mode == "socketmap":
            fill = loadgen(a, w, keys, a.connections, "--once", duration=a.fill_limit)
        else:
            deadline = t0 + a.fill_limit
            while cache_entries(w) < n and time.monotonic() < deadline:
                time.sleep(2)
        took = time.monotonic() - t0
        entries = cache_entries(w)
        hits = loadgen(a, w, keys, 8, "--requests", "20000", duration=60)
        m = world_bench.rss(pid)
        if a.malloc_stats:
            m["malloc_stats"] = malloc_stats(pid, d.log_path)
            log(f"malloc_stats of {label} {backend}:\n{m['malloc_stats']}")
        m.update(binary=binary, label=label, backend=backend, start=start, fill=fill,
                 fill_seconds=round(took, 1), cache_entries=entries, hits=hits["replies"])
        log(f"{label} {backend}: {entries} cache entries after {took:.0f}s "
            f"{fill.get('replies', '')}; start {start['VmRSS_kB'] / 1024:.1f} MiB, "
            f"peak {m['VmHWM_kB'] / 1024:.1f} MiB, now {m['VmRSS_kB'] / 1024:.1f} MiB; "
            f"hits {hits['replies']}")
        return m
    finally:
        d.stop()


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "serve":
        a = serve_args(argv[1:], ready=False)
        return serve_distinct(a.listen, a.certs, a.max_seconds)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mtasts", action="append", required=True, metavar="[LABEL=]BINARY",
                   help="mtasts binary to measure; repeat to compare (e.g. before=/tmp/m)")
    p.add_argument("--loadgen", required=True, help="bench/socketmap loadgen binary")
    p.add_argument("--fill", type=int, default=100000, help="distinct policies to cache")
    p.add_argument("--fill-mode", choices=("socketmap", "preload"), default="socketmap")
    p.add_argument("--connections", type=int, default=100, help="socketmap fill connections")
    p.add_argument("--fill-limit", type=float, default=1800.0, help="bound of one fill (s)")
    p.add_argument("--backends", nargs="+", default=["memory", "sqlite"],
                   choices=("memory", "sqlite"))
    p.add_argument("--policy-workers", type=int, default=2)
    p.add_argument("--names-per-cert", type=int, default=50,
                   help="names per policy host certificate (real ones have a few to a hundred)")
    p.add_argument("--max-seconds", type=float, default=7200)
    p.add_argument("--malloc-stats", action="store_true",
                   help="after the fill, print glibc's malloc_stats() of the daemon (needs gdb)")
    p.add_argument("--json-out", type=Path)
    a = p.parse_args(argv[1:])
    binaries = [(m.split("=", 1) if "=" in m else (Path(m).name, m)) for m in a.mtasts]
    domains = [f"m{i}.bulk.test" for i in range(a.fill)]
    w = start_world(a, domains)
    results = []
    try:
        keys = w.dir / "fill.txt"
        keys.write_text("\n".join(domains) + "\n")
        for backend in a.backends:
            for label, binary in binaries:
                results.append(measure(a, w, label, binary, backend, keys, a.fill))
    finally:
        w.stop()
    print(f"| binary | backend | fill | cache entries | RSS at start (MiB) | peak RSS (MiB) "
          f"| RSS after (MiB) | fill s |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for m in results:
        print(f"| {m['label']} | {m['backend']} | {a.fill_mode} | {m['cache_entries']} | "
              f"{m['start']['VmRSS_kB'] / 1024:.1f} | {m['VmHWM_kB'] / 1024:.1f} | "
              f"{m['VmRSS_kB'] / 1024:.1f} | {m['fill_seconds']:.0f} |")
    if a.json_out:
        a.json_out.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
