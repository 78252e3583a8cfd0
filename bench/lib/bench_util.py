"""Pieces the Python benchmarks share: an HTTPS policy server that picks its certificate by SNI
(world_bench.py, memory/measure_rss.py), a server leaf certificate (world_bench.py,
host/host_bench.py), process CPU time, the options of the policy server subcommands and
markdown table headers. Import after putting bench/lib on sys.path."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import ssl
from pathlib import Path
from typing import Callable, Optional


def sni_context(cert_dir: Path) -> ssl.SSLContext:
    """A server context for the certificates of cert_dir (gN.pem, gN.key, indexed by
    names.json: host name -> N) that switches to a name's certificate by SNI; without SNI, or
    for an unknown name, the lowest-numbered one is served."""
    names = json.loads((cert_dir / "names.json").read_text())
    ctxs = {}
    for g in sorted(set(names.values())):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_dir / f"g{g}.pem", cert_dir / f"g{g}.key")
        ctxs[g] = ctx
    default = ctxs[min(ctxs)]

    def on_sni(sslobj, server_name, _ctx):
        g = names.get((server_name or "").lower())
        if g is not None:
            sslobj.context = ctxs[g]

    default.sni_callback = on_sni
    return default


def serve_https(listen: str, context: ssl.SSLContext, respond: Callable[[bytes], bytes],
                max_seconds: float, ready: Optional[Path] = None) -> int:
    """Serves HTTPS on listen ("HOST:PORT") for max_seconds, one request per connection: reads
    the request header and writes respond(header). Writes "ready" to `ready` once listening."""

    async def handle(reader, writer):
        try:
            req = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.write(respond(req))
            await asyncio.wait_for(writer.drain(), 10)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def main():
        host, port = listen.rsplit(":", 1)
        server = await asyncio.start_server(handle, host, int(port), ssl=context, backlog=4096,
                                            reuse_port=True)
        if ready is not None:
            ready.write_text("ready\n")
        async with server:
            await asyncio.sleep(max_seconds)

    try:
        import uvloop  # noqa: F401  (faster handshakes when present)
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
    return 0


def server_certificate(names: list[str], key, issuer_cert, issuer_key, days: int):
    """A TLS server certificate for `names` (CN the first, SAN all) and the public half of
    `key`, signed by issuer_key, valid from a day ago for `days` days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                           critical=False)
            .sign(issuer_key, hashes.SHA256()))


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_args(argv: list[str], ready: bool) -> argparse.Namespace:
    """The options of a policy server subcommand ("serve ..."): --listen HOST:PORT, --certs DIR
    (sni_context), --max-seconds, and --ready FILE when `ready`."""
    p = argparse.ArgumentParser()
    p.add_argument("cmd")
    p.add_argument("--listen", required=True)
    p.add_argument("--certs", type=Path, required=True)
    if ready:
        p.add_argument("--ready", type=Path, required=True)
    p.add_argument("--max-seconds", type=float, default=7200)
    return p.parse_args(argv)


def table_head(title: str, columns: list[str], align: str) -> list[str]:
    """The lines that open a markdown table under a `###` title; align holds one character per
    column: "l" left, "r" right."""
    return [f"### {title}\n", "| " + " | ".join(columns) + " |",
            "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
