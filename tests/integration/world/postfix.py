"""A private Postfix instance (Debian's 3.7) inside the test world, as the sending MTA.

    pf = Postfix(world, policy_map="socketmap:inet:127.0.0.1:8461:postfix").start()
    pf.send("sender@sender.test", "user@enforce.test")
    d = pf.wait_status("user@enforce.test", {"sent", "bounced"})
    assert d.status == "sent" and d.tls == "Verified"

How (../shared/TESTING.md): `postfix -c DIR start` with DIR holding main.cf and master.cf,
DIR/queue and DIR/data owned by postfix, chroot off, no `smtp inet` listener, logging to
DIR/maillog (DIR under a `maillog_file_prefixes` entry, else a start-up error is silent), and
`smtp_tls_servername = hostname` so the world's MX hosts choose their certificate by SNI.
The policy map is the only TLS policy: `smtp_tls_security_level = may` otherwise.

With `dane=True` Postfix does DANE as deployed senders do: `smtp_dns_support_level = dnssec`
(it trusts the AD bit of the world's validating resolver; its `dnssec_probe = ns:.` passes because
the world's root is signed) and `smtp_tls_security_level = dane` (TLSA records of a secure MX
govern; without them, opportunistic TLS). A policy map answer still overrides that per domain.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Optional

from world.netns import WorldError

# Minimal master.cf: the services a sending-only Postfix uses, chroot column `n` everywhere,
# no `smtp inet` listener (nothing is received over SMTP).
MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
lmtp      unix  -       -       n       -       -       lmtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

HOSTNAME = "sender.mtasts-world.test"

# "Verified TLS connection established to mx.a.test[127.0.0.2]:25: TLSv1.3 with cipher ..."
_TLS_RE = re.compile(r" postfix/smtp\[(\d+)\]: (Verified|Trusted|Untrusted|Anonymous) TLS "
                     r"connection established to ([^\[\s]+)\[([^\]]*)\]:(\d+)")
# "ABC123: to=<u@a.test>, relay=mx.a.test[127.0.0.2]:25, delay=.., dsn=2.0.0, status=sent (...)"
_STATUS_RE = re.compile(r" postfix/(\w+)\[(\d+)\]: ([0-9A-F]+): to=<([^>]*)>, "
                        r"(?:orig_to=<[^>]*>, )?relay=([^,]+), .*?dsn=([\d.]+), "
                        r"status=(\w+) \((.*)\)$")


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One delivery attempt of one recipient, from the maillog.

    status: sent | deferred | bounced | expired; relay: "mx.a.test[127.0.0.2]:25" or "none";
    tls: Verified | Trusted | Untrusted | Anonymous for the connection that produced this line,
    None when the attempt made no TLS connection to the relay; text: Postfix's reason.
    """

    queue_id: str
    rcpt: str
    relay: str
    dsn: str
    status: str
    text: str
    tls: Optional[str]
    line: str

    @property
    def relay_host(self) -> str:
        return self.relay.split("[", 1)[0]


class Postfix:
    """A private Postfix instance in `world`'s namespace, configured by `policy_map` (a Postfix
    table name, e.g. "socketmap:inet:127.0.0.1:8461:postfix"; None: no TLS policy map)."""

    def __init__(self, world, policy_map: Optional[str], directory: Optional[Path] = None,
                 extra: Optional[dict] = None, dane: bool = False) -> None:
        self.world = world
        # The master opens DIR/data/master.lock as the postfix user, so every directory above DIR
        # must be searchable by it; pytest's /tmp/pytest-of-root is not (mode 0700).
        self._own_dir = directory is None
        self.dir = Path(directory or tempfile.mkdtemp(prefix="mtasts-postfix-", dir="/tmp"))
        os.chmod(self.dir, 0o755)
        self.policy_map = policy_map
        self.extra = dict(extra or {})
        self.dane = dane
        self.maillog = self.dir / "maillog"
        self.started = False

    # ----- configuration -----

    def main_cf(self) -> dict:
        d = self.dir
        cf = {
            "compatibility_level": "3.6",
            "queue_directory": str(d / "queue"),
            "data_directory": str(d / "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": HOSTNAME,
            "mydomain": "mtasts-world.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "relayhost": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "smtputf8_enable": "no",
            "biff": "no",
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": "/tmp, /var",
            "smtp_tls_security_level": "may",
            "smtp_tls_CAfile": str(self.world.ca_file),
            "smtp_tls_loglevel": "1",
            "smtp_tls_servername": "hostname",
            "smtp_tls_session_cache_database": "",
            "smtp_tls_policy_maps": self.policy_map or "",
            # Retry quickly, and never give a message up while a test runs.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "bounce_queue_lifetime": "1d",
            "maximal_queue_lifetime": "1d",
            "smtp_connect_timeout": "5s",
            "smtp_helo_timeout": "10s",
            "smtp_starttls_timeout": "10s",
            "delay_warning_time": "0h",
        }
        if self.dane:
            cf["smtp_dns_support_level"] = "dnssec"
            cf["smtp_tls_security_level"] = "dane"
        cf.update(self.extra)
        return cf

    def write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        lines = [f"{k} = {v}".rstrip() for k, v in self.main_cf().items()]
        (self.dir / "main.cf").write_text("\n".join(lines) + "\n")
        (self.dir / "master.cf").write_text(MASTER_CF)
        # queue_directory belongs to root (its subdirectories, made by `postfix check`, to
        # postfix); data_directory to postfix.
        (self.dir / "queue").mkdir(mode=0o755, exist_ok=True)
        data = self.dir / "data"
        data.mkdir(mode=0o700, exist_ok=True)
        shutil.chown(data, "postfix", "postfix")
        self.maillog.touch()

    # ----- lifecycle -----

    def postfix_cmd(self, *args: str, timeout: float = 60.0,
                    check: bool = True) -> subprocess.CompletedProcess:
        """`postfix -c DIR ARGS` inside the namespace."""
        return self._run(["postfix", "-c", str(self.dir), *args], timeout, check)

    def _run(self, cmd: list[str], timeout: float, check: bool,
             input: Optional[str] = None) -> subprocess.CompletedProcess:
        res = self.world.run(cmd, timeout=timeout, input=input)
        if check and res.returncode != 0:
            raise WorldError(f"{' '.join(cmd)} exited {res.returncode}: {res.stderr.strip()}\n"
                             f"maillog:\n{self.log_tail()}")
        return res

    def start(self) -> "Postfix":
        if not shutil.which("postfix"):
            raise WorldError("postfix is not installed: run scripts/install-e2e-deps.sh")
        self.write_config()
        self.postfix_cmd("check", check=False)  # creates missing queue directories
        self.postfix_cmd("start")
        self.started = True
        self._wait_running()
        return self

    def _wait_running(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.postfix_cmd("status", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise WorldError(f"postfix did not start in {timeout}s:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stops the instance (the world's teardown kills whatever is left in the namespace),
        keeps a copy of the maillog in the world's directory, and removes DIR if it made it."""
        if self.started:
            self.started = False
            try:
                self.postfix_cmd("stop", timeout=30, check=False)
            except subprocess.TimeoutExpired:
                pass
        if self.maillog.exists():
            shutil.copyfile(self.maillog, Path(self.world.dir) / f"{self.dir.name}.maillog")
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def reload(self) -> None:
        self.postfix_cmd("reload")

    def set_param(self, name: str, value: str) -> None:
        """`postconf -c DIR -e name=value` (takes effect at the next reload)."""
        self._run(["postconf", "-c", str(self.dir), "-e", f"{name}={value}"], 30, True)

    def remove_policy_map(self) -> None:
        """Drops smtp_tls_policy_maps, reloads, and flushes the queue: what is deferred only by
        the policy then goes out at once (security level `may`). A flush that reaches the old
        queue manager while it exits is lost (the new one is started only on demand, or after
        its 300 s wake-up timer): wait with wait_status(..., flush_every=...) to repeat it."""
        self.set_param("smtp_tls_policy_maps", "")
        self.policy_map = None
        self.reload()
        self.flush()

    def set_policy_map(self, policy_map: str) -> None:
        self.set_param("smtp_tls_policy_maps", policy_map)
        self.policy_map = policy_map
        self.reload()

    def flush(self) -> None:
        """`postqueue -c DIR -f`: attempt every queued message now."""
        self._run(["postqueue", "-c", str(self.dir), "-f"], 30, True)

    def lookup(self, key: str, table: Optional[str] = None) -> subprocess.CompletedProcess:
        """Postfix's own client: `postmap -c DIR -q KEY TABLE` (default: the policy map). The
        reply's first word ("OK") is dropped by Postfix: stdout is e.g. "secure match=..."."""
        table = table or self.policy_map
        if not table:
            raise WorldError("no table to look up: the policy map was removed")
        return self._run(["postmap", "-c", str(self.dir), "-q", key, table], 30, False)

    def queue(self) -> str:
        """`postqueue -c DIR -p` output."""
        return self._run(["postqueue", "-c", str(self.dir), "-p"], 30, False).stdout

    # ----- mail -----

    def send(self, frm: str, rcpt: str, subject: str = "mtasts e2e",
             body: str = "test message\n") -> None:
        """Submits one message with `sendmail -C DIR -f FROM RCPT`."""
        msg = (f"From: <{frm}>\nTo: <{rcpt}>\nSubject: {subject}\n"
               f"Message-Id: <{time.time_ns()}.{os.getpid()}@{HOSTNAME}>\n\n{body}")
        self._run(["sendmail", "-C", str(self.dir), "-f", frm, "-i", rcpt], 30, True,
                  input=msg)

    def send_message(self, frm: str, rcpt: str, message: bytes) -> None:
        """Submits `message` (header and body, as built by the caller: signed, say) with
        `sendmail -C DIR -f FROM -i RCPT`."""
        self._run(["sendmail", "-C", str(self.dir), "-f", frm, "-i", rcpt], 30, True,
                  input=message.decode("utf-8", errors="surrogateescape"))

    def log_text(self) -> str:
        try:
            return self.maillog.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def deliveries(self, rcpt: Optional[str] = None) -> list[Delivery]:
        """Every delivery attempt in the maillog (of `rcpt` only, when given), in order, each
        with the TLS state of the connection its smtp process made to its relay."""
        tls_by_pid: dict[str, tuple[str, str]] = {}
        out: list[Delivery] = []
        want = rcpt.lower() if rcpt else None
        for line in self.log_text().splitlines():
            m = _TLS_RE.search(line)
            if m:
                pid, level, host, addr, port = m.groups()
                tls_by_pid[pid] = (level, f"{host}[{addr}]:{port}")
                continue
            m = _STATUS_RE.search(line)
            if not m:
                continue
            service, pid, qid, to, relay, dsn, status, text = m.groups()
            tls = None
            if service == "smtp" and pid in tls_by_pid and tls_by_pid[pid][1] == relay:
                tls = tls_by_pid[pid][0]
            if want is None or to.lower() == want:
                out.append(Delivery(qid, to, relay, dsn, status, text, tls, line))
        return out

    def status(self, rcpt: str) -> Optional[Delivery]:
        """The latest delivery attempt of `rcpt` (None: none logged yet)."""
        d = self.deliveries(rcpt)
        return d[-1] if d else None

    def wait_status(self, rcpt: str, statuses: Iterable[str], timeout: float = 60.0,
                    after: int = 0, flush_every: Optional[float] = None) -> Delivery:
        """Waits until an attempt of `rcpt` (beyond the first `after` ones) has one of
        `statuses`; returns it. With `flush_every`, flushes the queue that often meanwhile.
        Raises AssertionError with the maillog tail on timeout."""
        want = set(statuses)
        start = time.monotonic()
        deadline = start + timeout
        next_flush = start + flush_every if flush_every else None
        while True:
            for d in self.deliveries(rcpt)[after:]:
                if d.status in want:
                    return d
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"no {'/'.join(sorted(want))} for {rcpt} after {timeout}s;"
                                     f" maillog tail:\n{self.log_tail()}")
            if next_flush is not None and now >= next_flush:
                self.flush()
                next_flush = now + flush_every
            time.sleep(0.2)


class SubmittedMail:
    """A Postfix, the policy server it asks, and one message per case submitted after the SMTP
    event mark `mark`, to user@<domain>. The first final or deferred attempt of each message is
    waited for (at most `wait` seconds) once and remembered."""

    def __init__(self, world, postfix: Postfix, daemon, mark: int, wait: float = 90.0) -> None:
        self.world = world
        self.postfix = postfix
        self.daemon = daemon
        self.mark = mark
        self.wait = wait
        self.first: dict[str, Delivery] = {}

    def first_attempt(self, domain: str) -> Delivery:
        if domain not in self.first:
            self.first[domain] = self.postfix.wait_status(
                f"user@{domain}", {"sent", "deferred", "bounced", "expired"}, timeout=self.wait)
        return self.first[domain]

    def next_attempt(self, domain: str) -> Delivery:
        """The attempt after those logged so far for the domain's message (waited for)."""
        rcpt = f"user@{domain}"
        return self.postfix.wait_status(rcpt, {"sent", "deferred", "bounced"}, timeout=self.wait,
                                        after=len(self.postfix.deliveries(rcpt)))
