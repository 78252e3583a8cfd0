"""pytest glue for the test world (see README.md in this directory).

A test module declares its domains as data:

    from world import Domain, Policy
    WORLD_DOMAINS = [Domain("a.test", sts="v=STSv1; id=1", policy=Policy(), mx=["mx.a.test"])]

and takes the session-scoped `world` fixture, which starts one world holding the domains of every
collected module (and the update zones of their `WORLD_ZONES`). Without root or a required tool
the fixture fails with the reason; it never skips.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world import World, WorldError, preflight  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dane_daemon: expects the DANE answers of `mtasts daemon` (dane-only, dane)")

    # A SIGTERM (CI timeout, killed job) unwinds like Ctrl-C, so the world is torn down.
    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)


def _declared_domains(session: pytest.Session, attribute: str = "WORLD_DOMAINS") -> list:
    seen: set[int] = set()
    out: list = []
    for item in session.items:
        mod = getattr(item, "module", None)
        if mod is None or id(mod) in seen:
            continue
        seen.add(id(mod))
        out.extend(getattr(mod, attribute, ()))
    return out


@pytest.fixture(scope="session")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The running test world (world.World), shared by the whole session."""
    problems = preflight()
    if problems:
        pytest.fail("the test world cannot start on this machine:\n  " + "\n  ".join(problems),
                    pytrace=False)
    w = World(tmp_path_factory.mktemp("world"))
    try:
        w.add_domains(*_declared_domains(request.session))
        w.add_zones(*_declared_domains(request.session, "WORLD_ZONES"))  # world.UpdateZone
        w.start()
    except (WorldError, ValueError) as e:
        w.stop()
        pytest.fail(f"the test world did not start: {e}\n(files in {w.dir})", pytrace=False)
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture(scope="session")
def mtasts_bin() -> str:
    """Path of the mtasts binary under test, the one place that finds it: $MTASTS_BIN, else the
    first built one found (build/ci, release, dev, asan, then any other build/*/app/mtasts)."""
    import os

    env = os.environ.get("MTASTS_BIN")
    if env:
        candidates = [Path(env)]
    else:
        build = Path(__file__).resolve().parents[2] / "build"
        candidates = [build / p / "app" / "mtasts" for p in ("ci", "release", "dev", "asan")]
        candidates += sorted(set(build.glob("*/app/mtasts")) - set(candidates))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    pytest.fail("no mtasts binary: build one (cmake --preset ci && cmake --build --preset ci) "
                "or set MTASTS_BIN", pytrace=False)


@pytest.fixture(scope="session")
def tools_dir(mtasts_bin) -> Path:
    """Where the test instruments of tests/CMakeLists.txt (acme_tool, ...) were built:
    $MTASTS_TOOLS_DIR, else the tests/ folder of the build that made mtasts_bin."""
    import os

    if os.environ.get("MTASTS_TOOLS_DIR"):
        return Path(os.environ["MTASTS_TOOLS_DIR"])
    return Path(mtasts_bin).resolve().parent.parent / "tests"


@pytest.fixture(scope="module")
def pebble(world, request: pytest.FixtureRequest):
    """pebble, the ACME CA of a module's `mtasts host` tests; its certificates live
    PEBBLE_VALIDITY seconds when the module sets that (pebble's default otherwise)."""
    from world.pebble import Pebble

    ca = Pebble(world, validity_seconds=getattr(request.module, "PEBBLE_VALIDITY", None)).start()
    yield ca
    ca.stop()


@pytest.fixture(scope="module")
def trust(world, pebble, request: pytest.FixtureRequest) -> Path:
    """What a module's senders and monitors trust: pebble's root (the policy hosts' certificates)
    and the world's CA (MX hosts)."""
    from world.host import bundle

    name = request.module.__name__.rsplit(".", 1)[-1]
    return bundle(Path(world.dir) / f"{name}-trust.pem", pebble.root_file, world.ca_file)
