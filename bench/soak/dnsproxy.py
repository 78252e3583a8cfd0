"""The soak's DNS server for the daemons under test: the world's forwarding filter
(tests/integration/world/dnsfilter.py) with one switch for every query, so the driver can take
DNS away and give it back while the daemons run:

    python3 bench/soak/dnsproxy.py CONFIG.json

CONFIG: {"ready": path, "listen": "127.0.0.58", "upstream": "127.0.0.1", "mode": path,
         "counts": path}. The file `mode` holds `forward` (every query goes to the world's
resolver), `servfail` (every query answered with rcode SERVFAIL) or `drop` (no query answered:
the client waits for its timeout); it is read again when it changes. `counts` is rewritten each
second with the queries seen per action, as JSON.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))

from world import dnsfilter  # noqa: E402
from world.serving import serve_until_sigterm  # noqa: E402

MODES = ("forward", "servfail", "drop")


class SwitchedFilter(dnsfilter.Filter):
    """A dnsfilter.Filter whose action for every query is the mode file's word."""

    def __init__(self, cfg: dict) -> None:
        self.upstream = cfg["upstream"]
        self.mode_path = Path(cfg["mode"])
        self.mode = "forward"
        self.mode_stamp = None
        self.counts = {m: 0 for m in MODES}
        self.lock = threading.Lock()

    def current_mode(self) -> str:
        try:
            st = os.stat(self.mode_path)
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self.mode_stamp:
                word = self.mode_path.read_text().strip()
                self.mode = word if word in MODES else "forward"
                self.mode_stamp = stamp
        except OSError:
            self.mode = "forward"
        return self.mode

    def decide(self, proto: str, peer, msg: bytes) -> str:
        with self.lock:
            mode = self.current_mode()
            self.counts[mode] += 1
        return mode


def main(argv: list[str]) -> int:
    cfg = json.loads(Path(argv[1]).read_text())
    flt = SwitchedFilter(cfg)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((cfg["listen"], 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((cfg["listen"], 53))
    tcp.listen(256)
    threading.Thread(target=dnsfilter._udp_loop, args=(udp, flt), daemon=True).start()
    threading.Thread(target=dnsfilter._tcp_loop, args=(tcp, flt), daemon=True).start()

    counts_path = Path(cfg["counts"])
    stop = threading.Event()

    def write_counts() -> None:
        while not stop.wait(1.0):
            with flt.lock:
                text = json.dumps(flt.counts)
            tmp = counts_path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(counts_path)

    threading.Thread(target=write_counts, daemon=True).start()
    serve_until_sigterm(cfg["ready"])
    stop.set()
    udp.close()
    tcp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
