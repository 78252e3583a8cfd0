"""Silent connections against the real `mtasts host` admin API: they need no token, so anyone who
reaches the port can open them. They must not lock the administrator out: past the connection
limit (64), a new connection closes the least recently active silent one."""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from world import Domain, Record
from world.host import start_host

PROVIDER = "hfault-provider.test"
HOSTNAME = f"host.{PROVIDER}"
ADDRESS = "127.0.6.9"
ADMIN_PORT = 18561
METRICS_PORT = 18567

WORLD_DOMAINS = [Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)])]


@pytest.fixture(scope="module")
def host(world, mtasts_bin, pebble, trust):
    instance = start_host(world, mtasts_bin, pebble, trust, "hfault", ADDRESS, ADMIN_PORT,
                          HOSTNAME, metrics=f"127.0.0.1:{METRICS_PORT}")
    yield instance
    instance.stop()


def admin_status(port: int, token: str) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", "/v1/status", headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.monotonic() - started
    finally:
        conn.close()


def metric_value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in the metrics")


# Twice at the limit (the lock-up was repeatable), then far past it.
@pytest.mark.parametrize("silent", [64, 65, 300])
def test_silent_connections_do_not_lock_the_admin_api(world, host, silent):
    held: list[socket.socket] = []

    def open_silent() -> None:
        for _ in range(silent):
            held.append(socket.create_connection(("127.0.0.1", ADMIN_PORT), timeout=5))

    try:
        world.call(open_silent, timeout=60)
        time.sleep(0.3)  # every one accepted
        try:
            status, took = world.call(admin_status, ADMIN_PORT, host.token, timeout=30)
        except (OSError, http.client.HTTPException) as e:
            raise AssertionError(f"the admin API refused an authorized request after {silent} "
                                 f"silent connections: {e!r}") from e
        assert status == 200
        assert took < 1.5, f"answered after {took:.1f} s"
        # Past the limit the evictions show: counted in /metrics, and a line in the log.
        if silent > 64:
            evicted = metric_value(host.metrics(), "mtasts_host_admin_connections_evicted_total")
            assert evicted >= silent - 64, f"{evicted} evictions counted"
            assert "event=connection-evicted" in host.log_text(), host.log_tail()
    finally:
        for s in held:
            s.close()
