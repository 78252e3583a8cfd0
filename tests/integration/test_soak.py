"""The soak (bench/soak, docs/soak.md) for one minute: `mtasts daemon` on SQLite and on Redis
under about half their measured capacity from 50 connections each, `mtasts host` serving
policies and taking admin changes, while every fault of the schedule comes and goes: policy
hosts down, DNS SERVFAIL and silent, the SQLite file corrupted and its disk full, Redis killed,
slow and malformed clients, SIGHUP with a log rotation, SIGTERM and a restart, silent admin
connections. The invariants are the ten-minute run's: no crash, no reply other than the model's
(none weaker than a cached enforce policy), none later than the zone timeout + 2 s, RSS flat
within 10% after warm-up, and every fault in the log with its reason code and in /metrics."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "soak"))

import soak_world  # noqa: E402
from actors import Actor  # noqa: E402
from faults import Window  # noqa: E402
from soak import MIX, Soak, build_load_client  # noqa: E402
from verdict import judge_events, summary_text  # noqa: E402

WORLD_DOMAINS = soak_world.domains()


def test_a_one_minute_soak_keeps_every_invariant(world, mtasts_bin, pebble, trust):
    missing = [t for t in ("redis-server", "c++", "mount") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"the soak needs {', '.join(missing)}: scripts/start-test-stores.sh installs "
                    "redis-server, scripts/install-deps.sh the C++ compiler", pytrace=False)
    result = Soak(world, mtasts_bin, pebble, trust, minutes=1.0, log=print).run()
    print(summary_text(result))
    assert result["violations"] == [], "\n".join(result["violations"])
    # The figures behind "no violation": the load ran, every fault was injected and left
    # evidence, and no enforce reply was weaker.
    for kind, load in result["load"].items():
        assert load["summary"]["answered"] > 10 * load["summary"]["seconds"], kind
        assert load["judged"]["weaker_than_enforce"] == 0, kind
        assert load["summary"]["classes"]["enforce"]["expected"] > 0, kind
    names = [f["name"] for f in result["faults"]]
    assert len(names) == 11 and len(set(names)) == 11, names
    assert all(e["rc"] == 0 for e in result["exits"]), result["exits"]
    # Every fault has its log line and its counter: none is left to a gap.
    assert result["gaps"] == [], result["gaps"]


class WrongServer(Actor):
    """A socketmap server that answers the model's reply except for e3.soak.test (`NOTFOUND `:
    weaker than its cached enforce policy), and drops every 50th request with its connection."""

    def __init__(self, world, port: int) -> None:
        super().__init__(world, "soak-wrong-server")
        self.port = port
        self.ready = threading.Event()

    def body(self) -> None:
        expected = {line.split("\t")[1]: line.split("\t")[2]
                    for line in soak_world.key_lines(MIX)}
        count = [0]
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.2)
        self.ready.set()

        def serve(conn: socket.socket) -> None:
            buf = b""
            with conn:
                while not self.halt.is_set():
                    try:
                        data = conn.recv(4096)
                    except OSError:
                        return
                    if not data:
                        return
                    buf += data
                    while b"," in buf:
                        head, _, rest = buf.partition(b":")
                        n = int(head)
                        key = rest[:n].decode().split(" ", 1)[1]
                        buf = rest[n + 1:]
                        count[0] += 1
                        if count[0] % 50 == 0:
                            return  # lost with its connection
                        reply = "NOTFOUND " if key == "e3.soak.test" else \
                            expected.get(key, "NOTFOUND ")
                        conn.sendall(f"{len(reply)}:{reply},".encode())

        with listener:
            while not self.halt.is_set():
                try:
                    conn, _ = listener.accept()
                except socket.timeout:
                    continue
                threading.Thread(target=serve, args=(conn,), daemon=True).start()


def test_the_checker_catches_a_weaker_reply_and_a_lost_request(world, tmp_path):
    # The soak's verdict is only as good as its client: against a server that answers one
    # enforce domain NOTFOUND and drops requests, the client reports both, and the verdict
    # allows the lost ones only inside a window that allows them.
    server = WrongServer(world, 18830)
    server.start()
    assert server.ready.wait(10)
    try:
        exe = build_load_client(Path(world.dir) / "soak-bin")
        keys = tmp_path / "keys.tsv"
        keys.write_text("\n".join(soak_world.key_lines(MIX)) + "\n")
        events = Path(world.dir) / "soak-checker-events.jsonl"
        out = world.run([exe, "--connect", "127.0.0.1:18830", "--keys", keys, "--rate", "300",
                         "--connections", "5", "--duration", "2", "--deadline", "2",
                         "--events", events], timeout=30)
        summary = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
    assert summary["classes"]["enforce"]["other"] > 0, summary
    assert summary["lost"] > 0, summary
    judged = judge_events("test", events, [])
    assert judged["weaker_than_enforce"] == summary["classes"]["enforce"]["other"]
    assert set(judged["violations"]) == {"reply", "lost"}, judged["violations"]
    everything = Window("restart", start=0.0, end=float("inf"), allows={"test": {"lost"}})
    judged = judge_events("test", events, [everything])
    assert set(judged["violations"]) == {"reply"}, judged["violations"]
    assert judged["allowed"]["lost"] == summary["lost"]
