"""`mtasts host` with pebble as its ACME CA: domains added through the CLI and the admin API get
certificates over HTTP-01 (one instance) and over TLS-ALPN-01 (another, without port 80), and
real senders fetch every policy over TLS verified against pebble's root: `mtasts resolve` and
Debian's postfix-mta-sts-resolver (`mta-sts-query`). A domain whose mta-sts host does not point
at the service gets no certificate, and a TLS alert rather than a self-signed certificate.
Domains added at once on a fresh instance register one ACME account at pebble, not one each.
"""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest

from world import Domain, Record
from world.host import (HostInstance, fetch_policy, host_config, peer_policy, resolve,
                        wait_for)

PROVIDER = "hacme-provider.test"
HOSTNAME = f"host.{PROVIDER}"
HOST_ADDRESS = "127.0.6.1"
ALPN_HOSTNAME = f"alpn.{PROVIDER}"
ALPN_ADDRESS = "127.0.6.4"
ELSEWHERE_ADDRESS = "127.0.6.99"
BURST_HOSTNAME = f"burst.{PROVIDER}"
BURST_ADDRESS = "127.0.6.6"

HTTP01_DOMAINS = ["one.hacme.test", "two.hacme.test", "three.hacme.test"]
ALPN_DOMAINS = ["alpn1.hacme.test", "alpn2.hacme.test"]
ELSEWHERE = "elsewhere.hacme.test"
BURST_DOMAINS = [f"burst{i}.hacme.test" for i in range(1, 5)]


def customer(name: str, target: str, by_address: bool = False) -> Domain:
    """A customer domain with two MX hosts whose mta-sts host points at `target` (a CNAME to
    the service's host name, or an A record of its address)."""
    pointer = (Record(f"mta-sts.{name}", "A", target) if by_address
               else Record(f"mta-sts.{name}", "CNAME", f"{target}."))
    return Domain(name, mx=[f"mx1.{name}", f"mx2.{name}"], records=[pointer], ttl=1)


WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", HOST_ADDRESS),
                              Record(ALPN_HOSTNAME, "A", ALPN_ADDRESS),
                              Record(BURST_HOSTNAME, "A", BURST_ADDRESS)]),
    customer("one.hacme.test", HOSTNAME),
    customer("two.hacme.test", HOSTNAME),
    customer("three.hacme.test", HOST_ADDRESS, by_address=True),
    customer("alpn1.hacme.test", ALPN_HOSTNAME),
    customer("alpn2.hacme.test", ALPN_HOSTNAME),
    customer(ELSEWHERE, ELSEWHERE_ADDRESS, by_address=True),
] + [customer(name, BURST_HOSTNAME) for name in BURST_DOMAINS]


# A webhook receiver: every POST body appended as one line to the file given.
WEBHOOK = r"""
import http.server, sys
out = sys.argv[1]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", 18599), Hook).serve_forever()
"""


@pytest.fixture(scope="module")
def webhook(world):
    received = Path(world.dir) / "hacme-webhook.jsonl"
    proc = world.spawn("hacme-webhook", ["/usr/bin/python3", "-c", WEBHOOK, str(received)])
    world.wait_port("127.0.0.1", 18599)
    yield received
    proc.stop()


@pytest.fixture(scope="module")
def http01_host(world, mtasts_bin, pebble, trust, webhook):
    state = Path(world.dir) / "hacme-http01"
    alerts = state / "alerts"
    alerts.mkdir(parents=True, exist_ok=True)
    script = state / "alert.sh"
    script.write_text(f"#!/bin/sh\ncat > {alerts}/alert-$$.json\n")
    script.chmod(0o755)
    config = host_config(state, HOST_ADDRESS, 18501, HOSTNAME, pebble.directory_url,
                         world.ca_file, ca_file=str(trust), metrics="127.0.0.1:18511",
                         monitor={"interval": 3, "alert": {
                             "command": [str(script)], "webhook": "http://127.0.0.1:18599/hook"}})
    config["service"]["addresses"] = [HOST_ADDRESS]
    host = HostInstance(world, mtasts_bin, "hacme-http01", config).start()
    yield host
    host.stop()


@pytest.fixture(scope="module")
def alpn_host(world, mtasts_bin, pebble, trust):
    config = host_config(Path(world.dir) / "hacme-alpn", ALPN_ADDRESS, 18502, ALPN_HOSTNAME,
                         pebble.directory_url, world.ca_file, ca_file=str(trust))
    config["acme"]["challenge"] = "tls-alpn-01"
    config["listen"]["http"] = []  # nothing on port 80: only TLS-ALPN-01 can validate
    host = HostInstance(world, mtasts_bin, "hacme-alpn", config).start()
    yield host
    host.stop()


def publish_txt(world, domain: str, document: dict) -> None:
    """Publishes what the API told the customer to publish for _mta-sts.<domain>."""
    records = [r for r in document["records"] if r["owner"] == f"_mta-sts.{domain}"]
    assert len(records) == 1 and records[0]["type"] == "TXT", document["records"]
    world.dns.set_txt(f"_mta-sts.{domain}", records[0]["value"])


def check_senders(world, mtasts_bin, trust: Path, domain: str, document: dict) -> None:
    """Both senders find the policy the service serves, over verified TLS."""
    code, found = resolve(world, mtasts_bin, domain, trust)
    assert code == 0 and found["result"] == "ok", json.dumps(found, indent=1)
    assert found["policy"]["id"] == document["id"]
    assert found["policy"]["mode"] == document["mode"]
    assert found["policy"]["mx"] == document["mx"]
    result, policy = peer_policy(world, domain, trust)
    assert result == "VALID" and policy is not None, (result, policy)
    assert policy[0] == document["id"]
    assert policy[1]["mode"] == document["mode"] and policy[1]["mx"] == document["mx"]


def test_cli_add_proposes_live_mx_and_prints_the_records(world, http01_host):
    r = http01_host.cli("domain", "add", "one.hacme.test")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "mode testing" in r.stdout and "max_age 604800" in r.stdout
    assert "mx: mx1.one.hacme.test, mx2.one.hacme.test" in r.stdout
    assert f"mta-sts.one.hacme.test. 1 IN CNAME {HOSTNAME}." in r.stdout
    document = http01_host.domain("one.hacme.test")
    assert f'_mta-sts.one.hacme.test. 1 IN TXT "v=STSv1; id={document["id"]}"' in r.stdout
    again = http01_host.cli("domain", "add", "one.hacme.test")
    assert again.returncode == 1 and "HTTP 409" in again.stderr, again.stderr


def test_http01_certificates_and_senders_fetch_every_policy(world, mtasts_bin, http01_host,
                                                            trust):
    added = {"one.hacme.test": http01_host.domain("one.hacme.test")}
    status, body = http01_host.api("POST", "/v1/domains",
                                   {"domain": "two.hacme.test", "mode": "enforce"})
    assert status == 201, body
    added["two.hacme.test"] = body
    r = http01_host.cli("domain", "add", "three.hacme.test", "--mx", "mx1.three.hacme.test",
                        "--mx", "*.three.hacme.test", "--max-age", "86400", "--json")
    assert r.returncode == 0, r.stderr
    added["three.hacme.test"] = json.loads(r.stdout)
    assert added["three.hacme.test"]["mx"] == ["mx1.three.hacme.test", "*.three.hacme.test"]
    for domain, document in added.items():
        publish_txt(world, domain, document)
    for domain in HTTP01_DOMAINS:
        shown = http01_host.wait_certificate(domain)
        assert shown["certificate"]["failures"] == 0
    for domain, document in added.items():
        check_senders(world, mtasts_bin, trust, domain, document)
    # The body as served: canonical, text/plain, no caching.
    got = fetch_policy(world, HOST_ADDRESS, "mta-sts.two.hacme.test", trust)
    assert got.get("status") == 200, got
    assert got["headers"]["content-type"] == "text/plain; charset=utf-8"
    assert got["body"] == ("version: STSv1\r\nmode: enforce\r\nmx: mx1.two.hacme.test\r\n"
                           "mx: mx2.two.hacme.test\r\nmax_age: 604800\r\n")
    # Issued once each, by HTTP-01, and recorded.
    status, audit = http01_host.api("GET", "/v1/audit?limit=200")
    issued = [e["domain"] for e in audit["entries"] if e["action"] == "cert.issued"]
    assert sorted(issued) == sorted(HTTP01_DOMAINS)
    metrics = http01_host.metrics()
    assert 'mtasts_host_certificate_orders_total{outcome="issued"} 3' in metrics
    assert 'mtasts_host_certificates{expiry="ge30d"} 3' in metrics


def test_tls_alpn01_certificates_without_port_80(world, mtasts_bin, alpn_host, trust):
    for domain in ALPN_DOMAINS:
        status, body = alpn_host.api("POST", "/v1/domains", {"domain": domain})
        assert status == 201, body
        publish_txt(world, domain, body)
    for domain in ALPN_DOMAINS:
        alpn_host.wait_certificate(domain)
    for domain in ALPN_DOMAINS:
        check_senders(world, mtasts_bin, trust, domain, alpn_host.domain(domain))
    assert "challenge-published" in alpn_host.log_text()
    assert "type=tls-alpn-01" in alpn_host.log_text()


def test_no_certificate_means_a_tls_alert_never_a_self_signed_one(world, http01_host, trust):
    status, body = http01_host.api("POST", "/v1/domains", {"domain": ELSEWHERE,
                                                           "mx": ["mx1.elsewhere.hacme.test"]})
    assert status == 201, body
    # The gate refuses: mta-sts.<d> points elsewhere, so no order is ever made.
    assert wait_for(lambda: "name=mta-sts.elsewhere.hacme.test result=not-pointing-here"
                    in http01_host.log_text(), 20)
    assert http01_host.domain(ELSEWHERE)["certificate"] is None
    r = world.run(["openssl", "s_client", "-connect", f"{HOST_ADDRESS}:443", "-servername",
                   f"mta-sts.{ELSEWHERE}", "-verify_return_error"], input="", timeout=20)
    assert "unrecognized name" in r.stderr, r.stdout + r.stderr
    assert "BEGIN CERTIFICATE" not in r.stdout
    got = fetch_policy(world, HOST_ADDRESS, f"mta-sts.{ELSEWHERE}", trust)
    assert "error" in got and "UNRECOGNIZED_NAME" in got["error"].upper(), got
    # Served domains keep their certificates meanwhile.
    assert fetch_policy(world, HOST_ADDRESS, "mta-sts.one.hacme.test", trust)["status"] == 200


def test_domains_added_at_once_on_a_fresh_instance_register_one_account(world, mtasts_bin,
                                                                         pebble, trust):
    before = pebble.accounts()
    config = host_config(Path(world.dir) / "hacme-burst", BURST_ADDRESS, 18503, BURST_HOSTNAME,
                         pebble.directory_url, world.ca_file, ca_file=str(trust))
    host = HostInstance(world, mtasts_bin, "hacme-burst", config).start()
    try:
        # Every domain is in the store before the certificate manager's next look, so their
        # first orders start together and all need the account that does not exist yet.
        with concurrent.futures.ThreadPoolExecutor(len(BURST_DOMAINS)) as pool:
            added = list(pool.map(lambda d: host.api("POST", "/v1/domains", {"domain": d}),
                                  BURST_DOMAINS))
        assert [status for status, _ in added] == [201] * len(BURST_DOMAINS), added
        for domain in BURST_DOMAINS:
            host.wait_certificate(domain)
        assert pebble.accounts() - before == 1, pebble.log_tail()
        assert host.log_text().count("event=acme-account ") == 1, host.log_tail()
    finally:
        host.stop()


def test_monitor_passes_then_alerts_on_a_stale_record(world, http01_host, webhook):
    def checked(domain, passing):
        status, body = http01_host.api("GET", f"/v1/domains/{domain}/monitor")
        return body if status == 200 and body["passing"] == passing else None

    good = wait_for(lambda: checked("two.hacme.test", True), 40)
    assert good is not None, http01_host.log_tail()
    assert not [f for f in good["findings"] if f["severity"] == "error"], good
    codes = [f["code"] for f in good["findings"]]
    assert "mx-tls-ok" in codes and "policy-fetched" in codes, codes
    # The customer's record goes back to an id the service no longer serves: the monitor
    # reports it (past the grace for a new version) and the alert command hears of it.
    assert wait_for(lambda: checked("one.hacme.test", True), 40), http01_host.log_tail()
    document = http01_host.domain("one.hacme.test")
    world.dns.set_txt("_mta-sts.one.hacme.test", "v=STSv1; id=1")
    try:
        bad = wait_for(lambda: checked("one.hacme.test", False), 60)
        assert bad is not None, http01_host.log_tail()
        assert "hosted-id-stale" in [f["code"] for f in bad["findings"]], bad
        alerts = Path(http01_host.config["state_dir"]) / "alerts"

        def alerted():
            found = [json.loads(p.read_text()) for p in alerts.glob("*.json")]
            return [a for a in found if a["domain"] == "one.hacme.test" and not a["passing"]
                    and "hosted-id-stale" in [f["code"] for f in a["findings"]]] or None

        sent = wait_for(alerted, 20)
        assert sent, http01_host.log_tail()
        assert sent[0]["event"] == "mtasts-host-monitor" and sent[0]["previous"] is True
        # The same document reached the webhook.
        posted = wait_for(lambda: [a for a in map(json.loads, webhook.read_text().splitlines())
                                   if a == sent[0]] or None, 20)
        assert posted, http01_host.log_tail()
        status, audit = http01_host.api("GET", "/v1/audit?domain=one.hacme.test")
        assert "monitor.failing" in [e["action"] for e in audit["entries"]]
    finally:
        world.dns.set_txt("_mta-sts.one.hacme.test", f"v=STSv1; id={document['id']}")
