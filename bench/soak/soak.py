#!/usr/bin/python3
"""The soak: `mtasts daemon` (SQLite cache on a small tmpfs, and a second instance on Redis)
under a steady load of about half its measured capacity from 50 connections, and `mtasts host`
serving policies over HTTPS and taking admin changes, while a schedule of faults is injected
and healed one after the other (faults.py). Every reply is checked against the model
(soak_world.py); the run fails on any violation. See docs/soak.md.

    bench/soak/soak.py --mtasts build/ci/app/mtasts [--minutes 10] [--json OUT]

As root (network namespace, tmpfs). tests/integration/test_soak.py runs a one-minute version.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(HERE))

import soak_world as sw  # noqa: E402
from actors import HostLoad, SlowClients, client_hello  # noqa: E402
from faults import Window, schedule  # noqa: E402
from verdict import judge_events, metric_sum, rss_flatness, summary_text  # noqa: E402

MIX = {"enforce": 60, "testing": 10, "nopolicy": 15, "unknown": 15}
CONNECTIONS = 50
SLACK = 2.0  # client-side deadline = the zone timeout + this
SETTLE = 1.5  # after a heal: replies in flight (1 s), then the evidence is read
WARM_BURST = 11.5  # seconds of slow connections in warm-up: each is cut once (10 s)


def build_load_client(out_dir: Path) -> Path:
    """Compiles soak_load.cpp (seconds) unless an up-to-date binary is there."""
    src = HERE / "soak_load.cpp"
    exe = out_dir / "soak_load"
    if exe.exists() and exe.stat().st_mtime >= src.stat().st_mtime:
        return exe
    out_dir.mkdir(parents=True, exist_ok=True)
    cxx = shutil.which("c++") or shutil.which("g++")
    if not cxx:
        raise RuntimeError("no C++ compiler to build bench/soak/soak_load.cpp")
    subprocess.run([cxx, "-O2", "-std=c++20", f"-I{ROOT / 'bench' / 'socketmap'}", str(src),
                    "-o", str(exe)], check=True, timeout=300)
    return exe


def plan(total: float, faults: list) -> tuple[float, float, list[float]]:
    """(warm-up, tail, each fault's slot) of a run of `total` seconds.

    Warm-up: the caches fill, the unknown names make their first pass, and one burst of slow
    connections (WARM_BURST) brings every service to its connection high-water mark before
    the RSS baseline (docs/soak.md: glibc keeps what a first burst allocated). The faults share
    the rest but the tail: each slot is as long as the others unless its fault needs more
    (hold(): min_hold, plus SETTLE for the evidence); a background fault's slot is short, as
    it overlaps the next ones."""
    warmup = min(70.0, max(WARM_BURST + 1.5, 0.12 * total))
    tail = min(30.0, max(4.0, 0.05 * total))
    budget = total - warmup - tail
    need = [1.0 if f.background else f.min_hold + SETTLE for f in faults]
    lo, hi = 0.0, budget
    for _ in range(50):  # the common slot s with sum(max(s, need)) == budget
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sum(max(mid, n) for n in need) < budget else (lo, mid)
    return warmup, tail, [max(lo, n) for n in need]


def hold(fault, slot: float) -> float:
    """How long `fault` is held in a slot of `slot` seconds: 70% of it, at least min_hold."""
    return fault.min_hold if fault.background else max(fault.min_hold, 0.7 * slot)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Soak:
    def __init__(self, world, mtasts_bin: str, pebble, trust: Path, minutes: float,
                 rate: float | None = None, max_rate: float = 50000.0, redis: bool = True,
                 log=print) -> None:
        self.world = world
        self.bin = mtasts_bin
        self.pebble = pebble
        self.trust = trust
        self.minutes = minutes
        self.fixed_rate = rate
        self.max_rate = max_rate
        self.with_redis = redis
        self.say = log
        self.policy_id = 1
        self.daemons: dict[str, sw.Daemon] = {}
        self.host = None
        self.redis = None
        self.windows: list[Window] = []
        self.rss: dict[str, list] = {}
        self.violations: list[str] = []
        self.gaps: set[str] = set()
        self.base = Path(world.dir)
        self.cache_dir = self.base / "soak-sqlite-cache"
        self.tmpfs = None
        self.dns = None

    # ----- set-up -----

    def setup(self) -> None:
        self.tmpfs = sw.Tmpfs(self.cache_dir)
        self.dns = sw.DnsSwitch(self.world)
        kinds = ["sqlite"]
        if self.with_redis:
            self.redis = sw.Redis(self.world).start()
            kinds.append("redis")
        for kind in kinds:
            self.daemons[kind] = sw.Daemon(self.world, self.bin, kind, self.cache_dir).start()
        self.start_host()

    def start_host(self) -> None:
        from world.host import start_host

        self.host = start_host(self.world, self.bin, self.pebble, self.trust, "soak-host",
                               sw.HOST_ADDRESS, sw.HOST_ADMIN, sw.HOST_NAME,
                               metrics=f"127.0.0.1:{sw.HOST_METRICS}")
        for d in sw.HOSTED:
            status, body = self.host.api("POST", "/v1/domains", {"domain": d, "mode": "testing"})
            if status != 201:
                raise RuntimeError(f"host: adding {d}: {status} {body}")
            self.world.dns.set_txt(f"_mta-sts.{d}", f"v=STSv1; id={body['id']}")
        for d in sw.HOSTED:
            self.host.wait_certificate(d)

    def warm(self) -> None:
        """Each daemon caches every enforce domain before the load starts (the faults are
        judged against policies cached before them)."""
        for kind, d in self.daemons.items():
            for name in sw.ENFORCE + sw.TESTING + sw.NOPOLICY:
                want = sw.enforce_reply(name) if name in sw.ENFORCE else "NOTFOUND "
                deadline = time.monotonic() + 30
                while (got := d.daemon.query("postfix", name)) != want:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{kind}: {name} answers {got!r}, not {want!r}")
                    time.sleep(0.3)

    # ----- load -----

    def key_file(self) -> Path:
        path = self.base / "soak-keys.tsv"
        path.write_text("\n".join(sw.key_lines(MIX)) + "\n")
        return path

    def load_cmd(self, exe: Path, kind: str, rate: float, seconds: float, events: Path,
                 pool: int) -> list:
        return self.world.netns.command([
            exe, "--connect", f"127.0.0.1:{sw.PORTS[kind]}", "--keys", self.key_file(),
            "--rate", f"{rate:.0f}", "--connections", str(CONNECTIONS), "--duration",
            f"{seconds:.1f}", "--deadline", str(sw.ZONE_TIMEOUT + SLACK), "--events", events,
            "--pool", str(pool)])

    def capacity(self, exe: Path) -> float:
        """Replies per second of all the daemons together, each asked the soak's mix by 50
        connections as fast as they can for 3 s at once: the machine's capacity for this
        set-up, load clients included. Its unknown names are its own and never repeat, so
        each costs a discovery, as the load's do on their first pass."""
        keys = self.base / "soak-capacity.tsv"
        keys.write_text("\n".join(sw.key_lines(MIX, unknown="cap{n}.unknown.soak.test"))
                        + "\n")
        procs = []
        for kind in self.daemons:
            cmd = self.world.netns.command([
                exe, "--connect", f"127.0.0.1:{sw.PORTS[kind]}", "--keys", keys, "--rate",
                "10000000", "--connections", str(CONNECTIONS), "--duration", "3", "--deadline",
                "4", "--events", self.base / f"soak-capacity-{kind}.jsonl", "--pool",
                "100000000"])
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        total = 0.0
        for p in procs:
            out, _ = p.communicate(timeout=60)
            summary = json.loads(out.strip().splitlines()[-1])
            total += summary["answered"] / max(summary["seconds"], 0.1)
        return total

    # ----- the run -----

    def run(self) -> dict:
        """The whole soak; the verdict (see verdict()). Whatever fails, the services it started
        are stopped and the tmpfs unmounted."""
        try:
            return self.soak()
        except BaseException:
            self.stop_all()
            raise

    def soak(self) -> dict:
        total = self.minutes * 60.0
        faults = schedule(self.with_redis, again=self.minutes >= 5)
        warmup, tail, slots = plan(total, faults)
        self.say(f"setting up (world in {self.base})")
        self.setup()
        self.warm()
        exe = build_load_client(self.base / "soak-bin")
        cap = self.capacity(exe)
        # Half the measured capacity in all, shared by the daemons (they share the cores).
        rate = self.fixed_rate or min(cap / 2, self.max_rate)
        per = rate / len(self.daemons)
        self.say(f"capacity {cap:.0f} req/s; load {rate:.0f} req/s ({per:.0f} per daemon), "
                 f"{len(faults)} faults in slots of {min(slots):.1f} s or more, warm-up "
                 f"{warmup:.0f} s")
        # Unknown names cycle through a pool whose first pass takes 60% of the warm-up at the
        # asked rate, so it ends within the warm-up even when the load falls behind; a name
        # asked again after the daemon's least negative-cache time (60 s) is discovered again.
        pool = self.pool = max(100, int(per * MIX["unknown"] / 100 * 0.6 * warmup))
        loads = {}
        for kind in self.daemons:
            events = self.base / f"soak-{kind}-events.jsonl"
            out = open(self.base / f"soak-{kind}-load.out", "w")
            p = subprocess.Popen(self.load_cmd(exe, kind, per, total, events, pool), stdout=out,
                                 stderr=subprocess.STDOUT)
            loads[kind] = (p, events, out)
        t0 = time.monotonic()
        bursts = [SlowClients(self.world, [("127.0.0.1", sw.PORTS[k]) for k in self.daemons],
                              200, 1.0),
                  SlowClients(self.world, [(sw.HOST_ADDRESS, 443)], 50, 1.0,
                              client_hello(f"mta-sts.{sw.HOSTED[0]}"))]
        for b in bursts:
            b.start()
        host_load = HostLoad(self.world, self.host.token, self.trust, sw.HOSTED, rate=10,
                             patch_every=max(2.0, min(slots) / 2))
        host_load.start()
        stop_sampling = threading.Event()
        sampler = threading.Thread(target=self.sample_rss, args=(stop_sampling,), daemon=True)
        sampler.start()
        try:
            self.sleep_until(t0 + WARM_BURST)
            for b in bursts:
                b.stop()
            self.warm_burst = {"daemons": bursts[0].report(), "host": bursts[1].report()}
            self.sleep_until(t0 + warmup)
            fault_results = self.run_schedule(faults, slots, t0 + warmup)
            self.sleep_until(t0 + total)
            load_results = self.collect(loads)
        finally:
            host_load.stop()
            stop_sampling.set()
            sampler.join(10)
            for p, _, _ in loads.values():
                if p.poll() is None:
                    p.kill()
        host_report = host_load.report()
        exits = self.stop_all()
        return self.verdict(cap, rate, warmup, t0, load_results, fault_results, host_report,
                            exits)

    def run_schedule(self, faults, slots: list[float], start: float) -> list[dict]:
        """Applies `faults` in order from `start`, each in its slot; a background fault ends
        min_hold after it began, while the next ones come and go."""
        slot_ends = [start + sum(slots[:i + 1]) for i in range(len(faults))]
        results = []
        background: list[tuple[dict, float]] = []

        def finish_background(until: float) -> None:
            for item in sorted(background, key=lambda b: b[1]):
                if item[1] <= until:
                    self.sleep_until(item[1])
                    background.remove(item)
                    results.append(self.end(item[0]))

        for f, slot, slot_end in zip(faults, slots, slot_ends):
            if f.must_be_alone:
                finish_background(float("inf"))
            ctx = self.begin(f)
            # Held from the moment the fault is in place (a DNS update may take a while).
            until = time.monotonic() + hold(f, slot)
            if f.background:
                background.append((ctx, until))
            else:
                self.sleep_until(until)
                results.append(self.end(ctx))
            finish_background(slot_end)
            self.check_alive(f.name)
            self.sleep_until(slot_end)
        finish_background(float("inf"))
        return results

    def collect(self, loads: dict) -> dict:
        """Waits for each load client to end; its summary and its events judged."""
        out = {}
        for kind, (p, events, log) in loads.items():
            p.wait(timeout=sw.ZONE_TIMEOUT + SLACK + 30)
            log.close()
            lines = (self.base / f"soak-{kind}-load.out").read_text().splitlines()
            summary = json.loads(lines[-1]) if lines else {}
            out[kind] = {"summary": summary, "judged": judge_events(kind, events, self.windows),
                         "exit": p.returncode}
        return out

    def sleep_until(self, t: float) -> None:
        while (left := t - time.monotonic()) > 0:
            time.sleep(min(left, 1.0))

    def begin(self, fault) -> dict:
        """Injects `fault` and returns what its end needs (the window, counters, log sizes)."""
        w = Window(fault.name)
        ctx = {"fault": fault, "window": w,
               "metrics": {k: d.metrics() for k, d in self.daemons.items()},
               "logs": {k: d.log_size() for k, d in self.daemons.items()}}
        ctx["metrics"]["host"] = self.host.metrics()
        ctx["logs"]["host"] = len(self.host.log_text().encode(errors="replace"))
        w.start = time.monotonic()
        w.allows = fault.allows()
        w.holds_connections = fault.holds_connections
        self.windows.append(w)
        self.say(f"  fault {fault.name}: {fault.what}")
        fault.inject(self)
        w.allow_end = fault.allow_end()
        return ctx

    def end(self, ctx: dict) -> dict:
        """Heals the fault of `ctx`, then checks the evidence it left."""
        fault, w = ctx["fault"], ctx["window"]
        before_metrics, before_logs = ctx["metrics"], ctx["logs"]
        fault.heal(self)
        w.end = time.monotonic() + 1.0  # replies in flight at the heal still count as during
        held = w.end - 1.0 - w.start
        time.sleep(SETTLE - 0.3)  # the rest of SETTLE: reading logs and metrics
        evidence = []
        for e in fault.evidence:
            if e.service not in self.daemons and e.service != "host":
                continue
            if e.service == "host":
                text = self.host.log_text().encode(errors="replace")[before_logs["host"]:]
                after = self.host.metrics()
            else:
                d = self.daemons[e.service]
                text = d.log_text().encode(errors="replace")[before_logs[e.service]:]
                after = d.metrics()
            text = text.decode(errors="replace")
            (self.base / f"soak-metrics-{fault.name}-{e.service}.txt").write_text(after)
            before_v = metric_sum(before_metrics[e.service], e.metric) if e.metric else 0.0
            after_v = metric_sum(after, e.metric) if e.metric else 0.0
            metric_ok = bool(e.metric) and (after_v < before_v if e.reset else after_v > before_v)
            lines = [ln for ln in text.splitlines() if e.log in ln and e.reason in ln]
            log_ok = bool(lines)
            evidence.append({"service": e.service, "log": log_ok, "log_pattern": e.log,
                             "reason": e.reason, "log_lines": len(lines),
                             "log_sample": lines[0][:300] if lines else None,
                             "metric": list(e.metric), "metric_before": before_v,
                             "metric_after": after_v, "metric_ok": metric_ok, "gap": e.gap})
            if e.gap:
                self.gaps.add(f"{fault.name} ({e.service}): {e.gap}")
            if not log_ok and not e.gap.startswith("log"):
                self.violations.append(f"{fault.name}: no `{e.log}` line with `{e.reason}` in "
                                       f"the {e.service} log")
            if e.metric and not metric_ok:
                self.violations.append(f"{fault.name}: {' / '.join(e.metric)} did not "
                                       f"{'start again' if e.reset else 'move'} in the "
                                       f"{e.service} metrics")
        w.notes = fault.notes()
        return {"name": fault.name, "what": fault.what, "held_s": held, "evidence": evidence,
                "notes": w.notes}

    def check_alive(self, after: str) -> None:
        for kind, d in self.daemons.items():
            if not d.alive():
                rc = d.daemon.proc.popen.returncode if d.daemon.proc else None
                self.violations.append(f"the {kind} daemon died (exit {rc}) by the end of {after}")
                d.exits.append({"pid": d.pid, "rc": rc, "why": f"crashed during {after}"})
                d.start()
        if not self.host.alive():
            self.violations.append(f"mtasts host died by the end of {after}")

    def sample_rss(self, stop: threading.Event) -> None:
        while not stop.is_set():
            now = time.monotonic()
            for kind, d in self.daemons.items():
                pid = d.pid
                if pid and (kb := rss_kb(pid)):
                    self.rss.setdefault(f"daemon-{kind}", []).append((now, pid, kb))
            if self.host and self.host.proc and (kb := rss_kb(self.host.proc.pid)):
                self.rss.setdefault("host", []).append((now, self.host.proc.pid, kb))
            stop.wait(2.0)

    def stop_all(self) -> list[dict]:
        exits = []
        for kind, d in self.daemons.items():
            if d.daemon and d.daemon.proc:
                d.terminate("end of soak")
            exits += [{"service": f"daemon-{kind}", **e} for e in d.exits]
        if self.host and self.host.proc:
            proc = self.host.proc
            rc = proc.popen.returncode
            if proc.alive():
                os.kill(proc.pid, 15)
                try:
                    rc = proc.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    rc = None
            exits.append({"service": "host", "pid": proc.pid, "rc": rc, "why": "end of soak"})
            self.host.stop()
            self.host.proc = None
        if self.redis and self.redis.proc:
            self.redis.proc.stop()
            self.redis.proc = None
        if self.dns:
            self.dns_counts = self.dns.counts()
            self.dns.proc.stop()
            self.dns = None
        if self.tmpfs:
            self.tmpfs.unmount()
        return exits

    def verdict(self, cap, rate, warmup, t0, loads, faults, host, exits) -> dict:
        v = self.violations
        for kind, r in loads.items():
            j = r["judged"]
            for k, n in j["violations"].items():
                v.append(f"{kind} daemon: {n} x {k} outside what the model allows "
                         f"(e.g. {json.dumps(j['samples'][:2])})")
            s = r["summary"]
            if not s or s.get("answered", 0) == 0:
                v.append(f"{kind} daemon: the load client reported nothing (exit {r['exit']})")
        for e in exits:
            if e["rc"] != 0:
                v.append(f"{e['service']} pid {e['pid']} exited {e['rc']} ({e['why']})")
        busy = [(w.start, w.end) for w in self.windows if w.holds_connections]
        rss = {svc: rss_flatness(s, t0 + warmup, warmup, busy) for svc, s in self.rss.items()}
        for svc, r in rss.items():
            for p in r["processes"]:
                if p.get("flat") is False:
                    v.append(f"{svc} pid {p['pid']}: RSS moved {p['deviation']:.1%} after "
                             f"warm-up ({p['base_kb']} -> {p['min_kb']}..{p['max_kb']} kB)")
        if host["bad_count"] or host["error"] or host["get_ok"] == 0:
            v.append(f"host: {host['bad_count']} bad GETs/PATCHes, e.g. {host['bad'][:3]}, "
                     f"error {host['error']}")
        for f in faults:
            n = f["notes"]
            if f["name"].startswith("slow-clients"):
                for who, r in n.items():
                    if (r.get("max_lifetime_s") or 99) > 10 + 2 + 2:
                        v.append(f"slow-clients: a request trickled to the {who} lived "
                                 f"{r.get('max_lifetime_s')} s (cut: {r.get('cut')})")
                    if r.get("over_limit_open_at_end"):
                        v.append(f"slow-clients: {r['over_limit_open_at_end']} requests "
                                 f"trickled to the {who} outlived the 10 s limit")
            if f["name"] == "malformed-clients" and n.get("not_closed"):
                v.append(f"malformed-clients: {n['not_closed']} connections not closed")
            if f["name"] == "silent-admin" and (n.get("failures") or
                                                n.get("max_status_s", 0) > 2.0):
                v.append(f"silent-admin: status requests failed or slow: {n}")
            if f["name"] == "sigterm-restart":
                for kind, rc in n.get("exit_codes", {}).items():
                    if rc != 0:
                        v.append(f"sigterm-restart: the {kind} daemon exited {rc}")
        return {"minutes": self.minutes, "capacity_rps": round(cap), "rate_rps": round(rate),
                "unknown_pool": self.pool, "warmup_s": warmup,
                "warm_burst": getattr(self, "warm_burst", None),
                "connections": CONNECTIONS, "mix": MIX, "deadline_s": sw.ZONE_TIMEOUT + SLACK,
                "load": loads, "faults": faults, "host": host, "rss": rss, "exits": exits,
                "dns_queries": getattr(self, "dns_counts", {}),
                "gaps": sorted(self.gaps), "violations": v,
                "verdict": "FAIL" if v else "PASS"}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mtasts", default=str(ROOT / "build" / "ci" / "app" / "mtasts"))
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--rate", type=float, help="total req/s (default: half the capacity)")
    p.add_argument("--max-rate", type=float, default=50000.0,
                   help="cap of the default rate (the machine is shared)")
    p.add_argument("--no-redis", action="store_true", help="only the SQLite daemon")
    p.add_argument("--json", type=Path, help="write the full result as JSON here")
    a = p.parse_args(argv[1:])
    if os.geteuid() != 0:
        print("soak: needs root (network namespace, tmpfs)", file=sys.stderr)
        return 2
    from world import World
    from world.host import bundle
    from world.pebble import Pebble

    def on_term(signum, frame):  # unwind like Ctrl-C, so the world is torn down
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    w = World()
    w.add_domains(*sw.domains())
    result = None
    with w:
        pebble = Pebble(w).start()
        trust = bundle(Path(w.dir) / "soak-trust.pem", pebble.root_file, w.ca_file)
        soak = Soak(w, a.mtasts, pebble, trust, a.minutes, rate=a.rate, max_rate=a.max_rate,
                    redis=not a.no_redis,
                    log=lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", flush=True))
        try:
            result = soak.run()
        finally:
            if soak.tmpfs:
                soak.tmpfs.unmount()
            pebble.stop()
    print(summary_text(result))
    if a.json:
        a.json.write_text(json.dumps(result, indent=1, default=str))
    return 0 if result["verdict"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
