"""Certificate renewal end to end: pebble issues certificates that live LIFETIME seconds, and
`mtasts host` renews one at two thirds of its lifetime (less up to 5% jitter), before it
expires, and swaps it in without a restart: a client that connects after the renewal is served
the new certificate, verified against pebble's root, and the sender's discovery still succeeds.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import time
from pathlib import Path

import pytest

from world import Domain, Record
from world.host import resolve, start_host, wait_for

PROVIDER = "hren-provider.test"
HOSTNAME = f"host.{PROVIDER}"
ADDRESS = "127.0.6.20"
DOMAIN = "renew.hren.test"
LIFETIME = 36  # seconds: renewal due after 22.8 to 24 s
PEBBLE_VALIDITY = LIFETIME  # the conftest's pebble issues certificates this short

WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)]),
    Domain(DOMAIN, mx=[f"mx1.{DOMAIN}"], ttl=1,
           records=[Record(f"mta-sts.{DOMAIN}", "CNAME", f"{HOSTNAME}.")]),
]


@pytest.fixture(scope="module")
def host(world, mtasts_bin, pebble, trust):
    instance = start_host(world, mtasts_bin, pebble, trust, "hren", ADDRESS, 18541, HOSTNAME,
                          metrics="127.0.0.1:18542")
    yield instance
    instance.stop()


def parse_utc(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def served_certificate(world, cafile: Path) -> dict:
    """The certificate the policy host serves for mta-sts.DOMAIN, verified against cafile."""
    def call():
        ctx = ssl.create_default_context(cafile=str(cafile))
        with socket.create_connection((ADDRESS, 443), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=f"mta-sts.{DOMAIN}") as s:
                return s.getpeercert()

    return world.call(call, timeout=20)


def test_renewed_at_two_thirds_and_swapped_in_without_restart(world, mtasts_bin, host, trust):
    status, added = host.api("POST", "/v1/domains", {"domain": DOMAIN, "mode": "enforce"})
    assert status == 201, added
    records = [r for r in added["records"] if r["owner"] == f"_mta-sts.{DOMAIN}"]
    world.dns.set_txt(f"_mta-sts.{DOMAIN}", records[0]["value"])
    first = host.wait_certificate(DOMAIN)["certificate"]
    first_before, first_after = parse_utc(first["not_before"]), parse_utc(first["not_after"])
    assert 0.9 * LIFETIME <= first_after - first_before <= LIFETIME + 2, first
    served_first = served_certificate(world, trust)
    pid = host.proc.pid

    def renewed():
        cert = host.domain(DOMAIN)["certificate"]
        return cert if cert.get("issued") and cert["not_before"] != first["not_before"] else None

    second = wait_for(renewed, first_after - time.time() + 5, step=0.5)
    assert second is not None, host.log_tail(40)
    renewed_at = parse_utc(second["issued_at"])
    lifetime = first_after - first_before
    # Due at not_before + 2/3 of the lifetime, earlier by at most 5% of it; before expiry.
    assert renewed_at >= first_before + lifetime * (2 / 3 - 0.05) - 1, (first, second)
    assert renewed_at < first_after, (first, second)
    assert second["failures"] == 0, second

    # Hot swap: the same process now serves the new certificate.
    served_second = wait_for(
        lambda: (c := served_certificate(world, trust))["serialNumber"] !=
        served_first["serialNumber"] and c or None, 5, step=0.2)
    assert served_second is not None, (served_first, host.log_tail(20))
    assert host.proc.pid == pid and host.proc.alive()
    code, found = resolve(world, mtasts_bin, DOMAIN, trust)
    assert code == 0 and found["result"] == "ok", found

    status, audit = host.api("GET", f"/v1/audit?domain={DOMAIN}")
    issued = [e for e in audit["entries"] if e["action"] == "cert.issued"]
    assert len(issued) == 2, audit
    assert 'mtasts_host_certificate_orders_total{outcome="issued"} 2' in host.metrics()
