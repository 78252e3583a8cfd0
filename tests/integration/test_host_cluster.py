"""Two `mtasts host` instances on one PostgreSQL (a private server in the namespace), sharing
the service's address the way instances behind a load balancer do (SO_REUSEPORT on
127.0.6.2:443 and :80, so pebble's validations and the senders land on either), each with an
address of its own as well. Both serve every domain; each certificate is ordered exactly once
(the lease "acme:<name>"), and the two register one ACME account between them, although they
start together and their first orders start at once; HTTP-01 challenges published by one
instance are answered by the other. Stopping one loses nothing: the other serves every domain,
its API works, and a domain added afterwards gets its certificate.
"""

from __future__ import annotations

import concurrent.futures
import re
from pathlib import Path

import pytest

from world import Domain, Record
from world.host import (HostInstance, PrivatePostgres, fetch_policy, host_config,
                        peer_policy, resolve, wait_for)

PROVIDER = "hclu-provider.test"
HOSTNAME = f"host.{PROVIDER}"
SHARED = "127.0.6.2"
OWN = {"a": "127.0.6.12", "b": "127.0.6.13"}
ADMIN = {"a": 18531, "b": 18532}
# More first domains than one instance orders at once (4): names are left for the other one.
DOMAINS = [f"c{i}.hclu.test" for i in range(1, 8)]
FIRST = DOMAINS[:6]
LATE = DOMAINS[6]

WORLD_DOMAINS = [Domain(PROVIDER, records=[Record(HOSTNAME, "A", SHARED)])] + [
    Domain(d, mx=[f"mx1.{d}"], ttl=1, records=[Record(f"mta-sts.{d}", "CNAME", f"{HOSTNAME}.")])
    for d in DOMAINS
]


@pytest.fixture(scope="module")
def postgres(world):
    pg = PrivatePostgres(world, port=5451, database="mtasts_host")
    pg.start()
    yield pg
    pg.stop()


def instance(world, mtasts_bin, pebble, trust, postgres, name: str) -> HostInstance:
    config = host_config(Path(world.dir) / f"hclu-{name}", SHARED, ADMIN[name], HOSTNAME,
                         pebble.directory_url, world.ca_file, ca_file=str(trust),
                         store={"type": "postgres", "dsn": postgres.dsn, "timeout": 5},
                         instance=f"host-{name}")
    config["listen"]["https"] = [f"{SHARED}:443", f"{OWN[name]}:443"]
    config["service"]["addresses"] = [SHARED]
    return HostInstance(world, mtasts_bin, f"hclu-{name}", config)


@pytest.fixture(scope="module")
def cluster(world, mtasts_bin, pebble, trust, postgres):
    a = instance(world, mtasts_bin, pebble, trust, postgres, "a")
    b = instance(world, mtasts_bin, pebble, trust, postgres, "b")
    a.start(wait=False)
    b.start(wait=False)
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()


def publish(world, host: HostInstance, domain: str) -> dict:
    document = host.domain(domain)
    world.dns.set_txt(f"_mta-sts.{domain}", f"v=STSv1; id={document['id']}")
    return document


def serves(world, address: str, domain: str, trust: Path, id_: str) -> bool:
    got = fetch_policy(world, address, f"mta-sts.{domain}", trust)
    return got.get("status") == 200 and "version: STSv1" in got["body"]


def orders_started(host: HostInstance, domain: str) -> int:
    return len(re.findall(rf"event=order-start name=mta-sts\.{re.escape(domain)} ",
                          host.log_text()))


def add(host: HostInstance, domain: str, by_cli: bool) -> None:
    if by_cli:
        r = host.cli("domain", "add", domain)
        assert r.returncode == 0, r.stdout + r.stderr
    else:
        status, body = host.api("POST", "/v1/domains", {"domain": domain, "mode": "enforce"})
        assert status == 201, body


def test_both_instances_serve_every_domain_and_each_certificate_is_ordered_once(
        world, mtasts_bin, pebble, cluster, trust):
    a, b = cluster
    # All at once, half through each instance (by the CLI on a, the API on b): both instances'
    # first orders start together.
    with concurrent.futures.ThreadPoolExecutor(len(FIRST)) as pool:
        adding = [pool.submit(add, a if i % 2 == 0 else b, domain, i % 2 == 0)
                  for i, domain in enumerate(FIRST)]
        for future in adding:
            future.result()
    documents = {d: publish(world, a, d) for d in FIRST}
    for domain in FIRST:
        a.wait_certificate(domain)
    # Both instances load the certificates from the store and serve them on their own address.
    for name, host in (("a", a), ("b", b)):
        for domain in FIRST:
            assert wait_for(lambda: serves(world, OWN[name], domain, trust, documents[domain]["id"])
                            or None, 15), f"{name} does not serve {domain}:\n{host.log_tail()}"
    for domain in FIRST:
        code, found = resolve(world, mtasts_bin, domain, trust)
        assert code == 0 and found["policy"]["id"] == documents[domain]["id"], found
    # One order per name in the whole cluster, and one certificate.
    for domain in FIRST:
        assert orders_started(a, domain) + orders_started(b, domain) == 1, domain
        # The instance that did not order it answered its HTTP-01 challenge too.
        other = b if orders_started(a, domain) else a
        assert f"event=challenge-mirrored name=mta-sts.{domain} " in other.log_text(), domain
    # One ACME account for the cluster: registered by one instance, used by both.
    assert pebble.accounts() == 1, pebble.log_tail()
    registered = a.log_text().count("event=acme-account ") + \
        b.log_text().count("event=acme-account ")
    assert registered == 1, a.log_tail() + "\n" + b.log_tail()
    status, audit = b.api("GET", "/v1/audit?limit=500")
    issued = [e["domain"] for e in audit["entries"] if e["action"] == "cert.issued"]
    assert sorted(issued) == sorted(FIRST), issued
    actors = {e["actor"] for e in audit["entries"] if e["action"] == "cert.issued"}
    assert actors <= {"system:host-a", "system:host-b"}, actors
    for host in (a, b):
        status, state = host.api("GET", "/v1/status")
        assert status == 200 and state["store"] == "postgres", state
        assert state["certificates"]["valid"] == len(FIRST), state
    # Each instance's heartbeat: both listed by either, neither stale.
    for host, own in ((a, "host-a"), (b, "host-b")):
        status, listed = host.api("GET", "/v1/instances")
        assert status == 200, listed
        seen = {i["name"]: i for i in listed["instances"]}
        assert {"host-a", "host-b"} <= set(seen), listed
        assert not seen["host-a"]["stale"] and not seen["host-b"]["stale"], listed
        assert [n for n, i in seen.items() if i["self"]] == [own], listed


def test_stopping_one_instance_loses_nothing(world, mtasts_bin, pebble, cluster, trust):
    a, b = cluster
    a.stop()
    assert not a.alive()
    assert "event=stopped" in a.log_text(), a.log_tail()  # a clean stop on SIGTERM
    status, listed = b.api("GET", "/v1/domains")
    assert status == 200 and sorted(d["domain"] for d in listed["domains"]) == sorted(FIRST)
    for domain in FIRST:
        assert serves(world, SHARED, domain, trust, ""), domain
        assert serves(world, OWN["b"], domain, trust, "")
    # The survivor takes new work: a domain added now is ordered, issued and served.
    r = b.cli("domain", "add", LATE, "--mode", "enforce")
    assert r.returncode == 0, r.stdout + r.stderr
    document = publish(world, b, LATE)
    b.wait_certificate(LATE)
    code, found = resolve(world, mtasts_bin, LATE, trust)
    assert code == 0 and found["policy"]["id"] == document["id"], found
    result, policy = peer_policy(world, LATE, trust)
    assert result == "VALID" and policy[0] == document["id"]
    assert orders_started(b, LATE) == 1
    assert pebble.accounts() == 1, pebble.log_tail()
    status, audit = b.api("GET", f"/v1/audit?domain={LATE}")
    assert [e["actor"] for e in audit["entries"] if e["action"] == "cert.issued"] == \
        ["system:host-b"]
