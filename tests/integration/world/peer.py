"""Socketmap policy daemons run inside the test world: Debian's postfix-mta-sts-resolver (the
peer, `mta-sts-daemon`) and `mtasts daemon`, both started from the peer's YAML config format.

    cfg = daemon_config(world, port=18461, mtasts={"mx_match": "patterns"})
    peer = PeerDaemon(world, cfg, name="peer").start()
    mt = MtastsDaemon(world, cfg, binary=mtasts_bin).start()   # conftest.mtasts_bin
    peer.query("postfix", "enforce.test")      # -> "OK secure match=..."

The peer trusts the world's test CA through SSL_CERT_FILE: it fetches policies with aiohttp,
whose default SSL context is ssl.create_default_context(), whose default verify paths OpenSSL
takes from SSL_CERT_FILE. mtasts gets the CA through `mtasts: ca_file:` in the same file (the
peer ignores unknown top-level keys: utils.populate_cfg_defaults only reads the keys it knows).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Optional, Sequence

from world import socketmap_client as smc
from world.netns import Process, WorldError

PEER_COMMAND = "mta-sts-daemon"
READY_TIMEOUT = 60.0


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for nested dicts of scalars and lists (what the peer's config holds)."""
    pad = "  " * indent
    out: list[str] = []
    for k, v in value.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:" + ("" if v else " {}"))
            if v:
                out.append(to_yaml(v, indent + 1).rstrip("\n"))
        elif isinstance(v, (list, tuple)):
            out.append(f"{pad}{k}:" + ("" if v else " []"))
            out += [f"{pad}  - {_scalar(x)}" for x in v]
        else:
            out.append(f"{pad}{k}: {_scalar(v)}")
    return "\n".join(out) + "\n"


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def daemon_config(world, port: int, host: str = "127.0.0.1", *,
                  zones: Optional[dict] = None, default_zone: Optional[dict] = None,
                  cache: Optional[dict] = None, cache_grace: Optional[int] = None,
                  mtasts: Optional[dict] = None, extra: Optional[dict] = None) -> dict:
    """A config in the peer's format (PEERS.md). Its `mtasts:` section always holds the world's
    CA file, a state directory in the world's directory and `user: root`; `mtasts` adds keys
    (e.g. {"mx_match": "patterns"}); `extra` adds top-level keys."""
    # reuse_port stays at its default (true): the peer 1.1.2 crashes at start-up with
    # `reuse_port: false` (responder.start leaves `opts` unset).
    cfg: dict[str, Any] = {"host": host, "port": port, "shutdown_timeout": 2}
    if cache_grace is not None:
        cfg["cache_grace"] = cache_grace
    cfg["cache"] = cache if cache is not None else {"type": "internal",
                                                      "options": {"cache_size": 10000}}
    cfg["default_zone"] = default_zone if default_zone is not None else {"timeout": 4}
    if zones:
        cfg["zones"] = zones
    state = Path(world.dir) / f"mtasts-state-{port}"
    state.mkdir(parents=True, exist_ok=True)
    section = {"ca_file": str(world.ca_file), "state_dir": str(state), "user": "root"}
    section.update(mtasts or {})
    cfg["mtasts"] = section
    cfg.update(extra or {})
    return cfg


def write_config(world, cfg: dict, name: str) -> Path:
    """Writes `cfg` as YAML to WORLD_DIR/NAME and returns the path."""
    path = Path(world.dir) / name
    path.write_text(to_yaml(cfg))
    return path


class SocketmapDaemon:
    """A socketmap server process inside the world; subclasses say how to start it."""

    kind = "socketmap"

    def __init__(self, world, config: dict | Path, name: str) -> None:
        self.world = world
        self.name = name
        if isinstance(config, dict):
            self.config_path = write_config(world, config, f"{name}.yml")
            self.config = config
        else:
            import yaml  # Debian's python3-yaml, a dependency of the peer

            self.config_path = Path(config)
            self.config = yaml.safe_load(self.config_path.read_text()) or {}
        self.host = self.config.get("host", "127.0.0.1")
        self.port = int(self.config.get("port", 8461))
        self.unix_path = self.config.get("path")
        self.proc: Optional[Process] = None
        self.log_path = Path(world.dir) / f"{name}.log"

    @property
    def address(self) -> smc.Address:
        return self.unix_path if self.unix_path else (self.host, self.port)

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict:
        return dict(os.environ)

    def start(self, timeout: float = READY_TIMEOUT) -> "SocketmapDaemon":
        """Starts the daemon and waits until its socket accepts connections; raises WorldError
        with the log tail when it exits or does not listen in time."""
        self.proc = self.world.spawn(self.name, self.command(), log_path=self.log_path,
                                     env=self.env())
        deadline = time.monotonic() + timeout
        while True:
            if not self.proc.alive():
                raise WorldError(f"{self.name} exited with {self.proc.popen.returncode}:\n"
                                 f"{self.proc.log_tail()}")
            if self._listening():
                return self
            if time.monotonic() > deadline:
                tail = self.proc.log_tail()
                self.stop()
                raise WorldError(f"{self.name} does not listen on {self.address} after "
                                 f"{timeout}s:\n{tail}")
            time.sleep(0.1)

    def _listening(self) -> bool:
        def probe() -> bool:
            try:
                smc.connect(self.address, timeout=0.5).close()
                return True
            except OSError:
                return False

        return self.world.call(probe)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def log_tail(self, lines: int = 30) -> str:
        return self.proc.log_tail(lines) if self.proc else ""

    def query(self, map_name: str, key: str, timeout: float = 20.0) -> str:
        """One lookup on a fresh connection, from inside the namespace."""
        return self.world.call(smc.query, self.address, map_name, key, timeout,
                               timeout=timeout + 5)

    def query_sequential(self, map_name: str, keys: Sequence[str], timeout: float = 60.0):
        return self.world.call(smc.query_sequential, self.address, map_name, list(keys),
                               timeout, timeout=timeout + 5)

    def query_batch(self, map_name: str, keys: Sequence[str], timeout: float = 60.0):
        return self.world.call(smc.query_batch, self.address, map_name, list(keys), timeout,
                               timeout=timeout + 5)

    def postfix_map(self, map_name: str = "postfix") -> str:
        """The table name Postfix uses to ask this daemon."""
        if self.unix_path:
            return f"socketmap:unix:{self.unix_path}:{map_name}"
        return f"socketmap:inet:{self.host}:{self.port}:{map_name}"


class PeerDaemon(SocketmapDaemon):
    """Debian's postfix-mta-sts-resolver (`mta-sts-daemon -c FILE`), trusting the world's CA."""

    kind = "peer"

    def __init__(self, world, config: dict | Path, name: str = "peer",
                 verbosity: str = "info", uvloop: bool = True) -> None:
        super().__init__(world, config, name)
        self.verbosity = verbosity
        self.uvloop = uvloop  # as deployed: the peer uses uvloop when python3-uvloop is there

    def command(self) -> list[str]:
        exe = peer_binary()
        if exe is None:
            raise WorldError(f"{PEER_COMMAND} not found: run scripts/install-e2e-deps.sh")
        cmd = [exe, "-c", str(self.config_path), "-v", self.verbosity]
        return cmd if self.uvloop else [*cmd, "--disable-uvloop"]

    def env(self) -> dict:
        env = dict(os.environ)
        env["SSL_CERT_FILE"] = str(self.world.ca_file)
        env.pop("SSL_CERT_DIR", None)
        for k in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                  "ALL_PROXY"):
            env.pop(k, None)
        return env


class MtastsDaemon(SocketmapDaemon):
    """`mtasts daemon -c FILE [-v LEVEL] [-l LOG_FILE]` (the world's CA comes from `mtasts:
    ca_file:` in FILE)."""

    kind = "mtasts"

    def __init__(self, world, config: dict | Path, binary: str, name: str = "mtasts",
                 verbosity: Optional[str] = None, log_file: Optional[Path] = None) -> None:
        super().__init__(world, config, name)
        self.binary = binary
        self.verbosity = verbosity
        self.log_file = log_file

    def command(self) -> list[str]:
        cmd = [self.binary, "daemon", "-c", str(self.config_path)]
        if self.verbosity:
            cmd += ["-v", self.verbosity]
        if self.log_file is not None:
            cmd += ["-l", str(self.log_file)]
        return cmd


def peer_binary() -> Optional[str]:
    for d in os.environ.get("PATH", "/usr/bin").split(os.pathsep) + ["/usr/bin"]:
        p = Path(d) / PEER_COMMAND
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None
