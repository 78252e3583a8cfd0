"""What the world's threaded helper servers (dnsstub, policy_host, acme_responder) share: they
announce readiness through a file and serve on daemon threads until SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path


def serve_until_sigterm(ready: str) -> None:
    """Writes "ready" to the file `ready` (the world waits for it), then blocks until SIGTERM.
    The caller's threads serve meanwhile; the caller closes its sockets afterwards."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    Path(ready).write_text("ready\n")
    while not stop.wait(1.0):
        pass
