"""Append-only JSON-lines event logs: the servers write them, tests read them.

Every event is one line `{"seq": n, "t": unix_time, "event": ..., ...}`, written with a single
write() call and flushed, so a reader sees whole events only (a torn last line is skipped).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional


class EventWriter:
    """Thread-safe writer used inside the server processes."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._seq = 0

    def write(self, event: str, **fields: Any) -> None:
        with self._lock:
            self._seq += 1
            rec = {"seq": self._seq, "t": round(time.time(), 3), "event": event, **fields}
            line = (json.dumps(rec, default=str) + "\n").encode()
            os.write(self._fd, line)


class EventLog:
    """Reader used by the harness and tests."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def events(self, event: Optional[str] = None, since: int = 0) -> list[dict]:
        """Every complete event, oldest first; `since` is a value returned by mark()."""
        out = []
        for i, rec in enumerate(self._read()):
            if i < since:
                continue
            if event is not None and rec.get("event") != event:
                continue
            out.append(rec)
        return out

    def mark(self) -> int:
        """A position: events(since=mark) returns only what was logged after this call."""
        return sum(1 for _ in self._read())

    def wait_for(self, predicate: Callable[[list[dict]], bool], timeout: float = 10.0,
                 since: int = 0, what: str = "events") -> list[dict]:
        """Polls until predicate(events since `since`) is true; raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            evs = self.events(since=since)
            if predicate(evs):
                return evs
            if time.monotonic() >= deadline:
                tail = "\n".join(json.dumps(e) for e in evs[-20:])
                raise AssertionError(f"timed out after {timeout}s waiting for {what} in "
                                     f"{self.path}; last events:\n{tail}")
            time.sleep(0.05)

    def _read(self) -> Iterator[dict]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        for line in data.split(b"\n"):
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                continue
