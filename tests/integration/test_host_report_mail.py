"""TLS-RPT reports by mail (RFC 8460 §5.3) into the real `mtasts host`: its SMTP and LMTP
listeners (`reports.mail` in host.yml) take mail for <hosted domain>@<mail domain>, the address
the TLS-RPT record publishes. Debian's Postfix delivers report mail signed with dkimpy (a
maintained DKIM signer) by the reporter's key, published in the world's DNS, over
`lmtp:unix:`; the service fetches the key through its resolver and verifies with libopendkim.
An unsigned report, a wrongly signed one and one signed by another domain are kept apart with
their reasons and never counted (§3); junk MIME and mail for unhosted domains are refused in
the SMTP dialogue while the policies keep being served.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import smtplib
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from types import SimpleNamespace

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from world import Domain, Record
from world.host import fetch_policy, post_tlsrpt, start_host
from world.postfix import Postfix

PROVIDER = "hmail-provider.test"
HOSTNAME = f"host.{PROVIDER}"
MAIL_DOMAIN = f"tlsrpt.{PROVIDER}"
ADDRESS = "127.0.6.17"
SMTP_PORT = 18625 + 40
DOMAIN = "rep.hmail.test"
OTHER = "other.hmail.test"  # not hosted
REPORTER = "reporter.hmail-sender.test"  # signs with KEY, published at SELECTOR
STRANGER = "stranger.hmail-sender.test"  # signs with its own key, also published
SELECTOR = "tlsrpt2026"
RCPT = f"{DOMAIN}@{MAIL_DOMAIN}"
SENDER = f"noreply@{REPORTER}"


def _key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


KEY, KEY_RECORD = _key()
STRANGER_KEY, STRANGER_RECORD = _key()
IMPOSTOR_KEY, _ = _key()  # never published: what a forger would sign with

WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)]),
    Domain(DOMAIN, mx=[f"mx1.{DOMAIN}"], ttl=1,
           records=[Record(f"mta-sts.{DOMAIN}", "CNAME", f"{HOSTNAME}.")]),
    Domain(REPORTER, records=[Record(f"{SELECTOR}._domainkey.{REPORTER}", "TXT", KEY_RECORD)]),
    Domain(STRANGER,
           records=[Record(f"{SELECTOR}._domainkey.{STRANGER}", "TXT", STRANGER_RECORD)]),
]


def report(report_id: str, domain: str = DOMAIN, ok: int = 50, failed: int = 0,
           day: str = "2026-11-02", result: str = "validation-failure") -> dict:
    return {
        "organization-name": "Reporter Mail Co",
        "date-range": {"start-datetime": f"{day}T00:00:00Z",
                       "end-datetime": f"{day}T23:59:59Z"},
        "contact-info": f"tlsrpt@{REPORTER}",
        "report-id": report_id,
        "policies": [{
            "policy": {"policy-type": "sts", "policy-domain": domain,
                       "mx-host": [f"mx1.{domain}"]},
            "summary": {"total-successful-session-count": ok,
                        "total-failure-session-count": failed},
            "failure-details": [{"result-type": result,
                                 "receiving-mx-hostname": f"mx1.{domain}",
                                 "failed-session-count": failed}] if failed else [],
        }],
    }


def report_mail(doc: dict, rcpt: str = RCPT, submitter: str = REPORTER) -> bytes:
    """A §5.3 report message: multipart/report; report-type=tlsrpt with the gzip attachment."""
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = rcpt
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain=submitter)
    domain = doc["policies"][0]["policy"]["policy-domain"]
    msg["Subject"] = (f"Report Domain: {domain} Submitter: {submitter} "
                      f"Report-ID: <{doc['report-id']}>")
    msg["TLS-Report-Domain"] = domain
    msg["TLS-Report-Submitter"] = submitter
    msg.set_content("This is an aggregate TLS report.\n")
    msg.add_attachment(gzip.compress(json.dumps(doc).encode()), maintype="application",
                       subtype="tlsrpt+gzip", filename=f"{submitter}!{domain}!report.json.gz")
    msg.replace_header("Content-Type", "multipart/report")
    msg.set_param("report-type", "tlsrpt")
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def signed(message: bytes, key: bytes = KEY, domain: str = REPORTER) -> bytes:
    signature = dkim.sign(message, SELECTOR.encode(), domain.encode(), key,
                          canonicalize=(b"relaxed", b"relaxed"),
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id",
                                           b"tls-report-domain", b"tls-report-submitter"])
    return signature + message


@pytest.fixture(scope="module")
def socket_dir():
    # Postfix's lmtp client runs as the postfix user: the socket's directory must be searchable.
    d = Path(tempfile.mkdtemp(prefix="mtasts-hmail-", dir="/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def alerts(socket_dir):
    """The directory the alert command writes each document it is given to."""
    d = socket_dir / "alerts"
    d.mkdir()
    script = socket_dir / "alert.sh"
    script.write_text(f"#!/bin/sh\ncat > {d}/alert-$$.json\n")
    script.chmod(0o755)
    return SimpleNamespace(dir=d, script=script)


@pytest.fixture(scope="module")
def host(world, mtasts_bin, pebble, trust, socket_dir, alerts):
    instance = start_host(
        world, mtasts_bin, pebble, trust, "hmail", ADDRESS, 18663, HOSTNAME,
        metrics="127.0.0.1:18664",
        monitor={"interval": 0, "alert": {"command": [str(alerts.script)]}},
        reports={"mail": {"domain": MAIL_DOMAIN, "smtp": [f"127.0.0.1:{SMTP_PORT}"],
                          "lmtp_socket": str(socket_dir / "lmtp.sock"), "hostname": MAIL_DOMAIN}})
    status, body = instance.api("POST", "/v1/domains", {"domain": DOMAIN})
    assert status == 201, body
    world.dns.set_txt(f"_mta-sts.{DOMAIN}", f"v=STSv1; id={body['id']}")
    instance.wait_certificate(DOMAIN)
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def postfix(world, host, socket_dir):
    transports = f"inline:{{ {MAIL_DOMAIN}=lmtp:unix:{socket_dir / 'lmtp.sock'} }}"
    pf = Postfix(world, policy_map=None, extra={"transport_maps": transports}).start()
    yield pf
    pf.stop()


def deliver(postfix, message: bytes, rcpt: str = RCPT):
    postfix.send_message(SENDER, rcpt, message)


def wait_listed(host, report_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = host.api("GET", f"/v1/reports?domain={DOMAIN}&days=400")
        assert status == 200, body
        for item in body["reports"]:
            if item["report_id"] == report_id:
                return item
        assert time.monotonic() < deadline, f"report {report_id} never listed: {body}"
        time.sleep(0.2)


def wait_apart(host, report_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = host.api("GET", "/v1/reports/apart")
        assert status == 200, body
        for item in body["reports"]:
            if item["report_id"] == report_id:
                return item
        assert time.monotonic() < deadline, f"report {report_id} never kept apart: {body}"
        time.sleep(0.2)


def totals(host) -> dict:
    status, body = host.api("GET", f"/v1/domains/{DOMAIN}/reports?days=400")
    assert status == 200, body
    return body


def metric(host, name: str, labels: str) -> float:
    text = host.metrics()
    for line in text.splitlines():
        if line.startswith(f"{name}{{{labels}}} "):
            return float(line.split()[-1])
    return 0.0


def test_the_records_to_publish_name_the_mail_address(host):
    status, body = host.api("GET", f"/v1/domains/{DOMAIN}")
    assert status == 200, body
    tlsrpt = [r["value"] for r in body["records"] if r["owner"] == f"_smtp._tls.{DOMAIN}"]
    assert tlsrpt == [f"v=TLSRPTv1; rua=https://mta-sts.{DOMAIN}/tlsrpt,mailto:{RCPT}"], body


def test_signed_report_delivered_by_postfix_over_lmtp_is_counted(world, host, postfix):
    deliver(postfix, signed(report_mail(report("mail-signed-1", ok=70, failed=2))))
    d = postfix.wait_status(RCPT, {"sent", "deferred", "bounced"})
    assert d.status == "sent", postfix.log_tail()
    item = wait_listed(host, "mail-signed-1")
    assert item["channel"] == "mail", item
    assert item["reporter"] == "Reporter Mail Co", item
    t = totals(host)
    assert t["by_result"].get("success") == 70, t
    assert t["by_result"].get("validation-failure") == 2, t
    assert metric(host, "mtasts_host_tlsrpt_reports_total", 'outcome="accepted"') >= 1


@pytest.mark.parametrize("case,reason", [
    ("unsigned", "dkim-none"),
    ("forged", "dkim-bad"),
    ("stranger", "dkim-wrong-domain"),
])
def test_report_mail_without_the_reporters_signature_is_kept_apart(world, host, postfix, case,
                                                                   reason):
    report_id = f"mail-{case}"
    message = report_mail(report(report_id, ok=1000))
    if case == "forged":
        message = signed(message, key=IMPOSTOR_KEY)  # claims d=REPORTER, key not REPORTER's
    elif case == "stranger":
        message = signed(message, key=STRANGER_KEY, domain=STRANGER)  # valid, wrong domain
    before = totals(host)["by_result"].get("success", 0)
    deliver(postfix, message)
    item = wait_apart(host, report_id)
    assert item["reason"] == reason, item
    assert item["domain"] == DOMAIN, item
    assert item["channel"] == "mail", item
    # The sender was not asked to resend (RFC 8460 §3: ignored), and nothing was counted.
    sent = [d for d in postfix.deliveries(RCPT) if d.status in ("sent", "bounced", "deferred")]
    assert sent and all(d.status == "sent" for d in sent), postfix.log_tail()
    assert totals(host)["by_result"].get("success", 0) == before
    status, body = host.api("GET", f"/v1/reports?domain={DOMAIN}&days=400")
    assert report_id not in [r["report_id"] for r in body["reports"]]
    assert metric(host, "mtasts_host_tlsrpt_kept_apart_total", f'reason="{reason}"') >= 1


def test_the_same_report_by_mail_and_by_https_counts_once(world, host, postfix, trust):
    doc = report("mail-and-https", ok=33)
    deliver(postfix, signed(report_mail(doc)))
    wait_listed(host, "mail-and-https")
    before = totals(host)["by_result"].get("success", 0)
    body = gzip.compress(json.dumps(doc).encode())

    answer = post_tlsrpt(world, ADDRESS, f"mta-sts.{DOMAIN}", trust, body)
    assert answer.startswith("HTTP/1.1 200") and "duplicate" in answer, answer
    assert totals(host)["by_result"].get("success", 0) == before


def smtp_session(world, fn):
    def call():
        with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=20) as s:
            s.ehlo("sender.hmail-sender.test")
            return fn(s)
    return world.call(call, timeout=60)


def test_smtp_refuses_unhosted_and_foreign_recipients_at_rcpt(world, host):
    def run(s):
        s.mail(SENDER)
        codes = [s.rcpt(rcpt)[0] for rcpt in (f"{OTHER}@{MAIL_DOMAIN}", f"postmaster@{DOMAIN}",
                                              f"{DOMAIN}@elsewhere.test", "nodots@" + MAIL_DOMAIN)]
        codes.append(s.rcpt(RCPT)[0])
        s.rset()
        return codes

    assert smtp_session(world, run) == [550, 550, 550, 550, 250]


def test_junk_mime_is_refused_and_kept_apart(world, host):
    junk = (b"From: " + SENDER.encode() + b"\r\nTo: " + RCPT.encode() +
            b"\r\nSubject: hello\r\nContent-Type: multipart/report; boundary=\"x\"\r\n\r\n"
            b"--x\r\nContent-Type: text/plain\r\n\r\nno report here\r\n--x--\r\n")

    def run(s):
        try:
            s.sendmail(SENDER, [RCPT], junk)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()
        return 250, ""

    code, text = smtp_session(world, run)
    assert code == 550 and "not-a-report-mail" in text, (code, text)
    status, body = host.api("GET", "/v1/reports/apart")
    assert status == 200
    assert any(r["reason"] == "not-a-report-mail" for r in body["reports"]), body


def test_a_flood_of_unhosted_mail_leaves_the_service_serving(world, host, trust):
    def flood():
        refused = 0
        for _ in range(20):
            with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=20) as s:
                s.ehlo("flood.hmail-sender.test")
                s.mail(SENDER)
                for n in range(50):
                    code, _ = s.rcpt(f"d{n}.flood.test@{MAIL_DOMAIN}")
                    refused += code == 550
                s.rset()
        return refused

    assert world.call(flood, timeout=120) == 1000
    served = fetch_policy(world, ADDRESS, f"mta-sts.{DOMAIN}", trust)
    assert served.get("status") == 200, served
    # Hosted mail is still taken after the flood.
    doc = report("after-flood", ok=5)

    def run(s):
        s.sendmail(SENDER, [RCPT], signed(report_mail(doc)))
        return True

    assert smtp_session(world, run)
    wait_listed(host, "after-flood")


def test_import_reads_a_maildir_and_an_mbox_holding_them_to_dkim(world, host, tmp_path):
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.host:2,").write_bytes(signed(report_mail(report("import-maildir-1"))))
    (maildir / "cur" / "2.host:2,S").write_bytes(signed(report_mail(report("import-maildir-2"))))
    # A delivery still being written is not a message yet.
    (maildir / "tmp" / "3.host").write_bytes(b"From: half")
    # An mbox (mboxrd): a signed message whose body has a "From " line the writer escaped, and
    # an unsigned one.
    body_message = report_mail(report("import-mbox-1"))
    body_message = body_message.replace(b"This is an aggregate TLS report.",
                                        b"This is an aggregate TLS report.\r\nFrom the sender.")
    first = signed(body_message).replace(b"\r\nFrom the sender.", b"\r\n>From the sender.")
    mbox = (b"From noreply@" + REPORTER.encode() + b" Mon Dec  7 10:00:00 2026\r\n" + first +
            b"\r\nFrom noreply@" + REPORTER.encode() + b" Mon Dec  7 10:00:01 2026\r\n" +
            report_mail(report("import-mbox-unsigned")) + b"\r\n")
    (tmp_path / "reports.mbox").write_bytes(mbox)

    r = host.cli("report", "import", str(maildir), str(tmp_path / "reports.mbox"), "--json")
    assert r.returncode == 1, r.stdout + r.stderr  # the unsigned one is kept apart
    out = json.loads(r.stdout)
    by_id = {item["report_id"]: item for item in out["reports"]}
    for report_id in ("import-maildir-1", "import-maildir-2", "import-mbox-1"):
        assert by_id[report_id]["outcome"] == "accepted", by_id
    assert by_id["import-mbox-unsigned"]["outcome"] == "kept-apart", by_id
    assert by_id["import-mbox-unsigned"]["reason"] == "dkim-none", by_id
    assert by_id["import-mbox-1"]["file"].endswith("reports.mbox#1"), by_id
    assert (out["accepted"], out["kept_apart"]) == (3, 1), out

    again = host.cli("report", "import", str(maildir), "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["duplicate"] == 2
    # The operator vouches for the unsigned one.
    vouched = host.cli("report", "import", "--no-dkim", str(tmp_path / "reports.mbox"), "--json")
    assert vouched.returncode == 0, vouched.stdout + vouched.stderr
    outcomes = {i["report_id"]: i["outcome"] for i in json.loads(vouched.stdout)["reports"]}
    assert outcomes == {"import-mbox-1": "duplicate", "import-mbox-unsigned": "accepted"}


def test_reports_export_as_csv(world, host):
    import csv
    import io
    deliver_id = "mail-signed-1"
    r = host.cli("report", "list", "--domain", DOMAIN, "--days", "400", "--csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    mine = [row for row in rows if row["report_id"] == deliver_id]
    assert mine and mine[0]["channel"] == "mail" and mine[0]["successful"] == "70", rows
    shown = host.cli("report", "show", DOMAIN, "--days", "400", "--csv")
    assert shown.returncode == 0, shown.stderr
    lines = list(csv.reader(io.StringIO(shown.stdout)))
    assert lines[0] == ["group", "key", "result", "sessions"]
    assert ["day", "2026-11-02", "validation-failure", "2"] in lines, lines
    apart = host.cli("report", "apart", "--csv")
    assert apart.returncode == 0, apart.stderr
    reasons = {row["reason"] for row in csv.DictReader(io.StringIO(apart.stdout))}
    assert {"dkim-none", "dkim-bad", "dkim-wrong-domain"} <= reasons, reasons


def test_alerts_on_a_new_failure_type_our_policy_host_and_a_rate_step(world, host, postfix,
                                                                      alerts):
    def alerted(kind: str, day: str) -> list:
        found = []
        for path in alerts.dir.glob("*.json"):
            try:
                doc = json.loads(path.read_text())
            except ValueError:
                continue  # still being written
            if doc.get("alert") == kind and doc.get("day") == day:
                found.append(doc)
        return found

    def wait_alert(kind: str, day: str) -> dict:
        deadline = time.monotonic() + 30
        while not (found := alerted(kind, day)):
            assert time.monotonic() < deadline, (kind, day, host.log_tail(30))
            time.sleep(0.2)
        return found[0]

    # 2026-11-02 has validation-failure already (the first test's report): a new type the day
    # after is worth an alert; the known type is not.
    deliver(postfix, signed(report_mail(report("alert-new-type", ok=900, failed=5,
                                               day="2026-11-03",
                                               result="starttls-not-supported"))))
    doc = wait_alert("new-failure-type", "2026-11-03")
    assert doc["event"] == "mtasts-host-tlsrpt" and doc["domain"] == DOMAIN, doc
    assert doc["result"] == "starttls-not-supported" and doc["sessions"] == 5, doc
    assert doc["report_id"] == "alert-new-type", doc
    # Our own policy host, failing for senders: alerted whatever came before.
    deliver(postfix, signed(report_mail(report("alert-policy-host", ok=900, failed=4,
                                               day="2026-11-04", result="sts-webpki-invalid"))))
    doc = wait_alert("policy-host-failure", "2026-11-04")
    assert doc["result"] == "sts-webpki-invalid", doc
    # From under 1% failing to a third of the day's sessions.
    deliver(postfix, signed(report_mail(report("alert-step", ok=200, failed=100,
                                               day="2026-11-05",
                                               result="starttls-not-supported"))))
    doc = wait_alert("failure-rate-step", "2026-11-05")
    assert "rose to 33.3%" in doc["message"], doc
    # Known types at a steady rate say nothing.
    assert not alerted("new-failure-type", "2026-11-05")
    assert 'event=tlsrpt-alert' in host.log_text()
