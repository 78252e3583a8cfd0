"""A certificate outage of the service's own policy host, and the TLS-RPT report of it: pebble
issues certificates that live LIFETIME seconds; `mtasts host` is stopped before it can renew
and started again after the certificate expired, so for a while no valid certificate existed
for mta-sts.<d>. A report of that day whose senders failed `sts-webpki-invalid` is attributed
to that window, taken from what the service recorded (its certificates' lifetimes), in the
policy-host-failure finding; a day without such failures gets no such attribution.
"""

from __future__ import annotations

import datetime
import gzip
import json
import time

from world import Domain, Record
from world.host import post_tlsrpt, start_host, wait_for

PROVIDER = "hout-provider.test"
HOSTNAME = f"host.{PROVIDER}"
ADDRESS = "127.0.6.21"
DOMAIN = "out.hout.test"
LIFETIME = 20  # seconds
PEBBLE_VALIDITY = LIFETIME

WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)]),
    Domain(DOMAIN, mx=[f"mx1.{DOMAIN}"], ttl=1,
           records=[Record(f"mta-sts.{DOMAIN}", "CNAME", f"{HOSTNAME}.")]),
]


def parse_utc(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def post_report(world, trust, doc: dict) -> str:
    return post_tlsrpt(world, ADDRESS, f"mta-sts.{DOMAIN}", trust,
                       gzip.compress(json.dumps(doc).encode()))


def report(report_id: str, day: str, webpki_failures: int) -> dict:
    return {
        "organization-name": "Outage Watcher",
        "date-range": {"start-datetime": f"{day}T00:00:00Z", "end-datetime": f"{day}T23:59:59Z"},
        "contact-info": "tlsrpt@watcher.example",
        "report-id": report_id,
        "policies": [{
            "policy": {"policy-type": "sts", "policy-domain": DOMAIN,
                       "mx-host": [f"mx1.{DOMAIN}"]},
            "summary": {"total-successful-session-count": 40,
                        "total-failure-session-count": webpki_failures},
            "failure-details": [{"result-type": "sts-webpki-invalid",
                                 "sending-mta-ip": "192.0.2.7",
                                 "failed-session-count": webpki_failures}],
        }],
    }


def test_failures_during_our_certificate_outage_are_attributed_to_it(world, mtasts_bin, pebble,
                                                                     trust):
    host = start_host(world, mtasts_bin, pebble, trust, "hout", ADDRESS, 18571, HOSTNAME)
    try:
        status, added = host.api("POST", "/v1/domains", {"domain": DOMAIN})
        assert status == 201, added
        world.dns.set_txt(f"_mta-sts.{DOMAIN}", f"v=STSv1; id={added['id']}")
        first = host.wait_certificate(DOMAIN)["certificate"]
        expired_at = parse_utc(first["not_after"])
        # The service goes away before it renews, and comes back after the certificate expired.
        host.stop()
        time.sleep(max(0.0, expired_at - time.time() + 3))
        host.start(wait=False)

        def renewed():
            try:
                cert = host.domain(DOMAIN)["certificate"]
            except Exception:  # not listening yet
                return None
            return cert if cert.get("issued") and cert["not_before"] != first["not_before"] \
                else None

        second = wait_for(renewed, 90, step=0.5)
        assert second is not None, host.log_tail(40)
        renewed_at = parse_utc(second["issued_at"])
        assert renewed_at > expired_at, (first, second)

        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        answer = post_report(world, trust, report("outage-1", today, 9))
        assert answer.startswith("HTTP/1.1 200"), answer

        status, summary = host.api("GET", f"/v1/domains/{DOMAIN}/reports?days=7")
        assert status == 200, summary
        finding = [f for f in summary["findings"] if f["code"] == "policy-host-failure"]
        assert finding and finding[0]["sessions"] == 9, summary["findings"]
        outages = [o for o in finding[0]["outages"] if o["cause"] == "certificate"]
        assert outages, finding
        gap = outages[0]
        assert parse_utc(gap["from"]) == expired_at, (gap, first)
        assert expired_at < parse_utc(gap["to"]) <= renewed_at + 1, (gap, second)
        assert "no valid certificate from " + first["not_after"] in finding[0]["message"]

        # A day long before the service existed: the failures are not pinned on an outage.
        answer = post_report(world, trust, report("before-1", "2026-01-05", 4))
        assert answer.startswith("HTTP/1.1 200"), answer
        status, old = host.api("GET", f"/v1/domains/{DOMAIN}/reports?days=400")
        assert status == 200, old
        finding = [f for f in old["findings"] if f["code"] == "policy-host-failure"][0]
        assert finding["sessions"] == 13, finding
        assert all(parse_utc(o["from"]) >= expired_at for o in finding["outages"]), finding
    finally:
        host.stop()
