"""Hostile clients against the real `mtasts host` while a valid sender keeps fetching its policy:
no SNI, unknown SNI, huge headers, slowloris (bytes trickling in, and TCP connections that never
start TLS), floods of junk on 443 and 80. The server stays up and the valid client gets every
policy. The admin API refuses missing and wrong tokens and answers malformed bodies with 400
naming the field; port 80 answers ACME challenges and nothing else.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from world import Domain, Record
from world.host import fetch_policy, start_host

PROVIDER = "hhost-provider.test"
HOSTNAME = f"host.{PROVIDER}"
ADDRESS = "127.0.6.7"
DOMAIN = "hx.hhost.test"
POLICY_HOST = f"mta-sts.{DOMAIN}"
HEADER_TIMEOUT = 10.0  # the policy server's default (net::HttpServerLimits)

WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)]),
    Domain(DOMAIN, mx=[f"mx1.{DOMAIN}"], ttl=1,
           records=[Record(POLICY_HOST, "CNAME", f"{HOSTNAME}.")]),
]

# A sender that fetches the policy in a loop, each time on a new connection, and reports.
VALID_CLIENT = r"""
import json, socket, ssl, sys, time
address, host, cafile, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ctx = ssl.create_default_context(cafile=cafile)
ok, failed, errors = 0, 0, []
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        with socket.create_connection((address, 443), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                s.sendall(f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\n"
                          "Connection: close\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        if data.startswith(b"HTTP/1.1 200") and b"version: STSv1" in data:
            ok += 1
        else:
            failed += 1
            errors.append(data[:80].decode(errors="replace"))
    except Exception as e:
        failed += 1
        errors.append(f"{type(e).__name__}: {e}")
    time.sleep(0.1)
print(json.dumps({"ok": ok, "failed": failed, "errors": errors[:10]}))
"""


@pytest.fixture(scope="module")
def host(world, mtasts_bin, pebble, trust):
    instance = start_host(world, mtasts_bin, pebble, trust, "hhost", ADDRESS, 18541, HOSTNAME,
                          metrics="127.0.0.1:18542")
    status, body = instance.api("POST", "/v1/domains", {"domain": DOMAIN})
    assert status == 201, body
    world.dns.set_txt(f"_mta-sts.{DOMAIN}", f"v=STSv1; id={body['id']}")
    instance.wait_certificate(DOMAIN)
    yield instance
    instance.stop()


class ValidClient:
    """The valid sender, running in the background for `seconds`."""

    def __init__(self, world, trust: Path, seconds: float) -> None:
        cmd = world.netns.command([sys.executable, "-c", VALID_CLIENT, ADDRESS, POLICY_HOST,
                                   str(trust), str(seconds)])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.seconds = seconds

    def result(self) -> dict:
        out, err = self.proc.communicate(timeout=self.seconds + 60)
        assert self.proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


def tls_connect(sni, timeout=5.0):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((ADDRESS, 443), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname=sni)


def handshake_error(sni):
    try:
        with tls_connect(sni):
            return None
    except ssl.SSLError as e:
        return e.reason or str(e)
    except OSError as e:
        return f"{type(e).__name__}: {e}"


def huge_header():
    """A 100 kB header field; the server answers when its limit is reached and closes, so the
    rest of the request may not go out."""
    request = (f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {POLICY_HOST}\r\n".encode()
               + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    with tls_connect(POLICY_HOST, timeout=10) as s:
        try:
            for i in range(0, len(request), 4096):
                s.sendall(request[i:i + 4096])
        except (OSError, ssl.SSLError):
            pass
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (OSError, ssl.SSLError):
            pass
        return data[:200].decode(errors="replace")


def slowloris(count: int, tls: bool, limit: float):
    """`count` connections trickling one header byte a second (tls) or never starting TLS;
    returns the seconds until the server closed each (None: still open at `limit`)."""
    socks = []
    for _ in range(count):
        s = tls_connect(POLICY_HOST) if tls else socket.create_connection((ADDRESS, 443), 5)
        if tls:
            s.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\n")
        s.setblocking(False)
        socks.append(s)
    start = time.monotonic()
    closed = [None] * count
    while time.monotonic() - start < limit and None in closed:
        for i, s in enumerate(socks):
            if closed[i] is not None:
                continue
            try:
                if tls:
                    s.send(b"X")
                data = s.recv(4096)
                if data == b"":
                    closed[i] = time.monotonic() - start
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except (OSError, ssl.SSLError):
                closed[i] = time.monotonic() - start
        time.sleep(1.0)
    for s in socks:
        s.close()
    return closed


def junk_flood(port: int, count: int):
    """`count` connections that each send 4 KiB of random bytes; how many the server closed."""
    closed = 0
    for _ in range(count):
        try:
            with socket.create_connection((ADDRESS, port), timeout=5) as s:
                s.sendall(os.urandom(4096))
                s.settimeout(HEADER_TIMEOUT + 5)
                while s.recv(4096):
                    pass
                closed += 1
        except (ConnectionResetError, BrokenPipeError):
            closed += 1
        except OSError:
            pass
    return closed


def test_hostile_clients_while_a_valid_sender_keeps_fetching(world, host, trust):
    client = ValidClient(world, trust, seconds=HEADER_TIMEOUT + 15)
    assert "UNRECOGNIZED_NAME" in world.call(handshake_error, None).upper()
    assert "UNRECOGNIZED_NAME" in world.call(handshake_error, "unknown.hhost.test").upper()
    r = world.run(["openssl", "s_client", "-connect", f"{ADDRESS}:443", "-noservername"],
                  input="", timeout=20)
    assert "unrecognized name" in r.stderr and "BEGIN CERTIFICATE" not in r.stdout
    answer = world.call(huge_header, timeout=30)
    assert answer.startswith("HTTP/1.1 431"), answer
    assert world.call(junk_flood, 443, 50, timeout=120) == 50
    assert world.call(junk_flood, 80, 50, timeout=120) == 50
    limit = HEADER_TIMEOUT + 8
    trickling = world.call(slowloris, 30, True, limit, timeout=limit + 30)
    silent = world.call(slowloris, 30, False, limit, timeout=limit + 30)
    assert all(t is not None for t in trickling), trickling
    assert all(t is not None for t in silent), silent
    assert max(trickling + silent) <= HEADER_TIMEOUT + 5
    result = client.result()
    assert result["failed"] == 0 and result["ok"] >= 20, result
    assert host.alive()
    assert fetch_policy(world, ADDRESS, POLICY_HOST, trust)["status"] == 200
    metrics = host.metrics()
    assert 'mtasts_host_tls_handshake_failures_total{reason="no_sni"}' in metrics
    assert 'mtasts_host_responses_total{listener="https",status="431"} 1' in metrics, metrics


def test_port_80_answers_challenges_only(world, host):
    def get(path, host_header, method="GET"):
        conn = http.client.HTTPConnection(ADDRESS, 80, timeout=10)
        conn.request(method, path, headers={"Host": host_header})
        resp = conn.getresponse()
        out = resp.status, dict(resp.getheaders()), resp.read()
        conn.close()
        return out

    for path in ("/.well-known/mta-sts.txt", "/", "/.well-known/acme-challenge/unknown-token",
                 "/.well-known/acme-challenge/../../etc/passwd"):
        status, headers, body = world.call(get, path, POLICY_HOST)
        assert status == 404, (path, status, body)
        assert "Location" not in headers and "location" not in headers
        assert b"STSv1" not in body


def test_admin_api_refuses_bad_tokens_and_names_the_field(world, host):
    status, body = host.api("GET", "/v1/domains", token=None)
    assert status == 401 and body["error"]["message"], body
    status, body = host.api("GET", "/v1/domains", token="x" * 48)
    assert status == 401, body
    status, body = host.api("GET", "/v1/domains", token=host.token + "x")
    assert status == 401, body
    # Another token of the file works, under its own name in the audit log.
    other = host.token_path.read_text().splitlines()[1].split()[1]
    status, body = host.api("PATCH", f"/v1/domains/{DOMAIN}", {"mode": "enforce"}, token=other)
    assert status == 200 and body["mode"] == "enforce", body
    status, audit = host.api("GET", f"/v1/audit?domain={DOMAIN}")
    assert audit["entries"][0]["actor"] == "api:other" and audit["entries"][0]["action"] == \
        "domain.set"
    cases = [
        (b"{not json", ""),
        (b"[]", ""),
        (json.dumps({"domain": 5}).encode(), "domain"),
        (json.dumps({"domain": "new.hhost.test", "mx": ["mx1.new.hhost.test", 7]}).encode(),
         "mx[1]"),
        (json.dumps({"domain": "new.hhost.test", "mx": ["mx1.x", "bad..name"]}).encode(),
         "mx[1]"),
        (json.dumps({"domain": "new.hhost.test", "max_age": "86400", "mx": ["a.b"]}).encode(),
         "max_age"),
        (json.dumps({"domain": "new.hhost.test", "mode": "strict", "mx": ["a.b"]}).encode(),
         "mode"),
        (json.dumps({"domain": "new.hhost.test", "colour": "blue", "mx": ["a.b"]}).encode(),
         "colour"),
    ]
    for raw, field in cases:
        status, body = host.api("POST", "/v1/domains", raw=raw)
        assert status == 400, (raw, status, body)
        assert body["error"]["field"] == field, (raw, body)
    status, body = host.api("PATCH", f"/v1/domains/{DOMAIN}", raw=b"{}")
    assert status == 400 and body["error"]["field"] == "", body
    status, body = host.api("POST", "/v1/domains", raw=b'{"domain": "' + b"a" * 70_000 + b'"}')
    assert status == 413, (status, body)
    status, body = host.api("GET", "/v1/domains/unknown.hhost.test")
    assert status == 404 and body["error"]["field"] == "domain", body
    status, body = host.api("PUT", "/v1/domains")
    assert status == 405, body
    status, body = host.api("POST", "/v1/domains", {"domain": DOMAIN, "mx": ["mx1.hx.hhost.test"]})
    assert status == 409, body
    status, listed = host.api("GET", "/v1/domains")
    assert [d["domain"] for d in listed["domains"]] == [DOMAIN]
    r = host.cli("domain", "add", "new.hhost.test", "--mx", "bad..name")
    assert r.returncode == 1 and "HTTP 400: mx[0]:" in r.stderr, r.stderr
    r = host.cli("domain", "show", DOMAIN, "--token-file", str(host.state_dir / "host.yml"))
    assert r.returncode == 2, r.stderr
