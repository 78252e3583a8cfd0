"""A delegated domain: the customer's _mta-sts CNAME points into the service's zone, and
`mtasts host` keeps the TXT record there current by RFC 2136 dynamic update (TSIG) on the world's
knot. A change reaches knot (dig @knot) and then the senders within one sync interval plus
slack, the record following the body (RFC 8461 §8.1); a removal is seen by the senders as mode
none under a new id while the host still serves, and after the longest max_age served (tiny
here: the removal timing comes from the max_age values actually served) the record is deleted
and the host stops serving the domain.
"""

from __future__ import annotations

import datetime
import re
import time

import pytest

from world import Domain, Record, UpdateZone
from world.dns import AUTH_ADDR
from world.host import fetch_policy, peer_policy, resolve, start_host, wait_for

PROVIDER = "hrec-provider.test"
HOSTNAME = f"host.{PROVIDER}"
ADDRESS = "127.0.6.5"
ZONE = f"dlg.{PROVIDER}"
KEY = "mtasts-host-update"
DOMAIN = "deleg.hrec.test"
OWNER = f"{DOMAIN}.{ZONE}"
SLACK = 10.0  # seconds on top of one sync interval for a change to be seen

WORLD_ZONES = [UpdateZone(ZONE, key_name=KEY)]
WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)]),
    Domain(DOMAIN, mx=[f"mx1.{DOMAIN}"], ttl=1,
           records=[Record(f"mta-sts.{DOMAIN}", "CNAME", f"{HOSTNAME}."),
                    Record(f"_mta-sts.{DOMAIN}", "CNAME", f"{OWNER}.")]),
]


@pytest.fixture(scope="module")
def host(world, mtasts_bin, pebble, trust):
    zone = world.update_zone(ZONE)
    instance = start_host(world, mtasts_bin, pebble, trust, "hrec", ADDRESS, 18521, HOSTNAME,
                          service={"delegation_zone": ZONE},
                          dns_update={"server": AUTH_ADDR, "zone": ZONE, "ttl": 1,
                                      "key": {"name": KEY, "algorithm": zone.algorithm,
                                              "secret": zone.secret}})
    yield instance
    instance.stop()


def knot_txt(world) -> list[str]:
    """The TXT records at the delegated owner, asked of knot itself."""
    r = world.dns.dig(OWNER, "TXT", server=AUTH_ADDR, extra=["+short", "+tries=1", "+time=3"])
    assert r.returncode == 0, r.stderr
    return ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', line)) for line in r.stdout.splitlines()
            if line.strip()]


def wait_knot(world, text: str, timeout: float):
    return wait_for(lambda: text in knot_txt(world) or None, timeout, step=0.2)


def parse_utc(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def wait_resolved(world, mtasts_bin, trust, id_: str, mode: str, timeout: float):
    def seen():
        code, found = resolve(world, mtasts_bin, DOMAIN, trust)
        policy = found.get("policy") or {}
        return found if code == 0 and policy.get("id") == id_ and policy.get("mode") == mode \
            else None

    return wait_for(seen, timeout, step=0.5)


def test_delegated_add_publishes_the_record_in_knot(world, mtasts_bin, host, trust):
    r = host.cli("domain", "add", DOMAIN, "--delegated", "--max-age", "5")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"_mta-sts.{DOMAIN}. 1 IN CNAME {OWNER}." in r.stdout
    assert "Kept current by the service" in r.stdout
    document = host.domain(DOMAIN)
    assert document["records_mode"] == "delegated" and document["max_age"] == 5
    assert f'{OWNER}. 1 IN TXT "v=STSv1; id={document["id"]}"' in r.stdout
    assert wait_knot(world, f"v=STSv1; id={document['id']}", 1 + SLACK), host.log_tail()
    host.wait_certificate(DOMAIN)
    assert wait_resolved(world, mtasts_bin, trust, document["id"], "testing", SLACK), \
        host.log_tail()
    result, policy = peer_policy(world, DOMAIN, trust)
    assert result == "VALID" and policy[0] == document["id"], (result, policy)
    shown = host.domain(DOMAIN)
    assert shown["published_id"] == document["id"]


def test_a_change_reaches_knot_after_the_body_then_the_senders(world, mtasts_bin, host, trust):
    before = host.domain(DOMAIN)["id"]
    r = host.cli("domain", "set", DOMAIN, "--mode", "enforce", "--max-age", "15", "--json")
    assert r.returncode == 0, r.stderr
    status, changed = host.api("GET", f"/v1/domains/{DOMAIN}")
    new_id = changed["id"]
    assert new_id != before and changed["mode"] == "enforce"
    assert wait_knot(world, f"v=STSv1; id={new_id}", 1 + SLACK), host.log_tail()
    # The body changed first: by the time knot announces the id, the host serves it.
    got = fetch_policy(world, ADDRESS, f"mta-sts.{DOMAIN}", trust)
    assert got.get("status") == 200 and "mode: enforce" in got["body"], got
    # RFC 8461 §8.1 as the audit log records it: the update came at least one sync interval
    # after the version was made.
    status, audit = host.api("GET", f"/v1/audit?domain={DOMAIN}")
    updates = [e for e in audit["entries"] if e["action"] == "record.updated"
               and e["detail"]["id"] == new_id]
    assert len(updates) == 1, audit
    created = parse_utc(changed["updated_at"])
    assert parse_utc(updates[0]["at"]) - created >= 1, (updates[0], changed["updated_at"])
    assert wait_resolved(world, mtasts_bin, trust, new_id, "enforce", 1 + SLACK)
    result, policy = peer_policy(world, DOMAIN, trust)
    assert result == "VALID" and policy[0] == new_id and policy[1]["mode"] == "enforce"
    history = [v["id"] for v in host.domain(DOMAIN)["history"]]
    assert history[:2] == [new_id, before]


def test_removal_serves_none_then_stops(world, mtasts_bin, host, trust):
    status, removed = host.api("DELETE", f"/v1/domains/{DOMAIN}")
    assert status == 202, removed
    none_id = removed["id"]
    assert removed["state"] == "removing" and removed["mode"] == "none"
    started = time.time()
    serve_until = parse_utc(removed["serve_until"])
    # The longest max_age served before (15 s) from the start of the removal.
    assert 13 <= serve_until - started <= 16, removed
    # Senders see mode none under the new id while the host still serves it.
    seen = wait_resolved(world, mtasts_bin, trust, none_id, "none", 1 + SLACK)
    assert seen is not None, host.log_tail()
    assert time.time() < serve_until, "the none version was not seen before serving ended"
    result, policy = peer_policy(world, DOMAIN, trust)
    assert result == "VALID" and policy[0] == none_id and policy[1]["mode"] == "none"
    assert f"v=STSv1; id={none_id}" in knot_txt(world)
    # Then, once serve_until has passed: no record, no policy, no domain.
    gone = wait_for(lambda: knot_txt(world) == [] or None, serve_until - time.time() + SLACK)
    assert gone, host.log_tail()
    assert time.time() >= serve_until
    got = fetch_policy(world, ADDRESS, f"mta-sts.{DOMAIN}", trust)
    assert "error" in got or got.get("status") == 404, got
    assert wait_for(lambda: host.api("GET", f"/v1/domains/{DOMAIN}")[0] == 404 or None, SLACK)
    status, audit = host.api("GET", f"/v1/audit?domain={DOMAIN}")
    actions = [e["action"] for e in audit["entries"]]
    assert actions[0] == "domain.drop" and "domain.remove" in actions, actions
    code, found = resolve(world, mtasts_bin, DOMAIN, trust)
    assert found["result"] != "ok" or found["policy"] is None, found
