#!/usr/bin/python3
"""Cached-lookup CPU of `mtasts daemon` builds against the trivial server, in the bench world.

A quick loop for profiling the hit path (not the issue's benchmark: that is
bench/run-daemon-bench.sh). Starts the world of bench/world_bench.py (only the `cached` and
`mixed` key sets), one daemon per `--mtasts` binary (e.g. a baseline copy and the build under
work) and the trivial server, warms the daemons, then runs the load generator against each server
in turn, rotated per round, and prints req/s and server CPU per request (the median of the
rounds). `--perf-record FILE` records `perf record -g` of the last daemon during one extra run.

    bench/perf/hit_bench.py --loadgen build/perf/bench/socketmap/socketmap_loadgen \
        --trivial build/perf/bench/socketmap/socketmap_trivial_server \
        --mtasts /tmp/mtasts-base build/perf/app/mtasts --rounds 5 --connections 64
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import world_bench  # noqa: E402
from world_bench import Bench  # noqa: E402


class HitBench(Bench):
    def start_servers(self) -> None:
        from world.peer import MtastsDaemon

        internal = {"type": "internal", "options": {"cache_size": 200000}}
        for i, binary in enumerate(self.args.mtasts_bins):
            name = f"mtasts{i}"
            world_bench.PORTS[name] = 18480 + i
            self.daemons[name] = MtastsDaemon(
                self.world, self.config(name, world_bench.PORTS[name], internal), binary,
                name=f"bench-{name}").start()
        self.daemons["trivial"] = self.world.spawn("bench-trivial", [
            self.args.trivial, "--listen", f"127.0.0.1:{world_bench.PORTS['trivial']}",
            "--reply", world_bench.REPLY, "--notfound-substring", ".nopol.", "--max-seconds",
            str(int(self.args.max_seconds))])
        self.world.wait_port("127.0.0.1", world_bench.PORTS["trivial"])

    def run(self) -> None:
        a = self.args
        self.start_world()
        try:
            self.start_servers()
            daemons = [s for s in self.daemons if s != "trivial"]
            for s in daemons:
                for keys in ("cached", "mixed"):
                    r = self.loadgen(s, keys, 50, "--once", duration=120)
                    self.log(f"warm {s} {keys}: {r['replies']}")
            servers = daemons + ["trivial"]
            rows: dict = {}
            for r in range(a.rounds):
                order = servers[r % len(servers):] + servers[:r % len(servers)]
                for keys in a.workloads:
                    for conns in a.connections:
                        for s in order:
                            out = self.loadgen(s, keys, conns)
                            cpu_us = 1e6 * out["cpu_server"] / max(1, out["answered"])
                            rows.setdefault((keys, conns, s), []).append((out["rps"], cpu_us))
                            self.log(f"round {r} {keys} c={conns} {s:8} {out['rps']:>8.0f} "
                                     f"req/s cpu {cpu_us:.2f} us/req replies {out['replies']}")
            print(f"load {open('/proc/loadavg').read().split()[:3]}; medians of {a.rounds}")
            for (keys, conns, s), v in rows.items():
                triv = rows.get((keys, conns, "trivial"))
                rps = statistics.median(x[0] for x in v)
                cpu = statistics.median(x[1] for x in v)
                rel = rps / statistics.median(x[0] for x in triv) if triv else 0
                print(f"{keys:6} c={conns:<3} {s:8} {rps:>8.0f} req/s {rel:5.2f}x trivial "
                      f"cpu {cpu:5.2f} us/req  all rps {[round(x[0]) for x in v]} "
                      f"cpu {[round(x[1], 2) for x in v]}")
            if a.syscalls:
                events = ",".join(f"syscalls:sys_enter_{c}" for c in
                                  ("recvfrom", "sendto", "epoll_wait", "read", "write"))
                for s in servers:
                    ps = subprocess.Popen(["perf", "stat", "-x", ",", "-e", events, "-p",
                                           str(self.pid(s))], stderr=subprocess.PIPE, text=True)
                    time.sleep(0.3)
                    out = self.loadgen(s, "cached", a.syscalls)
                    ps.send_signal(2)
                    err = ps.communicate(timeout=60)[1]
                    counts = {l.split(",")[2].split("_")[-1]: int(l.split(",")[0])
                              for l in err.splitlines() if l and l[0].isdigit()}
                    per = {k: round(v / max(1, out["answered"]), 2) for k, v in counts.items()}
                    print(f"syscalls per request c={a.syscalls} {s}: {per} "
                          f"({out['rps']:.0f} req/s)")
            if a.strace:
                for s in (daemons[0], "trivial"):
                    tr = subprocess.Popen(["strace", "-c", "-f", "-o", f"{a.strace}.{s}", "-p",
                                           str(self.pid(s))])
                    time.sleep(0.5)
                    out = self.loadgen(s, "cached", 64, duration=2)
                    tr.terminate()
                    tr.wait(timeout=60)
                    print(f"strace {s}: {out['answered']} answered")
            if a.perf_record:
                pid = self.pid(daemons[-1])
                perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "4999", "-g",
                                         "-o", a.perf_record, "-p", str(pid)])
                time.sleep(0.5)
                self.loadgen(daemons[-1], "cached", 64)
                perf.terminate()
                perf.wait(timeout=60)
        finally:
            for d in list(self.daemons.values()):
                d.stop()
            self.world.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mtasts", dest="mtasts_bins", nargs="+", required=True)
    p.add_argument("--loadgen", required=True)
    p.add_argument("--trivial", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--connections", type=int, nargs="+", default=[64])
    p.add_argument("--workloads", nargs="+", default=["cached"])
    p.add_argument("--perf-record", help="perf.data path: profile the last daemon")
    p.add_argument("--syscalls", type=int, metavar="CONNS",
                   help="count each server's syscalls per request at CONNS connections")
    p.add_argument("--strace", help="path prefix: strace -c of the first daemon and trivial")
    p.add_argument("--max-seconds", type=float, default=1200)
    a = p.parse_args()
    # What Bench.start_world reads.
    a.fill, a.cold, a.policy_workers = 0, 0, 2
    a.servers = []
    if os.geteuid() != 0:
        print("hit_bench: needs root", file=sys.stderr)
        return 2
    HitBench(a).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
