"""A private network namespace and the processes the harness starts in it.

`ip netns add` gives the namespace its own loopback (all of 127.0.0.0/8); a resolv.conf under
/etc/netns/NAME makes every process started with `ip netns exec NAME` resolve through 127.0.0.1.
Teardown kills every process started here, then any process still inside the namespace, then
deletes the namespace and /etc/netns/NAME.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class WorldError(RuntimeError):
    """The test world could not be set up; the message says what to fix."""


def tool(name: str) -> Optional[str]:
    """Absolute path of a command, also when PATH lacks the sbin directories."""
    found = shutil.which(name)
    if found:
        return found
    for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"):
        if os.access(f"{d}/{name}", os.X_OK):
            return f"{d}/{name}"
    return None


def _ip() -> str:
    return tool("ip") or "ip"


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


class Process:
    """A long-running process inside the namespace, in a process group of its own."""

    def __init__(self, name: str, popen: subprocess.Popen, log_path: Optional[Path]) -> None:
        self.name = name
        self.popen = popen
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM to the process group, SIGKILL after `grace` seconds; always reaps."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # The group may hold children even when the leader is gone.
        _signal_group(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Netns:
    """One private network namespace, named mtasts-<pid of the test process>."""

    def __init__(self, name: Optional[str] = None) -> None:
        self.name = name or f"mtasts-{os.getpid()}"
        self.path = f"/run/netns/{self.name}"
        self.etc_dir = Path("/etc/netns") / self.name
        self.processes: list[Process] = []
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self.created = False

    def create(self) -> None:
        _remove_stale_namespaces()
        if os.path.exists(self.path):
            raise WorldError(f"network namespace {self.name} already exists")
        _check_call([_ip(), "netns", "add", self.name])
        self.created = True
        _check_call([_ip(), "-n", self.name, "link", "set", "lo", "up"])
        self.etc_dir.mkdir(parents=True, exist_ok=True)
        (self.etc_dir / "resolv.conf").write_text("nameserver 127.0.0.1\n")
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=8, thread_name_prefix=f"netns-{self.name}",
            initializer=_setns, initargs=(self.path,))

    def command(self, cmd: Sequence[str]) -> list[str]:
        """`cmd` wrapped to run inside the namespace (with the namespace's resolv.conf)."""
        return [_ip(), "netns", "exec", self.name, *[str(c) for c in cmd]]

    def run(self, cmd: Sequence[str], timeout: float = 30.0, check: bool = False,
            input: Optional[str | bytes] = None, env: Optional[dict] = None,
            cwd: Optional[str] = None, text: bool = True) -> subprocess.CompletedProcess:
        """Runs `cmd` inside the namespace to completion; kills its process group on timeout.

        Returns CompletedProcess with captured stdout/stderr (str unless text=False). On timeout
        raises subprocess.TimeoutExpired after killing everything the command started.
        """
        full = self.command(cmd)
        p = subprocess.Popen(full, stdin=subprocess.PIPE if input is not None else
                             subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, cwd=cwd, text=text, start_new_session=True)
        try:
            out, err = p.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(p.pid, signal.SIGKILL)
            out, err = p.communicate(timeout=5)
            raise subprocess.TimeoutExpired(full, timeout, output=out, stderr=err) from None
        finally:
            _signal_group(p.pid, signal.SIGKILL)
        res = subprocess.CompletedProcess(full, p.returncode, out, err)
        if check and p.returncode != 0:
            raise subprocess.CalledProcessError(p.returncode, full, out, err)
        return res

    def spawn(self, name: str, cmd: Sequence[str], log_path: Optional[Path] = None,
              env: Optional[dict] = None, cwd: Optional[str] = None,
              stdin: Any = subprocess.DEVNULL, stdout: Any = None,
              stderr: Any = None) -> Process:
        """Starts a long-running `cmd` inside the namespace; it is stopped at teardown.

        Output goes to `log_path` (both streams) unless stdout/stderr are given. The process gets
        SIGKILL if the test process dies (PR_SET_PDEATHSIG via setpriv).
        """
        full = [tool("setpriv") or "setpriv", "--pdeathsig", "KILL", "--", *self.command(cmd)]
        log_f = None
        if log_path is not None and stdout is None:
            log_f = open(log_path, "ab")
            stdout = log_f
            stderr = subprocess.STDOUT if stderr is None else stderr
        try:
            p = subprocess.Popen(full, stdin=stdin, stdout=stdout, stderr=stderr, env=env,
                                 cwd=cwd, start_new_session=True)
        finally:
            if log_f is not None:
                log_f.close()
        proc = Process(name, p, log_path)
        self.processes.append(proc)
        return proc

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0, **kw: Any) -> Any:
        """Runs fn(*args, **kw) on a thread inside the namespace and returns its result.

        Sockets created there stay in the namespace, so Python clients (ssl, smtplib, socket)
        reach the world's 127.0.0.x addresses. Name resolution inside still reads the host's
        /etc/resolv.conf: give addresses, or ask the world's resolver explicitly.
        """
        if self._pool is None:
            raise WorldError("namespace not created")
        return self._pool.submit(fn, *args, **kw).result(timeout=timeout)

    def pids(self) -> list[int]:
        try:
            out = subprocess.run([_ip(), "netns", "pids", self.name], capture_output=True,
                                 text=True, timeout=10).stdout
        except subprocess.TimeoutExpired:
            return []
        return [int(x) for x in out.split() if x.isdigit()]

    def destroy(self) -> None:
        """Idempotent teardown: processes, stragglers in the namespace, namespace, /etc/netns."""
        for proc in reversed(self.processes):
            proc.stop()
        self.processes.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self.created:
            # Whatever still runs inside our private namespace was started by this test run.
            for _ in range(3):
                left = self.pids()
                if not left:
                    break
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.2)
            subprocess.run([_ip(), "netns", "del", self.name], capture_output=True, timeout=10)
            self.created = False
        shutil.rmtree(self.etc_dir, ignore_errors=True)


def _check_call(cmd: list[str]) -> None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except FileNotFoundError as e:
        raise WorldError(f"{cmd[0]} not found: run scripts/install-test-world-deps.sh") from e
    if r.returncode != 0:
        raise WorldError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")


def _remove_stale_namespaces() -> None:
    """Removes namespaces of earlier runs that died without teardown (SIGKILL, power loss).

    Only mtasts-<pid> namespaces whose pid is gone and which hold no process are touched.
    """
    try:
        names = os.listdir("/run/netns")
    except FileNotFoundError:
        return
    for name in names:
        m = re.fullmatch(r"mtasts-(\d+)", name)
        if not m or Path(f"/proc/{m.group(1)}").exists():
            continue
        try:
            out = subprocess.run([_ip(), "netns", "pids", name], capture_output=True, text=True,
                                 timeout=10).stdout
        except subprocess.TimeoutExpired:
            continue
        if out.strip():
            continue
        subprocess.run([_ip(), "netns", "del", name], capture_output=True, timeout=10)
        shutil.rmtree(Path("/etc/netns") / name, ignore_errors=True)
