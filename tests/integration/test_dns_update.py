"""RFC 2136 dynamic updates signed with RFC 8945 TSIG, by mtasts's DnsUpdater (net/dns_updater.hpp),
against the world's real knot; results read back with dig from knot directly and through unbound.

The updater is driven by tests/tools/dns_update_tool (built with the tests): found in
$MTASTS_TOOLS_DIR, by default the `tests` directory of the build that holds $MTASTS_BIN
(build/ci/app/mtasts -> build/ci/tests).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from world import UpdateZone
from world.dns import AUTH_ADDR

ZONE = "sts.provider.test"
KEY = "mtasts-update"

WORLD_ZONES = [
    UpdateZone(ZONE, key_name=KEY),
    UpdateZone("sha512.provider.test", key_name="mtasts-update-512", algorithm="hmac-sha512"),
    UpdateZone("sha1.provider.test", key_name="mtasts-update-1", algorithm="hmac-sha1"),
]


@pytest.fixture(scope="module")
def tool(tools_dir) -> str:
    path = Path(tools_dir) / "dns_update_tool"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"no dns_update_tool in {tools_dir}: build the tests "
                    "(cmake --build --preset ci) or set MTASTS_TOOLS_DIR", pytrace=False)
    return str(path)


def update(world, tool: str, *args: str, zone: str = ZONE, key: UpdateZone | None = None,
           key_args: list[str] | None = None, server: str = AUTH_ADDR):
    z = key or world.update_zone(zone)
    if key_args is None:
        key_args = ["--key-name", z.key_name, "--key-alg", z.algorithm, "--key-secret", z.secret]
    cmd = [tool, "--server", server, "--port", "53", "--zone", zone, "--timeout-ms", "5000",
           *key_args, *args]
    return world.run(cmd, timeout=20)


def txt_records(world, name: str, server: str = AUTH_ADDR) -> list[str]:
    """Each TXT RR at `name` as its character-strings joined, from `server` (flushing unbound's
    cache first when asking it)."""
    if server != AUTH_ADDR:
        world.dns.flush(name)
    r = world.dns.dig(name, "TXT", server=server, extra=["+short", "+tries=1", "+time=3"])
    assert r.returncode == 0, r.stderr
    out = []
    for line in r.stdout.splitlines():
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
        if strings:
            out.append("".join(strings))
    return sorted(out)


def txt_strings(world, name: str) -> list[list[str]]:
    r = world.dns.dig(name, "TXT", server=AUTH_ADDR, extra=["+short"])
    return [re.findall(r'"((?:[^"\\]|\\.)*)"', line) for line in r.stdout.splitlines() if line]


def status(world, name: str, server: str = AUTH_ADDR) -> str:
    if server != AUTH_ADDR:
        world.dns.flush(name)
    r = world.dns.dig(name, "TXT", server=server)
    m = re.search(r"status: (\w+)", r.stdout)
    assert m, r.stdout + r.stderr
    return m.group(1)


def test_txt_appears_changes_and_disappears(world, tool):
    owner = f"example.com.{ZONE}"
    r = update(world, tool, "replace", owner, "1", "v=STSv1; id=1")
    assert r.returncode == 0, r.stderr
    assert txt_records(world, owner) == ["v=STSv1; id=1"]
    assert txt_records(world, owner, server=world.resolver) == ["v=STSv1; id=1"]

    # A replace leaves one record, not two (RFC 2136 §2.5.2 delete, then §2.5.1 add).
    r = update(world, tool, "replace", owner, "1", "v=STSv1; id=2")
    assert r.returncode == 0, r.stderr
    assert txt_records(world, owner) == ["v=STSv1; id=2"]
    assert txt_records(world, owner, server=world.resolver) == ["v=STSv1; id=2"]

    r = update(world, tool, "remove", owner)
    assert r.returncode == 0, r.stderr
    assert txt_records(world, owner) == []
    assert status(world, owner) == "NXDOMAIN"
    assert status(world, owner, server=world.resolver) == "NXDOMAIN"

    # Removing what is not there is not an error.
    r = update(world, tool, "remove", owner)
    assert r.returncode == 0, r.stderr


def test_long_txt_is_split_and_reassembles(world, tool):
    owner = f"long.{ZONE}"
    text = "v=STSv1; id=" + "".join(chr(ord("a") + i % 26) for i in range(600))
    r = update(world, tool, "replace", owner, "60", text)
    assert r.returncode == 0, r.stderr
    strings = txt_strings(world, owner)
    assert len(strings) == 1  # one RR ...
    assert [len(s) for s in strings[0]] == [255, 255, len(text) - 510]  # ... of three strings
    assert txt_records(world, owner) == [text]
    assert txt_records(world, owner, server=world.resolver) == [text]


def refused_update(world, tool: str, owner: str, *args: str, **kw) -> str:
    """Publishes "v=STSv1; id=keep" at `owner`, then runs update(world, tool, *args, **kw),
    which must exit 1 and leave that record as it was; the update's stderr."""
    assert update(world, tool, "replace", owner, "1", "v=STSv1; id=keep").returncode == 0
    r = update(world, tool, *args, **kw)
    assert r.returncode == 1, r.stdout + r.stderr
    assert txt_records(world, owner) == ["v=STSv1; id=keep"]
    return r.stderr


def test_wrong_secret_is_refused_and_record_unchanged(world, tool):
    owner = f"keep.{ZONE}"
    wrong = UpdateZone(ZONE, key_name=KEY, secret="d3Jvbmcgc2VjcmV0IG9mIDMyIGJ5dGVzIGxvbmcgISE=")
    err = refused_update(world, tool, owner, "replace", owner, "1", "v=STSv1; id=evil", key=wrong)
    assert "BADSIG" in err and f"'{KEY}'" in err, err


def test_unknown_key_is_refused(world, tool):
    owner = f"keep2.{ZONE}"
    stranger = UpdateZone(ZONE, key_name="nobody-knows-me")
    err = refused_update(world, tool, owner, "remove", owner, key=stranger)
    assert "BADKEY" in err and "'nobody-knows-me'" in err, err


def test_key_of_another_zone_is_refused(world, tool):
    owner = f"keep3.{ZONE}"
    other = world.update_zone("sha512.provider.test")
    err = refused_update(world, tool, owner, "replace", owner, "1", "v=STSv1; id=evil", key=other)
    # knot answers BADKEY for a key its zone's ACL does not allow.
    assert "BADKEY" in err and "'mtasts-update-512'" in err, err


def test_unsigned_update_is_refused(world, tool):
    owner = f"keep4.{ZONE}"
    err = refused_update(world, tool, owner, "remove", owner, key_args=[])
    assert "(NOTAUTH)" in err and "whether the zone needs a TSIG key" in err, err


def test_zone_the_server_does_not_have(world, tool):
    z = world.update_zone(ZONE)
    r = update(world, tool, "replace", "a.nope.provider.test", "1", "x", zone="nope.provider.test",
               key=z)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "zone 'nope.provider.test'" in r.stderr and "(NOTAUTH)" in r.stderr, r.stderr


def test_owner_outside_zone_is_rejected_before_sending(world, tool):
    # Nothing listens on 127.0.0.98: an attempt to send would fail to connect instead.
    r = update(world, tool, "replace", "example.com", "1", "v=STSv1; id=1", server="127.0.0.98")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not inside zone 'sts.provider.test'" in r.stderr, r.stderr
    assert "connect" not in r.stderr, r.stderr


@pytest.mark.parametrize("zone", ["sha512.provider.test", "sha1.provider.test"])
def test_other_algorithms(world, tool, zone):
    owner = f"alg.{zone}"
    r = update(world, tool, "replace", owner, "1", f"v=STSv1; id={zone}", zone=zone)
    assert r.returncode == 0, r.stderr
    assert txt_records(world, owner, server=world.resolver) == [f"v=STSv1; id={zone}"]
    assert update(world, tool, "remove", owner, zone=zone).returncode == 0
    assert txt_records(world, owner) == []


def test_key_file_in_knot_form(world, tool):
    z = world.update_zone(ZONE)
    path = world.dir / "update.key"
    path.write_text(f"# {z.algorithm}:{z.key_name}:{z.secret}\nkey:\n  - id: {z.key_name}\n"
                    f"    algorithm: {z.algorithm}\n    secret: {z.secret}\n")
    owner = f"file.{ZONE}"
    r = update(world, tool, "replace", owner, "1", "v=STSv1; id=file",
               key_args=["--key-file", str(path)])
    assert r.returncode == 0, r.stderr
    assert txt_records(world, owner) == ["v=STSv1; id=file"]
