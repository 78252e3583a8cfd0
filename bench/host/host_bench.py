#!/usr/bin/python3
"""The policy server of `mtasts host` (bench/host/serve_bench) against nginx serving the same
file with the same certificate, key and TLS settings, side by side in one private network
namespace; then the memory of the policy server with 10,000 hosted domains. With --host-binary,
the real `mtasts host` service (its store seeded by bench/host/host_store_seed: domains and
certificates, no ACME) is measured in the same rounds and for memory too. Run through
bench/host/run-host-bench.sh, which builds serve_bench; see bench/README.md.

Throughput: wrk over TLS, (a) keep-alive and (b) one new connection and TLS handshake per
request (`Connection: close`), servers interleaved and their order rotated per round, median
of the rounds. The handshakes each server made are counted on its side (serve_bench's metrics,
nginx's stub_status accepts) to show that wrk really reconnected. Server CPU per request is the
servers' utime + stime over the run divided by the requests wrk completed. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "bench" / "lib"))

from bench_util import cpu_seconds, server_certificate  # noqa: E402

POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.d0.bench.test\r\nmax_age: 604800\r\n"
HOST = "mta-sts.d0.bench.test"
PATH = "/.well-known/mta-sts.txt"
PORTS = {"mtasts": 8443, "nginx": 8444, "host": 8445}
MTASTS_METRICS = 9443
HOST_METRICS = 9445
HOST_ADMIN = 9462
NGINX_STATUS = 8081
SAN_GROUP = 100  # names per multi-SAN certificate (Let's Encrypt's limit)
# The TLS 1.2 suites of net/src/hosting/certificate_set.cpp, in OpenSSL's names.
CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
           "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
           "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def vm_kib(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


# ----- certificates, cached under build/ -----

def make_certificates(cache: Path, count: int) -> Path:
    """d<i>.pem (leaf + intermediate) and d<i>.key for i < count, and multi-SAN certificates of
    SAN_GROUP names each, from the world's test CA (tests/integration/world/ca.py)."""
    stamp = cache / f"complete-{count}"
    done = [int(p.name.split("-", 1)[1]) for p in cache.glob("complete-*")] if cache.exists() else []
    if any(n >= count for n in done):
        return cache
    shutil.rmtree(cache, ignore_errors=True)  # a smaller set: start over with one CA
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from world.ca import TestCA

    cache.mkdir(parents=True, exist_ok=True)
    ca = TestCA(cache / "ca")
    issuer = ca.intermediate
    issuer_pem = issuer.cert.public_bytes(serialization.Encoding.PEM)

    def leaf(names: list[str]) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = server_certificate(names, key, issuer.cert, issuer.key, days=90)
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return cert.public_bytes(serialization.Encoding.PEM) + issuer_pem, key_pem

    began = time.monotonic()
    for i in range(count):
        chain, key = leaf([f"mta-sts.d{i}.bench.test"])
        (cache / f"d{i}.pem").write_bytes(chain)
        (cache / f"d{i}.key").write_bytes(key)
    pairs = []
    for g, start in enumerate(range(0, count, SAN_GROUP)):
        chain, key = leaf([f"mta-sts.d{i}.bench.test" for i in range(start, min(count, start + SAN_GROUP))])
        (cache / f"m{g}.pem").write_bytes(chain)
        (cache / f"m{g}.key").write_bytes(key)
        pairs.append(f"{cache / f'm{g}.pem'} {cache / f'm{g}.key'}")
    (cache / "multi-san.txt").write_text("\n".join(pairs) + "\n")
    (cache / "ca.pem").write_bytes(ca.ca_file.read_bytes())
    stamp.write_text("ok\n")
    log(f"issued {count} certificates in {time.monotonic() - began:.1f} s into {cache}")
    return cache


# ----- the servers -----

NGINX_CONF = """\
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000;
    keepalive_timeout 30s;
    client_header_timeout 10s;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers {ciphers};
    ssl_prefer_server_ciphers off;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_session_cache off;
    ssl_session_tickets off;
    server {{
        listen 127.0.0.1:{port} ssl reuseport default_server;
        server_name {host};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location = {path} {{
            alias {policy};
            types {{ }}
            default_type "text/plain; charset=utf-8";
            add_header Cache-Control no-store;
        }}
        location / {{ return 404; }}
    }}
    server {{
        listen 127.0.0.1:{status};
        location = /status {{ stub_status; }}
    }}
}}
"""


class Servers:
    def __init__(self, ns, args, work: Path, certs: Path) -> None:
        self.ns, self.args, self.work, self.certs = ns, args, work, certs
        self.procs: dict = {}

    def start_nginx(self) -> None:
        d = self.work / "nginx"
        d.mkdir(exist_ok=True)
        conf = d / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=d, ciphers=CIPHERS, port=PORTS["nginx"], host=HOST,
                                          cert=self.certs / "d0.pem", key=self.certs / "d0.key",
                                          path=PATH, policy=self.work / "policy.txt",
                                          status=NGINX_STATUS))
        self.procs["nginx"] = self.ns.spawn("nginx", [self.args.nginx, "-c", str(conf), "-p",
                                                      str(d), "-g", "daemon off;"],
                                            log_path=d / "stdout.log")
        wait_port(self.ns, PORTS["nginx"])

    def start_mtasts(self, domains: int, multi_san: bool = False, name: str = "mtasts",
                     metrics: bool = True, probe: bool = False) -> dict:
        out = self.work / f"{name}.out"
        out.unlink(missing_ok=True)
        cmd = [self.args.serve_bench, "--listen", f"127.0.0.1:{PORTS['mtasts']}", "--policy",
               str(self.work / "policy.txt"), "--domains", str(domains), "--threads",
               str(self.args.threads), "--max-seconds", str(self.args.max_seconds)]
        cmd += (["--multi-san", str(self.certs / "multi-san.txt")] if multi_san
                else ["--cert-dir", str(self.certs)])
        if metrics:
            cmd += ["--metrics", f"127.0.0.1:{MTASTS_METRICS}"]
        if probe:
            cmd += ["--ssl-ctx-probe"]
        self.procs[name] = self.ns.spawn(name, cmd, log_path=out)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            alive = self.procs[name].alive()  # before reading: a probe prints, then exits
            for line in out.read_text(errors="replace").splitlines() if out.exists() else []:
                if line.startswith("{") and '"ready"' in line:
                    return json.loads(line)
            if not alive:
                raise RuntimeError(f"serve_bench died: {out.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("serve_bench did not become ready in 300 s")

    def seeded_store(self, domains: int) -> Path:
        """A hosting store with `domains` domains and their certificates, made once per count
        and cached with the certificates (seeding commits two transactions per domain)."""
        cached = self.certs / f"host-store-{domains}.db"
        if not cached.exists():
            began = time.monotonic()
            tmp = cached.with_suffix(".tmp")
            for suffix in ("", "-wal", "-shm"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)
            res = subprocess.run([self.args.seed_tool, "--store", str(tmp), "--cert-dir",
                                  str(self.certs), "--domains", str(domains)],
                                 capture_output=True, text=True, timeout=3600)
            if res.returncode != 0:
                raise RuntimeError(f"host_store_seed failed: {res.stderr}")
            os.replace(tmp, cached)
            log(f"seeded a store with {domains} domains in {time.monotonic() - began:.1f} s")
        return cached

    def start_host(self, domains: int, name: str = "host", metrics: bool = True) -> dict:
        """The real `mtasts host` on PORTS["host"], serving `domains` seeded domains."""
        state = self.work / name
        shutil.rmtree(state, ignore_errors=True)
        state.mkdir()
        shutil.copyfile(self.seeded_store(domains), state / "host.db")
        (state / "tokens").write_text("bench " + "b" * 32 + "\n")
        (state / "tokens").chmod(0o600)
        config = {
            "service": {"hostname": "mta-sts-host.bench.test"},
            "listen": {"https": [f"127.0.0.1:{PORTS['host']}"], "http": [],
                       "threads": self.args.threads},
            "admin": {"listen": f"127.0.0.1:{HOST_ADMIN}", "token_file": str(state / "tokens")},
            "store": {"type": "sqlite", "filename": str(state / "host.db")},
            # Never reached: every seeded certificate is valid for 89 days.
            "acme": {"directory": "https://127.0.0.1:1/directory",
                     "contact": ["bench@bench.test"]},
            "monitor": {"interval": 0},
            "state_dir": str(state),
            "user": "root",
            "shutdown_timeout": 1,
        }
        if metrics:
            config["metrics"] = f"127.0.0.1:{HOST_METRICS}"
        (state / "host.yml").write_text(json.dumps(config, indent=1))
        out = self.work / f"{name}.log"
        out.unlink(missing_ok=True)
        began = time.monotonic()
        self.procs[name] = self.ns.spawn(name, [self.args.host_binary, "host", "-c",
                                                str(state / "host.yml"), "-v", "info"],
                                         log_path=out)
        deadline = began + 300
        while time.monotonic() < deadline:
            text = out.read_text(errors="replace") if out.exists() else ""
            if "event=ready" in text:
                rss = vm_kib(self.procs[name].pid)
                return {"ready": True, "domains": domains, "certificates": domains,
                        "load_seconds": time.monotonic() - began,
                        "rss_kib": rss.get("VmRSS", 0)}
            if not self.procs[name].alive():
                raise RuntimeError(f"mtasts host died: {text[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("mtasts host did not become ready in 300 s")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            proc.stop(grace=5)

    def pids(self, name: str) -> list[int]:
        pid = self.procs[name].pid
        if name == "nginx":
            return [pid] + children(pid)
        return [pid]

    def handshakes(self, name: str) -> int:
        """Handshakes made so far (nginx: connections accepted, each one handshake here)."""
        if name == "nginx":
            text = self.ns.call(http_get, NGINX_STATUS, "/status")
            return int(re.search(r"\n\s*(\d+)\s+\d+\s+\d+", text).group(1))
        port = HOST_METRICS if name == "host" else MTASTS_METRICS
        text = self.ns.call(http_get, port, "/metrics")
        return int(re.search(r"^mtasts_host_tls_handshakes_total (\d+)", text, re.M).group(1))


def http_get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
        return reply.read().decode()


def wait_port(ns, port: int, timeout: float = 30) -> None:
    def probe() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ns.call(probe):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def fetch_policy(port: int, ca_file: str) -> dict:
    """One verified fetch as a sender makes it: SNI, PKIX and host name check, GET."""
    ctx = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=HOST) as tls:
            tls.sendall(f"GET {PATH} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            version = tls.version()
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return {"status": lines[0], "headers": headers, "body": body, "version": version}


# ----- measuring -----

def run_wrk(ns, args, server: str, close: bool) -> dict:
    url = f"https://{HOST}:{PORTS[server]}{PATH}"
    cmd = [args.wrk, "-t", str(args.wrk_threads), "-c", str(args.connections), "-d",
           f"{args.duration}s", url]
    if close:
        cmd[1:1] = ["-H", "Connection: close"]
    res = ns.run(cmd, timeout=args.duration + 60)
    text = res.stdout
    out = {"server": server, "close": close, "raw": text}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    out["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = [int(x) for x in m.groups()] if m else [0, 0, 0, 0]
    return out


def measure(ns, args, servers: Servers, server: str, close: bool) -> dict:
    pids = servers.pids(server)
    cpu0 = sum(cpu_seconds(p) for p in pids)
    hs0 = servers.handshakes(server)
    out = run_wrk(ns, args, server, close)
    out["cpu"] = sum(cpu_seconds(p) for p in pids) - cpu0
    out["handshakes"] = servers.handshakes(server) - hs0
    out["load"] = os.getloadavg()[0]
    log(f"{server:6s} {'close' if close else 'keep-alive':10s} {out['rps']:10.0f} req/s, "
        f"cpu {out['cpu']:.2f} s, handshakes {out['handshakes']}, non-2xx {out['non2xx']}, "
        f"socket errors {out['socket_errors']}")
    return out


def median(runs: list[dict], server: str, close: bool, key: str) -> float:
    values = [r[key] for r in runs if r["server"] == server and r["close"] == close]
    return statistics.median(values) if values else 0.0


def per_request(runs: list[dict], server: str, close: bool, key: str) -> float:
    rows = [r for r in runs if r["server"] == server and r["close"] == close and r["requests"]]
    return statistics.median(r[key] / r["requests"] for r in rows) if rows else 0.0


def markdown(results: dict) -> str:
    runs = results["runs"]
    out = [f"Machine: {results['machine']}; load average {results['load_before']} before, "
           f"{results['load_after']} after; {results['rounds']} interleaved rounds of "
           f"{results['duration']} s per server and mode, median; wrk -t{results['wrk_threads']} "
           f"-c{results['connections']} on the same cores.", "",
           "| mode | mtasts req/s | nginx req/s | mtasts/nginx | server CPU per request, mtasts "
           "| nginx | handshakes per request, mtasts | nginx |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for close, label in ((False, "keep-alive"), (True, "new TLS connection per request")):
        m, n = median(runs, "mtasts", close, "rps"), median(runs, "nginx", close, "rps")
        cm = per_request(runs, "mtasts", close, "cpu") * 1e6
        cn = per_request(runs, "nginx", close, "cpu") * 1e6
        hm = per_request(runs, "mtasts", close, "handshakes")
        hn = per_request(runs, "nginx", close, "handshakes")
        out.append(f"| {label} | {m:,.0f} | {n:,.0f} | {m / n if n else 0:.2f} | {cm:.0f} µs "
                   f"| {cn:.0f} µs | {hm:.3f} | {hn:.3f} |")
    if any(r["server"] == "host" for r in runs):
        out += ["", "The real service (`mtasts host`, SQLite store, sync loop and managers "
                "running) in the same rounds:", "",
                "| mode | mtasts host req/s | nginx req/s | host/nginx | server CPU per request, "
                "host | handshakes per request, host |", "|---|---:|---:|---:|---:|---:|"]
        for close, label in ((False, "keep-alive"), (True, "new TLS connection per request")):
            h, n = median(runs, "host", close, "rps"), median(runs, "nginx", close, "rps")
            ch = per_request(runs, "host", close, "cpu") * 1e6
            hh = per_request(runs, "host", close, "handshakes")
            out.append(f"| {label} | {h:,.0f} | {n:,.0f} | {h / n if n else 0:.2f} | {ch:.0f} µs "
                       f"| {hh:.3f} |")
    mem = results.get("memory", {})
    if mem:
        base = mem["baseline"]["rss_kib"]
        out += ["", "| policy server | domains | names with a certificate | load time | RSS | "
                "RSS over 0 domains, per domain |", "|---|---:|---:|---:|---:|---:|"]
        for key, label in (("baseline", "no domains"), ("own", "one certificate each"),
                           ("multi_san", f"multi-SAN ({SAN_GROUP} names each)"),
                           ("ssl_ctx", "not taken: one SSL_CTX per certificate"),
                           ("host_baseline", "`mtasts host` (the service, SQLite), no domains"),
                           ("host", "`mtasts host` (the service, SQLite), one certificate each")):
            row = mem.get(key)
            if not row:
                continue
            # The service is compared with itself without domains: its own baseline holds the
            # resolver, the store, the loops and their threads.
            zero = mem["host_baseline"]["rss_kib"] if key == "host" and "host_baseline" in mem \
                else base
            per = (row["rss_kib"] - zero) / row["domains"] if row["domains"] else 0
            out.append(f"| {label} | {row['domains']:,} | {row['certificates']:,} | "
                       f"{row['load_seconds']:.1f} s | {row['rss_kib'] / 1024:.1f} MiB | "
                       f"{per:.2f} KiB |")
    return "\n".join(out) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--serve-bench", required=True)
    p.add_argument("--nginx", default="/usr/sbin/nginx")
    p.add_argument("--wrk", default="/usr/bin/wrk")
    p.add_argument("--cache", required=True, help="certificate cache directory")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="serve_bench event loops")
    p.add_argument("--bench-domains", type=int, default=1000)
    p.add_argument("--memory-domains", type=int, default=10000)
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--max-seconds", type=int, default=1800)
    p.add_argument("--host-binary", help="the mtasts binary: measure `mtasts host` too")
    p.add_argument("--seed-tool", help="bench/host/host_store_seed (with --host-binary)")
    p.add_argument("--json-out")
    p.add_argument("--markdown-out")
    args = p.parse_args()

    from world.netns import Netns

    certs = make_certificates(Path(args.cache), max(args.memory_domains, args.bench_domains))
    ns = Netns()
    ns.create()
    work = None
    results = {"machine": f"{os.cpu_count()} CPUs, {os.uname().release}",
               "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
               "rounds": args.rounds, "duration": args.duration,
               "connections": args.connections, "wrk_threads": args.wrk_threads, "runs": []}
    try:
        (ns.etc_dir / "hosts").write_text(f"127.0.0.1 localhost\n127.0.0.1 {HOST}\n")
        work = Path(tempfile.mkdtemp(prefix="mtasts-host-bench-"))
        work.chmod(0o755)  # nginx workers drop root and must read the policy file
        (work / "policy.txt").write_bytes(POLICY)
        servers = Servers(ns, args, work, certs)
        servers.start_nginx()
        ready = servers.start_mtasts(args.bench_domains)
        log(f"serve_bench ready: {ready}")
        names = ["mtasts", "nginx"]
        if args.host_binary:
            log(f"mtasts host ready: {servers.start_host(args.bench_domains)}")
            names.append("host")
        for name in names:
            got = ns.call(fetch_policy, PORTS[name], str(certs / "ca.pem"))
            results[f"check_{name}"] = {"status": got["status"], "version": got["version"],
                                        "headers": got["headers"]}
            log(f"{name}: {got['status']} {got['version']} {got['headers']}")
            if got["body"] != POLICY:
                raise RuntimeError(f"{name} served another body: {got['body']!r}")
        for r in range(args.rounds):
            for close in (False, True):
                shift = (r + int(close)) % len(names)
                order = names[shift:] + names[:shift]
                for server in order:
                    results["runs"].append(measure(ns, args, servers, server, close))
        servers.stop("mtasts")
        servers.stop("nginx")
        servers.stop("host")
        if not args.skip_memory:
            memory = {}

            def record(key: str, row: dict, measure: bool) -> None:
                if measure:  # the ssl_ctx probe measures itself, then exits
                    time.sleep(1)
                    row.update(vm_kib(servers.procs[f"memory-{key}"].pid))
                    row["rss_kib"] = row.get("VmRSS", row["rss_kib"])
                memory[key] = row
                log(f"memory {key}: {row}")
                servers.stop(f"memory-{key}")

            for key, domains, multi in (("baseline", 0, False), ("own", args.memory_domains, False),
                                        ("multi_san", args.memory_domains, True),
                                        ("ssl_ctx", args.memory_domains, False)):
                probe = key == "ssl_ctx"
                record(key, servers.start_mtasts(domains, multi_san=multi, name=f"memory-{key}",
                                                 metrics=False, probe=probe), not probe)
            if args.host_binary:
                for key, domains in (("host_baseline", 0), ("host", args.memory_domains)):
                    record(key, servers.start_host(domains, name=f"memory-{key}", metrics=False),
                           True)
            results["memory"] = memory
    finally:
        results["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        ns.destroy()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    for run in results["runs"]:
        run.pop("raw", None)
    table = markdown(results)
    print(table)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    if args.markdown_out:
        Path(args.markdown_out).write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
