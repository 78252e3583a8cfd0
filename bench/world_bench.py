#!/usr/bin/python3
"""Socketmap benchmarks of `mtasts daemon` against Debian's postfix-mta-sts-resolver and a trivial
epoll server, all in one test world (tests/integration/world) on this machine. Run through
bench/run-daemon-bench.sh, which builds the tools; see bench/README.md.

The world: `*.bulk.test` (wildcard TXT "v=STSv1; id=1", wildcard A to a bulk HTTPS policy server,
wildcard MX mx.bulk.test) gives every name under bulk.test an enforce policy; `*.nopol.test` has
A and MX but no TXT (NODATA, negative TTL from the SOA). The bulk policy server (this file,
`serve-bulk`) answers every `mta-sts.<name>` with the same policy, choosing by SNI among
certificates of 250 names each, issued by the world's CA.

Phases, every loop bounded in count and time:
1. throughput and latency (bench/socketmap/loadgen, one outstanding request per connection as
   Postfix does) at 1, 8 and 64 connections, for cached policies and for a half-no-policy mix;
   servers interleaved and rotated per round, median of the rounds;
2. cold start: 1,000 never-seen domains over 100 connections, each domain asked once;
3. peak RSS of mtasts after caching N (default 100,000) policies by real fetches, with the memory
   and the SQLite cache backends.
Prints markdown tables (ratios mtasts/peer and mtasts/trivial) and writes raw results as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "bench" / "lib"))

from bench_util import (cpu_seconds, serve_args, serve_https, server_certificate,  # noqa: E402
                        sni_context, table_head)

BULK_ADDR = "127.0.9.1"  # outside the world's own allocations (127.0.0-3.x)
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.bulk.test\r\nmax_age: 604800\r\n"
REPLY = "OK secure match=mx.bulk.test servername=hostname"
GROUP = 250  # names per certificate
PORTS = {"mtasts": 18470, "peer": 18471, "trivial": 18472}
SERVERS = ("mtasts", "peer", "trivial")


# ----- the bulk policy server (runs inside the namespace) -----

def serve_bulk(listen: str, cert_dir: Path, ready: Path, max_seconds: float) -> int:
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            + str(len(POLICY)).encode() + b"\r\nConnection: close\r\n\r\n" + POLICY)
    notfound = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    def respond(req: bytes) -> bytes:
        target = req.split(b" ", 2)[1] if req.count(b" ") >= 2 else b""
        return head if target == b"/.well-known/mta-sts.txt" else notfound

    return serve_https(listen, sni_context(cert_dir), respond, max_seconds, ready)


def make_certs(ca, names: list[str], cert_dir: Path, group: int = GROUP, first: int = 0) -> int:
    """Certificates for mta-sts.<name>, `group` names each, issued by the world's root CA, numbered
    from `first`; adds to the index in cert_dir/names.json. Returns the next free number."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    cert_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    index_path = cert_dir / "names.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    g = first - 1
    for g, start in enumerate(range(0, len(names), group), start=first):
        hosts = [f"mta-sts.{n}" for n in names[start:start + group]]
        cert = server_certificate(hosts, key, ca.root.cert, ca.root.key, days=30)
        (cert_dir / f"g{g}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (cert_dir / f"g{g}.key").write_bytes(key_pem)
        for h in hosts:
            index[h] = g
    index_path.write_text(json.dumps(index))
    return g + 1


def nginx_config(world_dir: Path, cert_dir: Path, listen: str, workers: int) -> Path:
    """An nginx configuration serving POLICY at every mta-sts.<name> of cert_dir/names.json, one
    server block per certificate (so nginx picks the certificate by SNI), 404 elsewhere."""
    names = json.loads((cert_dir / "names.json").read_text())
    groups: dict[int, list[str]] = {}
    for host, g in names.items():
        groups.setdefault(g, []).append(host)
    root = world_dir / "nginx"
    for sub in ("tmp", "www/.well-known"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "www/.well-known/mta-sts.txt").write_bytes(POLICY)
    temp = " ".join(f"{k}_temp_path {root}/tmp/{k};" for k in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    first = min(groups)
    # Workers run as root: the world directory is private to root.
    out = [f"daemon off; user root; worker_processes {workers}; pid {root}/nginx.pid;",
           f"error_log {root}/error.log warn;",
           "events { worker_connections 16384; }",
           "http { access_log off; keepalive_timeout 0; server_tokens off; " + temp,
           "  server_names_hash_max_size 1048576; server_names_hash_bucket_size 128;",
           "  ssl_protocols TLSv1.2 TLSv1.3; types { } default_type text/plain;",
           f"  server {{ listen {listen} ssl reuseport default_server; server_name _;",
           f"    ssl_certificate {cert_dir}/g{first}.pem; ssl_certificate_key {cert_dir}/g{first}.key;",
           "    return 404; }"]
    for g, hosts in sorted(groups.items()):
        out.append(f"  server {{ listen {listen} ssl; server_name {' '.join(hosts)};")
        out.append(f"    ssl_certificate {cert_dir}/g{g}.pem; ssl_certificate_key {cert_dir}/g{g}.key;")
        out.append(f"    root {root}/www; location = /.well-known/mta-sts.txt {{ }}")
        out.append("    location / { return 404; } }")
    out.append("}")
    conf = root / "nginx.conf"
    conf.write_text("\n".join(out) + "\n")
    return conf


# ----- the driver -----

class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.results: dict = {"args": vars(args), "runs": [], "cold": [], "memory": {}}
        self.world = None
        self.daemons: dict = {}
        self.keys: dict[str, Path] = {}

    def log(self, msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    # world and servers

    def start_world(self):
        from world import Domain, Record, World

        a = self.args
        w = World(negative_ttl=300)
        w.add_domains(
            Domain("bulk.test", records=[
                Record("*.bulk.test", "TXT", "v=STSv1; id=1"),
                Record("*.bulk.test", "A", BULK_ADDR),
                Record("*.bulk.test", "MX", "10 mx.bulk.test."),
                Record("mx.bulk.test", "A", "127.0.0.2")]),
            Domain("nopol.test", records=[
                Record("*.nopol.test", "A", "127.0.0.2"),
                Record("*.nopol.test", "MX", "10 mx.nopol.test."),
                Record("mx.nopol.test", "A", "127.0.0.2")]))
        w.start()
        self.world = w
        kdir = w.dir / "keys"
        kdir.mkdir()
        sets = {
            "cached": [f"c{i}.bulk.test" for i in range(1000)],
            "mixed": [n for i in range(500) for n in (f"c{i}.bulk.test", f"n{i}.nopol.test")],
            "fill": [f"f{i}.bulk.test" for i in range(a.fill)],
        }
        for r in range(a.rounds):
            for s in SERVERS:
                sets[f"cold-{r}-{s}"] = [f"k{r}{s}{i}.bulk.test" for i in range(a.cold)]
        for name, keys in sets.items():
            p = kdir / f"{name}.txt"
            p.write_text("\n".join(keys) + "\n")
            self.keys[name] = p
        # A certificate of its own for every policy host of the throughput and cold-start sets
        # (as Let's Encrypt issues them); the 100,000 fill names share certificates, GROUP names
        # each, so the world starts in seconds.
        own = [k for name, keys in sets.items() if name not in ("mixed", "fill") for k in keys]
        cert_dir = w.dir / "bulk-certs"
        self.log(f"world up in {w.dir}; issuing certificates for {len(own)} + {len(sets['fill'])}"
                 " policy hosts")
        nxt = make_certs(w.ca, own, cert_dir, group=1)
        make_certs(w.ca, sets["fill"], cert_dir, group=GROUP, first=nxt)
        if a.policy_server == "nginx":
            conf = nginx_config(w.dir, cert_dir, f"{BULK_ADDR}:443", a.policy_workers)
            w.spawn("bulk-nginx", ["nginx", "-c", str(conf), "-p", str(conf.parent)])
        else:
            ready = w.dir / "bulk.ready"
            for i in range(a.policy_workers):
                w.spawn(f"bulk-policy-{i}", [sys.executable, str(Path(__file__).resolve()),
                                             "serve-bulk", "--listen", f"{BULK_ADDR}:443",
                                             "--certs", str(cert_dir), "--ready",
                                             str(ready), "--max-seconds", str(a.max_seconds)])
        w.wait_port(BULK_ADDR, 443, timeout=120)
        return w

    def config(self, name: str, port: int, cache: dict) -> dict:
        from world.peer import daemon_config

        extra = dict(kv.split("=", 1) for kv in self.args.mtasts_option)
        opts = {k: int(v) if v.isdigit() else v for k, v in extra.items()}
        return daemon_config(self.world, port, cache=cache, default_zone={"timeout": 10},
                             mtasts=opts)

    def start_servers(self) -> None:
        from world.peer import MtastsDaemon, PeerDaemon

        internal = {"type": "internal", "options": {"cache_size": max(200000, 2 * self.args.fill)}}
        if "mtasts" in self.args.servers:
            self.daemons["mtasts"] = MtastsDaemon(
                self.world, self.config("mtasts", PORTS["mtasts"], internal), self.args.mtasts,
                name="bench-mtasts").start()
        if "peer" in self.args.servers:
            self.daemons["peer"] = PeerDaemon(
                self.world, self.config("peer", PORTS["peer"], internal),
                name="bench-peer").start()
        if "trivial" in self.args.servers:
            self.daemons["trivial"] = self.world.spawn("bench-trivial", [
                self.args.trivial, "--listen", f"127.0.0.1:{PORTS['trivial']}", "--reply",
                REPLY, "--notfound-substring", ".nopol.", "--max-seconds",
                str(int(self.args.max_seconds))])
            self.world.wait_port("127.0.0.1", PORTS["trivial"])

    # load

    def pid(self, server: str) -> int:
        d = self.daemons.get(server)
        if d is None:
            return 0
        proc = getattr(d, "proc", d)  # a SocketmapDaemon, or the trivial server's Process
        return proc.pid if proc is not None else 0

    def world_pids(self) -> list[int]:
        """knot, unbound, the policy servers: every process in the namespace but the measured."""
        roots = [p.pid for p in self.world.netns.processes
                 if p.alive() and not p.name.startswith("bench-")]
        return descendants(roots)  # nginx's workers are its children

    def loadgen(self, server: str, keys: str, conns: int, *extra: str,
                duration: float | None = None, timeout: float = 30) -> dict:
        """One load generator run; adds the CPU seconds the server (`cpu_server`) and the
        world's DNS and policy servers (`cpu_world`) used meanwhile."""
        pid = self.pid(server)
        wpids = self.world_pids()
        cpu0, wcpu0 = cpu_seconds(pid), sum(cpu_seconds(p) for p in wpids)
        out = self._loadgen(server, keys, conns, *extra, duration=duration, timeout=timeout)
        out["cpu_server"] = round(cpu_seconds(pid) - cpu0, 3)
        out["cpu_world"] = round(sum(cpu_seconds(p) for p in wpids) - wcpu0, 3)
        return out

    def _loadgen(self, server: str, keys: str, conns: int, *extra: str,
                 duration: float | None = None, timeout: float = 30) -> dict:
        dur = duration if duration is not None else self.args.duration
        cmd = [self.args.loadgen, "--connect", f"127.0.0.1:{PORTS[server]}", "--keys",
               str(self.keys[keys]), "--connections", str(conns), "--duration", str(dur),
               "--timeout", str(timeout), "--json", *extra]
        res = self.world.run(cmd, timeout=dur + timeout + 60)
        line = (res.stdout.strip().splitlines() or ["{}"])[-1]
        try:
            out = json.loads(line)
        except ValueError:
            out = {}
        if res.returncode not in (0, 3) or not out:
            raise RuntimeError(f"loadgen {server} {keys} c={conns} failed ({res.returncode}): "
                               f"{res.stderr.strip()} {res.stdout.strip()}")
        if res.returncode == 3:
            self.log(f"warning: {server} {keys} c={conns}: errors {out.get('errors')} "
                     f"unanswered {out.get('unanswered')}")
        return out

    def warm(self) -> None:
        for s in [x for x in ("mtasts", "peer") if x in self.args.servers]:
            for keys, want_ok in (("cached", 1000), ("mixed", 500)):
                r = self.loadgen(s, keys, 50, "--once", duration=120)
                ok = r["replies"].get("OK", 0)
                self.log(f"warm {s} {keys}: {r['replies']} in {r['seconds']:.1f}s")
                if ok != want_ok:
                    self.log(f"warning: {s} answered OK {ok} times for {keys}, expected {want_ok}")

    def throughput(self) -> None:
        a = self.args
        for r in range(a.rounds):
            servers = [x for x in SERVERS if x in a.servers]
            order = servers[r % len(servers):] + servers[:r % len(servers)]
            for keys in ("cached", "mixed"):
                for conns in a.connections:
                    for s in order:
                        out = self.loadgen(s, keys, conns)
                        out.update(round=r, server=s, workload=keys)
                        self.results["runs"].append(out)
                        self.log(f"round {r} {keys:6} c={conns:<3} {s:8} {out['rps']:>9.0f} "
                                 f"req/s p50 {out['p50_us']:.0f}us p99 {out['p99_us']:.0f}us "
                                 f"cpu {out['cpu_server']:.2f}s")
            for s in order:
                out = self.loadgen(s, f"cold-{r}-{s}", 100, "--once",
                                   duration=a.cold_limit, timeout=60)
                out.update(round=r, server=s)
                self.results["cold"].append(out)
                self.log(f"round {r} cold {s:8} {out['seconds']:.2f}s {out['replies']} cpu "
                         f"{out['cpu_server']:.2f}s, world {out['cpu_world']:.2f}s")

    def memory(self) -> None:
        from world.peer import MtastsDaemon

        for d in list(self.daemons.values()):
            d.stop()
        self.daemons.clear()
        a = self.args
        for backend in a.backends:
            state = self.world.dir / f"mem-{backend}"
            state.mkdir(exist_ok=True)
            cache = ({"type": "internal", "options": {"cache_size": max(200000, 2 * a.fill)}}
                     if backend == "memory" else
                     {"type": "sqlite", "options": {"filename": str(state / "cache.db")}})
            d = MtastsDaemon(self.world, self.config("mem", PORTS["mtasts"], cache), a.mtasts,
                             name=f"bench-mem-{backend}").start()
            try:
                pid = d.proc.pid
                base = rss(pid)
                t0 = time.monotonic()
                out = self.loadgen("mtasts", "fill", 100, "--once", duration=a.fill_limit,
                                   timeout=60)
                took = time.monotonic() - t0
                again = self.loadgen("mtasts", "fill", 8, "--requests", "20000", duration=60)
                m = rss(pid)
                m.update(start=base, fill=out, fill_seconds=took, recheck=again)
                self.results["memory"][backend] = m
                self.log(f"memory {backend}: {out['replies']} in {took:.0f}s; peak RSS "
                         f"{m['VmHWM_kB'] / 1024:.1f} MiB, now {m['VmRSS_kB'] / 1024:.1f} MiB")
            finally:
                d.stop()

    def run(self) -> None:
        self.start_world()
        try:
            if not self.args.memory_only:
                self.start_servers()
                self.warm()
                self.throughput()
            if self.args.fill > 0 and "mtasts" in self.args.servers:
                self.memory()
        finally:
            for d in list(self.daemons.values()):
                d.stop()
            self.world.stop()


def descendants(pids: list[int]) -> list[int]:
    """`pids` and every living descendant of them."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, todo = set(pids), list(pids)
    while todo:
        p = todo.pop()
        for child, ppid in parent.items():
            if ppid == p and child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def rss(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmHWM", "VmRSS"):
            out[f"{k}_kB"] = int(v.split()[0])
    out["comm"] = Path(f"/proc/{pid}/comm").read_text().strip()
    return out


# ----- report -----

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio(a: float, b: float) -> str:
    if a != a or b != b or not b:  # NaN: that server was not measured
        return "n/a"
    return f"{a / b:.2f}x"


def markdown(res: dict) -> str:
    out = []
    runs = res["runs"]
    if runs:
        out += table_head(
            "Throughput and latency (one outstanding request per connection)",
            ["workload", "conns", "mtasts req/s", "peer req/s", "trivial req/s", "mtasts/peer",
             "mtasts/trivial", "p50 mtasts / peer / trivial (us)",
             "p99 mtasts / peer / trivial (us)", "p99 mtasts/trivial",
             "server CPU per request mtasts / peer / trivial (us)"], "lrrrrrrllrl")
        for wl in ("cached", "mixed"):
            for c in sorted({r["connections"] for r in runs}):
                m = {s: [r for r in runs if r["workload"] == wl and r["connections"] == c
                         and r["server"] == s] for s in SERVERS}
                rps = {s: med([r["rps"] for r in m[s]]) for s in SERVERS}
                p50 = {s: med([r["p50_us"] for r in m[s]]) for s in SERVERS}
                p99 = {s: med([r["p99_us"] for r in m[s]]) for s in SERVERS}
                cpu = {s: med([1e6 * r["cpu_server"] / max(r["answered"], 1) for r in m[s]])
                       for s in SERVERS}
                out.append(
                    f"| {wl} | {c} | {rps['mtasts']:.0f} | {rps['peer']:.0f} | "
                    f"{rps['trivial']:.0f} | {ratio(rps['mtasts'], rps['peer'])} | "
                    f"{ratio(rps['mtasts'], rps['trivial'])} | "
                    f"{p50['mtasts']:.0f} / {p50['peer']:.0f} / {p50['trivial']:.0f} | "
                    f"{p99['mtasts']:.0f} / {p99['peer']:.0f} / {p99['trivial']:.0f} | "
                    f"{ratio(p99['mtasts'], p99['trivial'])} | "
                    f"{cpu['mtasts']:.1f} / {cpu['peer']:.1f} / {cpu['trivial']:.1f} |")
        out.append("")
    cold = res["cold"]
    if cold:
        n = res["args"]["cold"]
        out += table_head(
            f"Cold start: {n} new domains, each asked once, over 100 connections",
            ["server", "seconds (median)", "req/s", "p50 (ms)", "p99 (ms)", "server CPU s",
             "world CPU s (DNS, policy hosts)", "replies (last round)"], "lrrrrrrl")
        secs = {}
        for s in SERVERS:
            m = [r for r in cold if r["server"] == s]
            if not m:
                secs[s] = float("nan")
                continue
            secs[s] = med([r["seconds"] for r in m])
            out.append(f"| {s} | {secs[s]:.2f} | {med([r['rps'] for r in m]):.0f} | "
                       f"{med([r['p50_us'] for r in m]) / 1000:.1f} | "
                       f"{med([r['p99_us'] for r in m]) / 1000:.1f} | "
                       f"{med([r['cpu_server'] for r in m]):.2f} | "
                       f"{med([r['cpu_world'] for r in m]):.2f} | {m[-1]['replies']} |")
        out.append(f"\nCold start speed-up, mtasts vs peer: {ratio(secs['peer'], secs['mtasts'])}"
                   " (peer seconds / mtasts seconds)\n")
    mem = res["memory"]
    if mem:
        n = res["args"]["fill"]
        out += table_head(
            f"Peak RSS of mtasts with {n} cached policies (real fetches)",
            ["backend", "RSS at start (MiB)", "peak RSS (MiB)", "RSS after (MiB)", "fill seconds",
             "fill replies", "re-check replies"], "lrrrrll")
        for b, m in mem.items():
            out.append(f"| {b} | {m['start']['VmRSS_kB'] / 1024:.1f} | "
                       f"{m['VmHWM_kB'] / 1024:.1f} | {m['VmRSS_kB'] / 1024:.1f} | "
                       f"{m['fill_seconds']:.0f} | {m['fill']['replies']} | "
                       f"{m['recheck']['replies']} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "serve-bulk":
        a = serve_args(argv[1:], ready=True)
        return serve_bulk(a.listen, a.certs, a.ready, a.max_seconds)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mtasts", help="mtasts binary (with `daemon`); needed when measured")
    p.add_argument("--loadgen", required=True)
    p.add_argument("--trivial", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=5.0, help="seconds per throughput run")
    p.add_argument("--connections", type=int, nargs="+", default=[1, 8, 64])
    p.add_argument("--cold", type=int, default=1000, help="domains in the cold start")
    p.add_argument("--cold-limit", type=float, default=300.0, help="bound of one cold start (s)")
    p.add_argument("--fill", type=int, default=100000, help="policies cached for the RSS figure")
    p.add_argument("--fill-limit", type=float, default=1500.0, help="bound of one fill (s)")
    p.add_argument("--backends", nargs="+", default=["memory", "sqlite"])
    p.add_argument("--memory-only", action="store_true")
    p.add_argument("--servers", nargs="+", default=list(SERVERS), choices=SERVERS)
    p.add_argument("--mtasts-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a key of the daemons' `mtasts:` section (repeatable), e.g. fetch_threads=0")
    p.add_argument("--policy-workers", type=int, default=2)
    p.add_argument("--policy-server", choices=("nginx", "python"), default="nginx",
                   help="the bulk policy host: nginx (default) or this file's asyncio server")
    p.add_argument("--max-seconds", type=float, default=7200, help="bound of the whole run")
    p.add_argument("--json-out", type=Path)
    p.add_argument("--markdown-out", type=Path)
    a = p.parse_args(argv[1:])
    if os.geteuid() != 0:
        print("world_bench: needs root (network namespace)", file=sys.stderr)
        return 2
    if "mtasts" in a.servers and not a.mtasts:
        print("world_bench: --mtasts BINARY is needed to measure mtasts", file=sys.stderr)
        return 2
    for tool in (a.mtasts, a.loadgen, a.trivial):
        if tool and not (shutil.which(tool) or Path(tool).is_file()):
            print(f"world_bench: {tool} not found", file=sys.stderr)
            return 2
    def on_alarm(signum, frame):
        raise KeyboardInterrupt(f"world_bench: --max-seconds {a.max_seconds} reached")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_alarm)
    signal.alarm(int(a.max_seconds))
    b = Bench(a)
    b.run()
    md = markdown(b.results)
    print(md)
    if a.json_out:
        a.json_out.write_text(json.dumps(b.results, indent=1, default=str))
    if a.markdown_out:
        a.markdown_out.write_text(md + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
