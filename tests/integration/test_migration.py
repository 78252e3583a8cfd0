"""Migration from postfix-mta-sts-resolver, as docs/migration.md tells an administrator to do it.

The real peer (Debian's `mta-sts-daemon`) runs from its own config file with a SQLite cache,
fetches and caches the world's policies (asked through socketmap), and is stopped. Then the
world turns against the switch-over: one enforce domain loses its `_mta-sts` TXT record and its
policy host, another only its policy host. A real Postfix, configured for the peer, defers a
mail to the first while nothing answers. `mtasts cache import` copies the peer's cache into a
fresh mtasts cache, and `mtasts daemon`, started on the peer's address with no file of its own,
answers both domains with their enforce policies, which it can only know from the import (a
control run without the import answers NOTFOUND); the deferred mail then goes out over verified
TLS to the MX the policy allows, main.cf untouched.

The fallback to the peer's file is exercised at the real paths: the mtasts commands run in a
private mount namespace (`unshare --mount`) where the test's peer config is bind-mounted over
/etc/mta-sts-daemon.yml and an empty tmpfs hides /etc/mtasts, so the binary's own lookup of
/etc/mtasts/daemon.yml then /etc/mta-sts-daemon.yml is what runs.

The import's edges run on copies of the peer's database: a non-SQLite, a damaged and a foreign
SQLite file (exit 2, nothing written), malformed rows (skipped, exit 1, the rest imported), a
second import (nothing changes), a newer entry already cached (kept), --dry-run (nothing
written).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from world import Domain, Policy
from world.peer import MtastsDaemon, PeerDaemon, daemon_config, write_config
from world.postfix import Postfix

PORT = 18471
PEER_ETC = Path("/etc/mta-sts-daemon.yml")
ENFORCE = "mig-enforce.test"  # loses its TXT record and its policy host
HOSTLESS = "mig-hostless.test"  # loses its policy host only
TESTING = "mig-testing.test"
DOMAINS = (ENFORCE, HOSTLESS, TESTING)
NF = "NOTFOUND "


def sts(name: str, mode: str = "enforce") -> Domain:
    return Domain(name, sts="v=STSv1; id=20240501", policy=Policy(mode=mode, mx=[f"mx1.{name}"]),
                  mx=[f"mx1.{name}"], ttl=1)


WORLD_DOMAINS = [sts(ENFORCE), sts(HOSTLESS), sts(TESTING, "testing")]


def ok(domain: str) -> str:
    return f"OK secure match=mx1.{domain} servername=hostname"


def with_peer_etc(peer_cfg: Path, cmd: list) -> list[str]:
    """`cmd` in a private mount namespace where /etc/mta-sts-daemon.yml is `peer_cfg` and
    /etc/mtasts is empty."""
    script = (f"mount --bind {shlex.quote(str(peer_cfg))} {PEER_ETC} && "
              "if [ -e /etc/mtasts ]; then mount -t tmpfs tmpfs /etc/mtasts; fi && "
              'exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
            *[str(c) for c in cmd]]


class PeerFileMtasts(MtastsDaemon):
    """`mtasts daemon` without -c, seeing the peer's config at /etc/mta-sts-daemon.yml."""

    def command(self) -> list[str]:
        return with_peer_etc(self.config_path, [self.binary, "daemon"])


def run(cmd: list, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          timeout=timeout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy of an SQLite database (its WAL included), through SQLite's backup."""
    with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as s, sqlite3.connect(dst) as d:
        s.backup(d)
    return dst


def peer_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return c.execute("SELECT domain, ts, pol_id, pol_body FROM sts_policy_cache "
                         "ORDER BY domain").fetchall()


@pytest.fixture(scope="module")
def peer_setup(world):
    """The peer's config file (SQLite cache in the world directory) and the mtasts state
    directory it names (its `mtasts:` section, which the peer ignores)."""
    if not PEER_ETC.is_file():
        pytest.fail(f"{PEER_ETC} is missing: the fallback test bind-mounts over it; install "
                    "postfix-mta-sts-resolver (scripts/install-e2e-deps.sh)", pytrace=False)
    db = Path(world.dir) / "mig-peer-cache.db"
    cfg = daemon_config(world, PORT, cache={"type": "sqlite", "options": {"filename": str(db)}})
    path = write_config(world, cfg, "mig-mta-sts-daemon.yml")
    return path, db, Path(cfg["mtasts"]["state_dir"])


@pytest.fixture(scope="module")
def peer_db(world, peer_setup) -> Path:
    """The peer's cache after it answered every domain once, the peer stopped."""
    path, db, _ = peer_setup
    # The peer treats a DNS answer slower than its timeout as no policy, without a log line;
    # the resolver's first answers in a fresh world can be that slow.
    for d in DOMAINS:
        world.dns.dig(f"_mta-sts.{d}")
        world.dns.dig(f"mta-sts.{d}", "A")
    peer = PeerDaemon(world, path, name="mig-peer").start()
    try:
        replies = {}
        for d in DOMAINS:
            for _ in range(3):  # bounded: a cold resolver, never a wrong answer, is retried
                replies[d] = peer.query("postfix", d)
                if replies[d] != NF or d == TESTING:
                    break
                time.sleep(1)
    finally:
        peer.stop()
    assert replies == {ENFORCE: ok(ENFORCE), HOSTLESS: ok(HOSTLESS), TESTING: NF}
    assert [r[0] for r in peer_rows(db)] == sorted(DOMAINS)
    return db


def own_config(tmp_path: Path, name: str = "cache.db") -> Path:
    """An mtasts config naming a SQLite cache of its own in tmp_path."""
    cfg = tmp_path / "daemon.yml"
    cfg.write_text(f"cache:\n  type: sqlite\n  options:\n    filename: {tmp_path / name}\n"
                   f"mtasts:\n  state_dir: {tmp_path / 'state'}\n")
    return cfg


def import_json(mtasts_bin: str, db: Path, cfg: Path, *extra: str) -> tuple[int, dict, str]:
    r = run([mtasts_bin, "cache", "import", db, "-c", cfg, "--json", *extra])
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else {}), r.stderr


def export(mtasts_bin: str, cfg: Path) -> list[dict]:
    r = run([mtasts_bin, "cache", "export", "-c", cfg])
    assert r.returncode == 0, r.stderr
    return sorted((json.loads(line) for line in r.stdout.splitlines()),
                  key=lambda e: e["domain"])


def test_switch_over_keeps_the_peers_enforced_policies(world, peer_setup, peer_db, mtasts_bin):
    path, _, state = peer_setup
    peer_before = sha256(peer_db)
    # Postfix as configured for the peer; its main.cf is never touched below.
    postfix = Postfix(world, policy_map=f"socketmap:inet:127.0.0.1:{PORT}:postfix").start()
    rcpt = f"user@{ENFORCE}"
    world.dns.set_txt(f"_mta-sts.{ENFORCE}", None)
    world.set_policy(ENFORCE, None)
    world.set_policy(HOSTLESS, None)
    try:
        # The gap between stopping the peer and starting mtasts: the policy lookup fails and
        # Postfix defers the mail (docs/migration.md, step 2).
        postfix.send("sender@sender.test", rcpt)
        gap = postfix.wait_status(rcpt, {"deferred", "sent", "bounced"})
        assert (gap.status, gap.dsn, gap.relay) == ("deferred", "4.7.5", "none"), gap.line
        tried = len(postfix.deliveries(rcpt))

        # Control: without the import, mtasts cannot know either policy any more.
        shutil.rmtree(state, ignore_errors=True)
        control = PeerFileMtasts(world, path, binary=mtasts_bin, name="mig-control").start()
        try:
            assert control.query("postfix", ENFORCE) == NF
            assert control.query("postfix", HOSTLESS) == NF
        finally:
            control.stop()
        shutil.rmtree(state, ignore_errors=True)

        imported = world.run(with_peer_etc(path, [mtasts_bin, "cache", "import", peer_db,
                                                  "--json"]), timeout=60)
        assert imported.returncode == 0, imported.stderr
        report = json.loads(imported.stdout)
        # The peer's file names its own database; mtasts writes to its own, and says so.
        assert report["target"] == f"sqlite {state}/cache.db"
        assert f"is postfix-mta-sts-resolver's cache; mtasts keeps its own at {state}/cache.db" \
            in imported.stderr
        assert report["counts"]["added"] == 3 and report["counts"]["skipped"] == 0
        assert {e["domain"]: e["mode"] for e in report["entries"]} == {
            ENFORCE: "enforce", HOSTLESS: "enforce", TESTING: "testing"}
        assert sha256(peer_db) == peer_before  # read only: a roll-back finds it as it was

        daemon = PeerFileMtasts(world, path, binary=mtasts_bin, name="mig-mtasts").start()
        try:
            assert daemon.address == ("127.0.0.1", PORT)
            assert daemon.query("postfix", ENFORCE) == ok(ENFORCE)
            assert daemon.query("postfix", HOSTLESS) == ok(HOSTLESS)
            assert daemon.query("postfix", TESTING) == NF
            # The deferred mail now goes out, over verified TLS to the MX the policy allows.
            postfix.flush()
            sent = postfix.wait_status(rcpt, {"sent", "bounced"}, after=tried, flush_every=5)
            assert sent.status == "sent" and sent.tls == "Verified", sent.line
            assert sent.relay_host == f"mx1.{ENFORCE}"
            log = daemon.log_path.read_text()
        finally:
            daemon.stop()
        peer_lines = [line for line in log.splitlines() if "config-from-peer" in line]
        assert len(peer_lines) == 1 and f"file={PEER_ETC}" in peer_lines[0], log
    finally:
        postfix.stop()
        world.set_policy(ENFORCE, Policy(mx=[f"mx1.{ENFORCE}"]))
        world.set_policy(HOSTLESS, Policy(mx=[f"mx1.{HOSTLESS}"]))
        world.dns.set_txt(f"_mta-sts.{ENFORCE}", "v=STSv1; id=20240501")


def test_import_keeps_id_and_fetch_time(peer_db, tmp_path, mtasts_bin):
    cfg = own_config(tmp_path)
    code, report, err = import_json(mtasts_bin, peer_db, cfg)
    assert code == 0, err
    peer = {d: (ts, pol_id, json.loads(body)) for d, ts, pol_id, body in peer_rows(peer_db)}
    for entry in export(mtasts_bin, cfg):
        ts, pol_id, body = peer[entry["domain"]]
        assert entry["id"] == pol_id
        assert entry["mode"] == body["mode"] and entry["mx"] == body["mx"]
        assert entry["max_age"] == body["max_age"]
        fetched = subprocess.run(["date", "-u", "-d", f"@{ts}", "+%Y-%m-%dT%H:%M:%SZ"],
                                 capture_output=True, text=True).stdout.strip()
        expires = subprocess.run(["date", "-u", "-d", f"@{ts + body['max_age']}",
                                  "+%Y-%m-%dT%H:%M:%SZ"], capture_output=True,
                                 text=True).stdout.strip()
        assert (entry["fetched_at"], entry["expires_at"]) == (fetched, expires)


def test_import_twice_changes_nothing(peer_db, tmp_path, mtasts_bin):
    cfg = own_config(tmp_path)
    code, first, err = import_json(mtasts_bin, peer_db, cfg)
    assert code == 0, err
    assert first["counts"]["added"] == 3
    before = export(mtasts_bin, cfg)
    code, second, err = import_json(mtasts_bin, peer_db, cfg)
    assert code == 0, err
    assert second["counts"]["unchanged"] == 3
    assert second["counts"]["added"] == second["counts"]["replaced"] == 0
    assert export(mtasts_bin, cfg) == before


def test_newer_cached_entry_is_kept(peer_db, tmp_path, mtasts_bin):
    cfg = own_config(tmp_path)
    assert import_json(mtasts_bin, peer_db, cfg)[0] == 0
    before = export(mtasts_bin, cfg)
    older = copy_db(peer_db, tmp_path / "older.db")
    with sqlite3.connect(older) as c:
        c.execute("UPDATE sts_policy_cache SET ts = ts - 100, pol_id = 'older' "
                  "WHERE domain = ?", (ENFORCE,))
    code, report, err = import_json(mtasts_bin, older, cfg)
    assert code == 0, err
    outcomes = {e["domain"]: e["outcome"] for e in report["entries"]}
    assert outcomes[ENFORCE] == "kept-newer"
    assert export(mtasts_bin, cfg) == before


def test_dry_run_writes_nothing(peer_db, tmp_path, mtasts_bin):
    cfg = own_config(tmp_path)
    r = run([mtasts_bin, "cache", "import", peer_db, "-c", cfg, "--dry-run"])
    assert r.returncode == 0, r.stderr
    assert "would write 3 of 3 policies" in r.stdout and "nothing written" in r.stdout
    assert not (tmp_path / "cache.db").exists()


def test_malformed_rows_skipped_others_imported(peer_db, tmp_path, mtasts_bin):
    bad = copy_db(peer_db, tmp_path / "bad-rows.db")
    with sqlite3.connect(bad) as c:
        ts = c.execute("SELECT max(ts) FROM sts_policy_cache").fetchone()[0]
        # Both were written by the peer for real senders: enforce without mx (the peer checks
        # `mx` only before caching; a hand-edited or older row), and a body that is not JSON.
        c.execute("INSERT INTO sts_policy_cache VALUES ('mig-nomx.test', ?, '1', ?)",
                  (ts, json.dumps({"mx": [], "version": "STSv1", "mode": "enforce",
                                   "max_age": 86400})))
        c.execute("INSERT INTO sts_policy_cache VALUES ('mig-garbage.test', ?, '1', '{oops')",
                  (ts,))
        c.execute("INSERT INTO sts_policy_cache VALUES ('mig-badid.test', ?, 'bad_id!', ?)",
                  (ts, json.dumps({"mx": ["mx1.mig-badid.test"], "version": "STSv1",
                                   "mode": "enforce", "max_age": 86400})))
    cfg = own_config(tmp_path)
    r = run([mtasts_bin, "cache", "import", bad, "-c", cfg])
    assert r.returncode == 1, r.stderr
    assert "3 added" in r.stdout and "3 skipped" in r.stdout, r.stdout
    for domain, why in (("mig-nomx.test", 'needs at least one "mx:" line'),
                        ("mig-garbage.test", "not JSON"),
                        ("mig-badid.test", "not an RFC 8461 id")):
        line = next((x for x in r.stderr.splitlines() if f"({domain})" in x), "")
        assert "skipped row" in line and why in line, r.stderr
        assert run([mtasts_bin, "cache", "show", domain, "-c", cfg]).returncode == 1
    assert [e["domain"] for e in export(mtasts_bin, cfg)] == sorted(DOMAINS)


def test_unreadable_peer_files_exit_2_and_write_nothing(peer_db, tmp_path, mtasts_bin):
    text = tmp_path / "text.db"
    text.write_text("not a database, but a text file of some length\n" * 20)
    damaged = copy_db(peer_db, tmp_path / "damaged.db")
    data = bytearray(damaged.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page after the first overwritten
    damaged.write_bytes(bytes(data))
    foreign = tmp_path / "foreign.db"
    assert import_json(mtasts_bin, peer_db, own_config(tmp_path, "foreign.db"))[0] == 0
    cases = [(text, "file is not a database"), (damaged, "is damaged"),
             (foreign, "no table sts_policy_cache"), (tmp_path / "missing.db", "no such file")]
    for db, why in cases:
        cfg = own_config(tmp_path, "target.db")
        r = run([mtasts_bin, "cache", "import", db, "-c", cfg])
        assert r.returncode == 2, (db, r.stdout, r.stderr)
        assert f"peer cache {db}" in r.stderr and why in r.stderr, r.stderr
        assert not (tmp_path / "target.db").exists()
    r = run([mtasts_bin, "cache", "import", "-c", own_config(tmp_path, "target.db")])
    assert r.returncode == 2 and "FILE is required" in r.stderr


REDIS_PORT = 16391


def test_import_into_a_redis_cache(world, peer_db, tmp_path, mtasts_bin):
    """The import writes through the store layer the daemon uses, whatever the configured
    backend: here a Redis server in the world (needs redis-server: scripts/start-test-stores.sh
    installs it)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: run scripts/start-test-stores.sh", pytrace=False)
    proc = world.spawn("mig-redis", ["redis-server", "--port", str(REDIS_PORT), "--bind",
                                     "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                     str(tmp_path)])
    try:
        world.wait_port("127.0.0.1", REDIS_PORT, timeout=20)
        cfg = tmp_path / "redis.yml"
        cfg.write_text(f"cache:\n  type: redis\n  options:\n"
                       f"    url: redis://127.0.0.1:{REDIS_PORT}/0\n"
                       f"mtasts:\n  state_dir: {tmp_path / 'state'}\n")
        runs = []
        for _ in range(2):
            r = world.run([mtasts_bin, "cache", "import", peer_db, "-c", cfg, "--json"])
            assert r.returncode == 0, r.stderr
            runs.append(json.loads(r.stdout)["counts"])
        assert runs[0]["added"] == 3 and runs[1]["unchanged"] == 3, runs
        out = world.run([mtasts_bin, "cache", "export", "-c", cfg])
        assert out.returncode == 0, out.stderr
        exported = {e["domain"]: e["id"] for e in map(json.loads, out.stdout.splitlines())}
        assert exported == {d: pol_id for d, _, pol_id, _ in peer_rows(peer_db)}
    finally:
        proc.stop()


def test_import_into_the_peers_own_file_is_refused(peer_db, tmp_path, mtasts_bin):
    """A configuration whose SQLite file is the peer's database: the import refuses rather than
    add mtasts' tables to the file a roll-back needs as it was."""
    db = copy_db(peer_db, tmp_path / "cache.db")
    before = sha256(db)
    r = run([mtasts_bin, "cache", "import", db, "-c", own_config(tmp_path, "cache.db")])
    assert r.returncode == 2, r.stdout
    assert "is both the peer's cache and the one configured for mtasts" in r.stderr, r.stderr
    assert sha256(db) == before
