"""Real Postfix (Debian's 3.7) delivers to mtasts's SMTP/LMTP server (net/smtp/smtp_server.hpp),
run by tests/tools/smtp_sink_tool, which stores every message it takes:

- over LMTP on a UNIX socket (`lmtp:unix:PATH`), as a provider's Postfix hands report mail over;
- over SMTP on TCP (`smtp:[127.0.0.1]:PORT`), as the MX of a `rua=mailto:` address receives it
  (no STARTTLS offered: Postfix, at security level `may`, sends in clear).

Recipients starting with "reject" are refused (550 5.1.1: Postfix bounces), "defer" deferred
(450 4.2.0: Postfix keeps the message). A delivered message arrives as Postfix queued it, its
dot-stuffing undone and CRLF line ends; the envelope has Postfix's sender, recipient and
LHLO/EHLO name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from world.postfix import HOSTNAME, Postfix

PORT = 18625
SENDER = "reports@sender.mtasts-world.test"


@pytest.fixture(scope="module")
def sink(world, tools_dir):
    tool = Path(tools_dir) / "smtp_sink_tool"
    if not (tool.is_file() and os.access(tool, os.X_OK)):
        pytest.fail(f"no smtp_sink_tool in {tools_dir}: build the tests "
                    "(cmake --build --preset ci) or set MTASTS_TOOLS_DIR", pytrace=False)
    # Postfix's lmtp client runs as the postfix user: the socket's directory must be searchable.
    d = Path(tempfile.mkdtemp(prefix="mtasts-smtp-sink-", dir="/tmp"))
    os.chmod(d, 0o755)
    out = d / "out"
    out.mkdir()
    sock = d / "lmtp.sock"
    proc = world.spawn("smtp-sink", [str(tool), "--dir", str(out), "--smtp", f"127.0.0.1:{PORT}",
                                     "--lmtp-unix", str(sock), "--hostname", "intake.test"])
    world.wait_port("127.0.0.1", PORT)
    deadline = time.monotonic() + 10
    while not sock.exists():
        assert time.monotonic() < deadline, proc.log_tail()
        time.sleep(0.05)
    yield SimpleNamespace(out=out, sock=sock, proc=proc)
    proc.stop()
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def postfix(world, sink):
    transports = (f"inline:{{ lmtp.intake.test=lmtp:unix:{sink.sock}, "
                  f"smtp.intake.test=smtp:[127.0.0.1]:{PORT} }}")
    pf = Postfix(world, policy_map=None, extra={"transport_maps": transports}).start()
    yield pf
    pf.stop()


def stored(sink, rcpt: str, timeout: float = 10.0) -> tuple[dict, bytes]:
    """The envelope and message the sink stored for `rcpt`."""
    deadline = time.monotonic() + timeout
    while True:
        for meta_path in sorted(sink.out.glob("*.json")):
            meta = json.loads(meta_path.read_text())
            if rcpt in meta["to"]:
                return meta, meta_path.with_suffix(".eml").read_bytes()
        assert time.monotonic() < deadline, f"nothing stored for {rcpt}"
        time.sleep(0.05)


BODY = "report line\n.leading dot\n..two dots\n.\nlast\n"


@pytest.mark.parametrize("domain", ["lmtp.intake.test", "smtp.intake.test"])
def test_delivered_message_arrives_unstuffed_with_crlf(world, sink, postfix, domain):
    rcpt = f"tlsrpt@{domain}"
    postfix.send(SENDER, rcpt, subject=f"report via {domain}", body=BODY)
    d = postfix.wait_status(rcpt, {"sent", "deferred", "bounced"})
    assert d.status == "sent", postfix.log_tail()
    assert d.tls is None  # no STARTTLS offered
    meta, message = stored(sink, rcpt)
    assert meta["from"] == SENDER
    assert meta["to"] == [rcpt]
    assert meta["helo"] == HOSTNAME
    assert meta["peer"] == ("" if domain.startswith("lmtp") else "127.0.0.1")
    assert f"Subject: report via {domain}\r\n".encode() in message
    assert message.endswith(b"\r\nreport line\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n")
    assert b"\n" not in message.replace(b"\r\n", b"")


@pytest.mark.parametrize("domain", ["lmtp.intake.test", "smtp.intake.test"])
def test_refused_recipient_bounces_and_deferred_one_stays(world, sink, postfix, domain):
    postfix.send(SENDER, f"reject@{domain}")
    postfix.send(SENDER, f"defer@{domain}")
    bounced = postfix.wait_status(f"reject@{domain}", {"sent", "deferred", "bounced"})
    assert (bounced.status, bounced.dsn) == ("bounced", "5.1.1"), postfix.log_tail()
    deferred = postfix.wait_status(f"defer@{domain}", {"sent", "deferred", "bounced"})
    assert (deferred.status, deferred.dsn) == ("deferred", "4.2.0"), postfix.log_tail()
