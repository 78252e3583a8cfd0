#!/usr/bin/env python3
"""Checks the layering of docs/ARCHITECTURE.md by the #include lines of every source file.

  core     uses nothing of ours, and no I/O (scripts/check-core-purity.sh says which headers)
  net      uses core
  store    uses core
  hosting  uses core, net, store
  app      uses all, but runs the event loop only: no Beast, OpenSSL or process-spawning
           header, and of Asio only what runs a loop and its coroutines

Prints every offending line as FILE:LINE: what is wrong, and exits 1 when there is one.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "core": {"core"},
    "net": {"core", "net"},
    "store": {"core", "store"},
    "hosting": {"core", "net", "store", "hosting"},
    "app": {"core", "net", "store", "hosting", "app"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
# What app may take from Asio: an io_context to run, coroutines started on it, and the
# endpoint types of the addresses it prints. Everything else is net's.
APP_ASIO = {"boost/asio/io_context.hpp", "boost/asio/co_spawn.hpp", "boost/asio/detached.hpp",
            "boost/asio/awaitable.hpp", "boost/asio/use_awaitable.hpp",
            "boost/asio/this_coro.hpp", "boost/asio/redirect_error.hpp",
            "boost/asio/ip/tcp.hpp"}
APP_FORBIDDEN = re.compile(r"^(boost/beast|openssl/|spawn\.h$|sys/wait\.h$|ares)")


def layer_of_include(path: Path, layer: str, name: str) -> str | None:
    """The layer a quoted include resolves to: the file's own folder and its layer's private
    src/ first (as the compiler searches), then the public include dirs, then app/."""
    if (path.parent / name).exists() or (ROOT / layer / "src" / name).exists():
        return layer
    match = re.match(r"mtasts/(core|net|store|hosting)/", name)
    if match:
        return match.group(1)
    if (ROOT / "app" / name).exists():
        return "app"
    return None


def check_file(path: Path, layer: str) -> list[str]:
    problems = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        match = INCLUDE.match(line)
        if not match:
            continue
        name = match.group(2)
        where = f"{path.relative_to(ROOT)}:{number}"
        used = layer_of_include(path, layer, name) if match.group(1) == '"' else None
        if used and used not in ALLOWED[layer]:
            problems.append(f"{where}: {layer} must not use {used} ({name})")
        if layer == "app" and match.group(1) == "<":
            if APP_FORBIDDEN.match(name):
                problems.append(f"{where}: app must not include {name} (that belongs in net)")
            elif name.startswith("boost/asio") and name not in APP_ASIO:
                problems.append(f"{where}: app may use Asio only to run the loop, not {name}")
    return problems


def main() -> int:
    problems = []
    for layer in ALLOWED:
        for path in sorted((ROOT / layer).rglob("*")):
            if path.suffix in (".hpp", ".cpp", ".h"):
                problems += check_file(path, layer)
    for problem in problems:
        print(problem)
    if problems:
        print("layering: the lines above break docs/ARCHITECTURE.md's rules", file=sys.stderr)
        return 1
    print("layering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
