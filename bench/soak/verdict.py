"""The soak's verdict: the load clients' events judged against the model and the fault windows,
RSS flatness, exit codes, and the evidence each fault left in logs and metrics. Each check gives
figures and a list of violations; any violation fails the run."""

from __future__ import annotations

import json
import re
from pathlib import Path

RSS_TOLERANCE = 0.10
# After a fault whose clients held connections, the services may keep them until their own
# deadline (10 s for a started request), and the host's allocator gave its memory back about
# 20 s after the clients ended (the ten-minute dry runs).
RELEASE = 25.0


def metric_sum(text: str, prefixes: tuple[str, ...]) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for p in prefixes:
            # `name{labels} value` or `name value`; a prefix ending in `}` is an exact series.
            if line.startswith(p) and (p.endswith("}") or line[len(p)] in " {"):
                try:
                    total += float(line.rsplit(" ", 1)[1])
                except (ValueError, IndexError):
                    pass
    return total


def judge_events(service: str, events_path: Path, windows: list) -> dict:
    """Every event of one load client: allowed when a window that covers its time allows its
    kind for this service; otherwise a violation, sorted by kind."""
    counts: dict[str, int] = {}
    allowed: dict[str, int] = {}
    samples: list[dict] = []
    weaker = 0
    for line in events_path.read_text(errors="replace").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        kind = e["kind"]
        t = e["t"]
        if any(w.start <= t <= w.allow_end.get(service, w.end)
               and kind in w.allows.get(service, ()) for w in windows):
            allowed[kind] = allowed.get(kind, 0) + 1
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "reply" and e.get("class") == "enforce":
            weaker += 1
        if len(samples) < 15:
            e["during"] = [w.name for w in windows if w.start <= t <= w.end] or ["none"]
            samples.append(e)
    return {"violations": counts, "allowed": allowed, "weaker_than_enforce": weaker,
            "samples": samples}


def rss_flatness(samples: list[tuple[float, int, int]], warm_until: float,
                 segment_warmup: float, busy: list[tuple[float, float]]) -> dict:
    """samples: (t, pid, rss_kb); busy: (start, end) of the faults whose clients hold
    connections. Per process (a restart starts a new one): the samples after warm-up (the
    run's, and `segment_warmup` s of the process's own life) taken while no such fault ran
    (nor within RELEASE s after one ended) are judged; the first of them is the baseline, and the process is flat when none is more
    than 10% above or below it. What a fault holds while it lasts (its connections' buffers) is
    reported as the peak, not judged: it is the service's working memory, and the judged
    samples after it show whether it was given back or kept."""
    by_pid: dict[int, list[tuple[float, int]]] = {}
    for t, pid, kb in samples:
        by_pid.setdefault(pid, []).append((t, kb))
    out = []
    for pid, pts in by_pid.items():
        born = pts[0][0]
        after = [(t, kb) for t, kb in pts if t >= warm_until and t >= born + segment_warmup]
        kept = [(t, kb) for t, kb in after
                if not any(b0 <= t <= b1 + RELEASE for b0, b1 in busy)]
        peak = max((kb for _, kb in after), default=None)
        if len(kept) < 2:
            out.append({"pid": pid, "samples": len(pts), "judged": len(kept), "peak_kb": peak})
            continue
        base = kept[0][1]
        lo = min(kb for _, kb in kept)
        hi = max(kb for _, kb in kept)
        dev = max(hi / base - 1, 1 - lo / base)
        out.append({"pid": pid, "samples": len(pts), "judged": len(kept), "base_kb": base,
                    "min_kb": lo, "max_kb": hi, "last_kb": kept[-1][1], "peak_kb": peak,
                    "deviation": round(dev, 4), "flat": dev <= RSS_TOLERANCE})
    return {"processes": out,
            "samples": [[round(t - warm_until, 1), pid, kb] for t, pid, kb in samples]}


def table(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *[line(r) for r in rows]])


def summary_text(res: dict) -> str:
    out = [f"soak: {res['minutes']} min, {res['verdict']}; capacity {res['capacity_rps']} req/s "
           f"(all daemons, the soak's mix), load {res['rate_rps']} req/s from "
           f"{res['connections']} connections per daemon; client deadline {res['deadline_s']} s",
           ""]
    rows = []
    for svc, load in res["load"].items():
        s = load["summary"]
        j = load["judged"]
        achieved = s.get("answered", 0) / max(s.get("seconds", 0), 1e-9)
        rows.append([svc, f"{s.get('rate', 0):.0f} / {achieved:.0f}", s.get("sent", 0),
                     s.get("answered", 0),
                     j["weaker_than_enforce"], sum(j["violations"].values()),
                     json.dumps(j["allowed"]) if j["allowed"] else "-", s.get("shed", 0),
                     max((c["max_ms"] for c in s.get("classes", {}).values()), default=0)])
    out.append(table(rows, ["daemon", "req/s asked / answered", "sent", "answered",
                            "weaker than enforce",
                            "violations", "allowed (restart)", "shed", "max latency ms"]))
    out.append("")
    rows = []
    for svc, load in res["load"].items():
        for cls, c in sorted(load["summary"].get("classes", {}).items()):
            rows.append([svc, cls, c["sent"], c["expected"], c["other"], c["late"], c["lost"],
                         c["max_ms"]])
    out.append(table(rows, ["daemon", "class", "sent", "expected reply", "other reply",
                            "late", "lost", "max ms"]))
    out.append("")
    rows = []
    for f in res["faults"]:
        ev = "; ".join(
            f"{e['service']}: log {e['log_lines'] if e['log'] else 'NO'}, metric "
            + (f"{e['metric_before']:.0f}->{e['metric_after']:.0f}" if e["metric"] else "-")
            for e in f["evidence"])
        rows.append([f["name"], f"{f['held_s']:.1f}", ev or "-"])
    out.append(table(rows, ["fault", "held s", "evidence (log lines, counter before->after)"]))
    out.append("")
    rows = []
    for svc, r in res["rss"].items():
        for p in r["processes"]:
            rows.append([svc, p["pid"], f"{p['judged']} of {p['samples']}",
                         p.get("base_kb", "-"), p.get("min_kb", "-"), p.get("max_kb", "-"),
                         p.get("deviation", "-"), p.get("peak_kb", "-")])
    out.append(table(rows, ["service", "pid", "samples judged", "base kB", "min kB", "max kB",
                            "deviation", "peak during faults kB"]))
    out.append("")
    rows = [[e["service"], e["pid"], e["why"], e["rc"]] for e in res["exits"]]
    out.append(table(rows, ["service", "pid", "stopped by", "exit code"]))
    out.append("")
    if res.get("gaps"):
        out.append("Observability gaps (reported, not violations):")
        out += [f"- {g}" for g in res["gaps"]]
        out.append("")
    if res["violations"]:
        out.append("VIOLATIONS:")
        out += [f"- {v}" for v in res["violations"]]
    else:
        out.append("no violations")
    return "\n".join(out)
