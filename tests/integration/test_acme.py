"""The ACME client (net/acme_client.hpp) against a real CA: pebble in the test world.

tests/tools/acme_tool drives the real AcmeClient: account creation and reuse, orders answered by
HTTP-01 (key authorizations written to files that a responder serves on port 80 of the address
the names resolve to) and by TLS-ALPN-01 (the tool serves the RFC 8737 certificates on port 443
itself), a challenge answered wrongly, and an unreachable or silent CA.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from world import Domain, Record
from world.pebble import Pebble

HTTP01_ADDRESS = "127.0.5.1"
ALPN_ADDRESS = "127.0.5.2"
SILENT_ADDRESS = "127.0.4.9"
HTTP01_NAMES = ["one.acme.test", "two.acme.test", "three.acme.test", "bad.acme.test"]
ALPN_NAMES = ["alpn.acme.test", "alpn2.acme.test"]

WORLD_DOMAINS = [
    Domain("acme.test", records=[Record(n, "A", HTTP01_ADDRESS) for n in HTTP01_NAMES]
           + [Record(n, "A", ALPN_ADDRESS) for n in ALPN_NAMES]),
]


@pytest.fixture(scope="module")
def pebble(world):
    # Every order validates afresh (pebble reuses valid authorizations half the time otherwise),
    # so each test sees its own challenges; badNonce rejection stays at pebble's default.
    ca = Pebble(world, env={"PEBBLE_AUTHZREUSE": "0"})
    ca.start()
    yield ca
    ca.stop()


@pytest.fixture(scope="module")
def http01_dir(world):
    d = Path(world.dir) / "acme-http01"
    d.mkdir(exist_ok=True)
    ready = Path(world.dir) / "acme-responder.ready"
    proc = world.spawn("acme-responder",
                       ["/usr/bin/python3", "-m", "world.acme_responder", str(d), HTTP01_ADDRESS,
                        "80", str(Path(world.dir) / "acme-responder.jsonl"), str(ready)],
                       env=world._py_env())
    deadline = time.monotonic() + 10
    while not ready.exists():
        assert proc.alive(), proc.log_tail()
        assert time.monotonic() < deadline, "the HTTP-01 responder did not start"
        time.sleep(0.05)
    yield d
    proc.stop()


@pytest.fixture(scope="module")
def acme_tool(tools_dir) -> str:
    path = Path(tools_dir) / "acme_tool"
    if not os.access(path, os.X_OK):
        pytest.fail(f"no acme_tool at {path}: build the tests (cmake --build --preset ci) or set "
                    "MTASTS_TOOLS_DIR", pytrace=False)
    return str(path)


def run_tool(world, acme_tool, pebble, tmp_path, *args, directory=None, timeout=120,
             account=None):
    account = account or tmp_path / "account.json"
    cmd = [acme_tool, "--directory", directory or pebble.directory_url,
           "--ca-file", str(world.ca_file), "--account", str(account),
           "--contact", "mailto:hostmaster@acme.test", "--out", str(tmp_path / "cert"), *args]
    started = time.monotonic()
    r = world.run(cmd, timeout=timeout)
    elapsed = time.monotonic() - started
    try:
        out = json.loads(r.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"acme_tool printed no JSON (exit {r.returncode}):\n{r.stdout}\n{r.stderr}\n"
                    f"pebble:\n{pebble.log_tail() if pebble else ''}")
    return r.returncode, out, elapsed


def load_chain(path) -> list[x509.Certificate]:
    """Every certificate of a PEM file, in order (Debian's cryptography 38 has no
    load_pem_x509_certificates)."""
    text = Path(path).read_text()
    end = "-----END CERTIFICATE-----"
    blocks = [b + end for b in text.split(end) if "-----BEGIN CERTIFICATE-----" in b]
    return [x509.load_pem_x509_certificate(b.strip().encode()) for b in blocks]


def check_issued(world, pebble, out, names, tmp_path):
    """The chain verifies against pebble's root for every name, the key matches the leaf, and
    the validity is now."""
    cert = out["certificate"]
    chain = load_chain(cert["chain_file"])
    assert len(chain) >= 2, "leaf and at least one intermediate"
    leaf = chain[0]
    key = serialization.load_pem_private_key(Path(cert["key_file"]).read_bytes(), None)
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted(names)
    now = time.time()
    assert cert["not_before"] <= now + 60
    assert cert["not_after"] > now + 86400
    assert cert["not_after"] == int(leaf.not_valid_after.replace(
        tzinfo=datetime.timezone.utc).timestamp())
    leaf_file = tmp_path / "leaf.pem"
    leaf_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    for name in names:
        r = subprocess.run(["openssl", "verify", "-CAfile", str(pebble.root_file),
                            "-untrusted", cert["chain_file"], "-purpose", "sslserver",
                            "-verify_hostname", name, str(leaf_file)],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 0 and ": OK" in r.stdout, r.stdout + r.stderr
    # The world's own test CA did not sign it: the chain really is pebble's.
    r = subprocess.run(["openssl", "verify", "-CAfile", str(world.ca_file), "-untrusted",
                        cert["chain_file"], str(leaf_file)], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0


def responder_requests(world) -> list[dict]:
    path = Path(world.dir) / "acme-responder.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_account_is_created_then_reused(world, pebble, acme_tool, tmp_path):
    code, first, _ = run_tool(world, acme_tool, pebble, tmp_path)
    assert code == 0, first
    assert first["account_reused"] is False
    assert first["account_url"].startswith(f"https://{pebble.name}:14000/")
    saved = json.loads((tmp_path / "account.json").read_text())
    assert saved["url"] == first["account_url"] and "PRIVATE KEY" in saved["key_pem"]

    code, second, _ = run_tool(world, acme_tool, pebble, tmp_path)
    assert code == 0, second
    assert second["account_reused"] is True
    assert second["account_url"] == first["account_url"]


def test_http01_certificate_for_one_name(world, pebble, acme_tool, http01_dir, tmp_path):
    before = len(responder_requests(world))
    code, out, _ = run_tool(world, acme_tool, pebble, tmp_path, "--name", "one.acme.test",
                            "--http01-dir", str(http01_dir))
    assert code == 0, (out, pebble.log_tail())
    check_issued(world, pebble, out, ["one.acme.test"], tmp_path)
    seen = responder_requests(world)[before:]
    assert any(r["host"].startswith("one.acme.test") and r["status"] == 200 for r in seen), seen
    assert list(http01_dir.iterdir()) == [], "every challenge is withdrawn"


def test_http01_certificate_for_several_names(world, pebble, acme_tool, http01_dir, tmp_path):
    names = ["two.acme.test", "three.acme.test", "one.acme.test"]
    code, out, _ = run_tool(world, acme_tool, pebble, tmp_path, *sum([["--name", n]
                                                                      for n in names], []),
                            "--http01-dir", str(http01_dir))
    assert code == 0, (out, pebble.log_tail())
    check_issued(world, pebble, out, names, tmp_path)
    leaf = load_chain(out["certificate"]["chain_file"])[0]
    cn = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    assert not cn or cn[0].value in names  # pebble may copy the CSR's CN (the first name)


def test_tls_alpn01_certificate(world, pebble, acme_tool, tmp_path):
    code, out, _ = run_tool(world, acme_tool, pebble, tmp_path, "--challenge", "tls-alpn-01",
                            "--tls-alpn-listen", f"{ALPN_ADDRESS}:443",
                            *sum([["--name", n] for n in ALPN_NAMES], []))
    assert code == 0, (out, pebble.log_tail())
    check_issued(world, pebble, out, ALPN_NAMES, tmp_path)


def test_wrong_key_authorization_ends_in_the_problem(world, pebble, acme_tool, http01_dir,
                                                     tmp_path):
    code, out, elapsed = run_tool(world, acme_tool, pebble, tmp_path, "--name", "bad.acme.test",
                                  "--http01-dir", str(http01_dir), "--wrong-key-authorization",
                                  "--order-timeout", "60")
    assert code == 1, out
    err = out["error"]
    assert err["code"] == "invalid", err
    assert err["problem_type"].startswith("urn:ietf:params:acme:error:"), err
    assert "bad.acme.test" in err["message"], err
    assert elapsed < 60 + 15
    assert "certificate" not in out
    assert list(http01_dir.iterdir()) == [], "the failed challenge is withdrawn too"


def test_unreachable_ca_ends_within_the_timeout(world, acme_tool, tmp_path):
    # Nothing listens: the connection is refused at once.
    code, out, elapsed = run_tool(world, acme_tool, None, tmp_path, "--timeout", "5",
                                  directory="https://pebble.test:14999/dir")
    assert code == 1, out
    assert out["error"]["code"] == "transport", out
    assert elapsed < 5 + 10


def test_silent_ca_ends_within_the_timeout(world, acme_tool, tmp_path):
    # A listener that never accepts: TCP connects (the kernel's backlog), TLS never starts.
    def listen():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((SILENT_ADDRESS, 14000))
        s.listen(16)
        return s

    silent = world.call(listen)
    try:
        code, out, elapsed = run_tool(world, acme_tool, None, tmp_path, "--timeout", "3",
                                      directory=f"https://{SILENT_ADDRESS}:14000/dir")
    finally:
        silent.close()
    assert code == 1, out
    assert out["error"]["code"] == "timeout", out
    assert 2 < elapsed < 3 + 10
