"""Reference clients made only of standard tools, run as processes inside the namespace (so they
resolve through the world's resolver via /etc/resolv.conf). The self-test uses them to prove the
world; product tests can use them to compare the product with a plain client.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Optional

from world.model import POLICY_PATH

if TYPE_CHECKING:
    from world.core import World

_HTTPS_GET = r"""
import base64, http.client, json, socket, ssl, sys
host, port, path, cafile, timeout, min_version, max_body = sys.argv[1:8]
out = {}
try:
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
    else:
        ctx = ssl.create_default_context()
    if min_version:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = getattr(ssl.TLSVersion, min_version)
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=float(timeout))
    conn.request("GET", path)
    out["tls_version"] = conn.sock.version()
    out["peer_cert"] = conn.sock.getpeercert()
    resp = conn.getresponse()
    out["status"] = resp.status
    out["headers"] = [[k, v] for k, v in resp.getheaders()]
    body = resp.read(int(max_body)) if max_body else resp.read()
    out["body"] = base64.b64encode(body).decode()
    conn.close()
except Exception as e:
    out["error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out, default=str))
"""

_HTTP_GET = r"""
import http.client, json, sys
host, port, path = sys.argv[1:4]
out = {}
try:
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", path)
    resp = conn.getresponse()
    out["status"] = resp.status
    resp.read()
except Exception as e:
    out["error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"""

_SMTP_SEND = r"""
import json, smtplib, ssl, sys
host, cafile, mail_from, rcpt, starttls = sys.argv[1:6]
out = {}
try:
    s = smtplib.SMTP(host, 25, timeout=10)
    code, _ = s.ehlo("client.test")
    out["starttls_offered"] = s.has_extn("starttls")
    if starttls == "1":
        ctx = ssl.create_default_context(cafile=cafile)
        s.starttls(context=ctx)
        out["tls_version"] = s.sock.version()
        out["peer_cert"] = s.sock.getpeercert()
        s.ehlo("client.test")
    msg = f"From: {mail_from}\r\nTo: {rcpt}\r\nSubject: world self-test\r\n\r\nhello\r\n"
    s.sendmail(mail_from, [rcpt], msg)
    out["sent"] = True
    s.quit()
except Exception as e:
    out["error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out, default=str))
"""


def _run_json(world: "World", code: str, args: list[str], timeout: float) -> dict:
    r = world.run([sys.executable, "-c", code, *args], timeout=timeout)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"client failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")


def https_get(world: "World", host: str, path: str = POLICY_PATH, port: int = 443,
              cafile: Optional[str] = None, timeout: float = 5.0,
              min_version: str = "", max_body: Optional[int] = None) -> dict:
    """One GET with Python's http.client over ssl (verifying against `cafile`, default the
    world's CA; `timeout` applies to each socket operation). Never follows redirects. Reads at
    most `max_body` bytes of body, then closes. `min_version` (e.g. "TLSv1") also drops to
    OpenSSL security level 0. Returns {status, headers, body (base64), tls_version, peer_cert}
    or {error} (with whatever was known before the error)."""
    ca = str(world.ca_file) if cafile is None else cafile
    return _run_json(world, _HTTPS_GET,
                     [host, str(port), path, ca, str(timeout), min_version,
                      str(max_body) if max_body is not None else ""], timeout + 15)


def http_get(world: "World", host: str, path: str = POLICY_PATH, port: int = 80) -> dict:
    """One plaintext GET (to show that the policy host records plaintext requests)."""
    return _run_json(world, _HTTP_GET, [host, str(port), path], 20)


def smtp_send(world: "World", host: str, mail_from: str, rcpt: str,
              starttls: bool = True) -> dict:
    """EHLO, STARTTLS (verified against the world's CA, SNI = host), one message, QUIT."""
    return _run_json(world, _SMTP_SEND,
                     [host, str(world.ca_file), mail_from, rcpt, "1" if starttls else "0"], 30)


def openssl_s_client(world: "World", connect: str, servername: str,
                     extra: tuple[str, ...] = (), timeout: float = 15.0
                     ) -> subprocess.CompletedProcess:
    """`openssl s_client` with verification against the world's CA and hostname check."""
    cmd = ["openssl", "s_client", "-connect", connect, "-servername", servername,
           "-CAfile", str(world.ca_file), "-verify_hostname", servername,
           "-verify_return_error", *extra]
    return world.run(cmd, timeout=timeout, input="")
