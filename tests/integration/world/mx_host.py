"""The SMTP MX hosts of the test world (aiosmtpd), run inside the namespace:

    python3 -m world.mx_host CONFIG.json

Each listener (address:25) offers STARTTLS or not (or offers it and answers the command with a
refusal such as 454) and may limit TLS versions; after STARTTLS the certificate is chosen by SNI
among CONFIG["hosts"], the listener's default without SNI. Every message is accepted and saved
under CONFIG["mail_dir"]. CONFIG is re-read at each new connection when its mtime changed.

Events, all with "conn", "listener" and "peer":
  connect
  ehlo       {name}
  starttls   {}                                  the client sent STARTTLS
  tls        {sni, version, cipher}              STARTTLS handshake completed
  tls_error  {sni, error}                        STARTTLS handshake failed
  mail       {address, tls}
  rcpt       {address, tls}
  message    {mail_from, rcpt_tos, size, path, tls, sni}
  session    summary at disconnect: {ehlo, starttls_offered, starttls, tls, sni, tls_version,
              tls_error, mail, rcpt, data, mail_from, rcpt_tos, messages}
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import sys
from pathlib import Path

from aiosmtpd.smtp import SMTP

from world.eventlog import EventWriter
from world.tlsutil import ContextCache, server_context


class Config:
    def __init__(self, path: str) -> None:
        self.path = path
        self.mtime: tuple = (0, 0)
        self.data: dict = {}
        self.reload()

    def reload(self) -> dict:
        st = os.stat(self.path)
        if (st.st_ino, st.st_mtime_ns) != self.mtime:
            with open(self.path) as f:
                self.data = json.load(f)
            self.mtime = (st.st_ino, st.st_mtime_ns)
        return self.data


class Handler:
    def __init__(self, log: EventWriter, mail_dir: Path) -> None:
        self.log = log
        self.mail_dir = mail_dir
        self.msg_ids = itertools.count(1)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        server.rec["ehlo"] = hostname
        server.rec["starttls_offered"] = any("STARTTLS" in r for r in responses)
        server.event("ehlo", name=hostname)
        session.host_name = hostname
        return responses

    def handle_STARTTLS(self, server, session, envelope):
        ssl_obj = session.ssl.get("ssl_object") if session.ssl else None
        version = ssl_obj.version() if ssl_obj else None
        cipher = ssl_obj.cipher() if ssl_obj else None
        server.rec.update(tls=True, tls_version=version)
        server.event("tls", sni=server.rec["sni"], version=version,
                     cipher=cipher[0] if cipher else None)
        return True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        server.rec["mail"] = True
        server.rec["mail_from"] = address
        server.event("mail", address=address, tls=server.rec["tls"])
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        server.rec["rcpt"] = True
        server.rec["rcpt_tos"].append(address)
        server.event("rcpt", address=address, tls=server.rec["tls"])
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        server.rec["data"] = True
        n = next(self.msg_ids)
        path = self.mail_dir / f"{os.getpid()}-{n}.eml"
        content = envelope.original_content or b""
        path.write_bytes(content)
        server.rec["messages"] += 1
        server.event("message", mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                     size=len(content), path=str(path), tls=server.rec["tls"],
                     sni=server.rec["sni"])
        return "250 2.0.0 Message accepted"


class RecordingSMTP(SMTP):
    conn_ids = itertools.count(1)

    def __init__(self, handler: Handler, listener: dict, cfg: Config, ctxs: ContextCache):
        self.listener_name = f"{listener['address']}:25"
        self.conn_id = next(self.conn_ids)
        self.log: EventWriter = handler.log
        self.peer = None
        self.rec = {"ehlo": None, "starttls_offered": False, "starttls": False, "tls": False,
                    "sni": None, "tls_version": None, "tls_error": None, "mail": False,
                    "rcpt": False, "data": False, "mail_from": None, "rcpt_tos": [],
                    "messages": 0}
        hosts = cfg.reload()["hosts"]
        # A reply code (e.g. "454") instead of True: STARTTLS is offered but refused with it.
        self.starttls_refusal = (listener["starttls"]
                                 if isinstance(listener["starttls"], str) else None)
        ctx = None
        if listener["starttls"]:
            ctx = server_context(listener["default_cert"], listener["default_key"],
                                 listener.get("tls_versions"))

            def on_sni(sslobj, server_name, _ctx):
                self.rec["sni"] = server_name
                h = hosts.get(server_name.lower().rstrip(".")) if server_name else None
                if h is not None:
                    sslobj.context = ctxs.get(h["cert"], h["key"])
                return None

            ctx.sni_callback = on_sni
        super().__init__(handler, tls_context=ctx, hostname=listener["banner_name"],
                         decode_data=False, enable_SMTPUTF8=True, timeout=60)

    def event(self, event_name: str, **fields) -> None:
        self.log.write(event_name, conn=self.conn_id, listener=self.listener_name, peer=self.peer,
                       **fields)

    def connection_made(self, transport) -> None:
        first = self.peer is None
        super().connection_made(transport)
        if first:
            peer = transport.get_extra_info("peername")
            self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
            self.event("connect")

    async def smtp_STARTTLS(self, arg: str):
        self.rec["starttls"] = True
        self.event("starttls")
        if self.starttls_refusal is not None:
            await self.push(f"{self.starttls_refusal} 4.7.0 TLS not available (test world)")
            return
        try:
            await super().smtp_STARTTLS(arg)
        except Exception as e:
            cause = e.__cause__ or e
            self.rec["tls_error"] = str(cause) or type(cause).__name__
            self.event("tls_error", sni=self.rec["sni"], error=self.rec["tls_error"])
            raise

    def connection_lost(self, error) -> None:
        if not getattr(self, "_summary_written", False):
            self._summary_written = True
            self.event("session", **self.rec)
        super().connection_lost(error)


async def serve(cfg_path: str) -> None:
    cfg = Config(cfg_path)
    data = cfg.data
    log = EventWriter(data["log"])
    mail_dir = Path(data["mail_dir"])
    mail_dir.mkdir(parents=True, exist_ok=True)
    handler = Handler(log, mail_dir)
    ctxs = ContextCache()
    loop = asyncio.get_running_loop()
    servers = []
    for listener in data["listeners"]:
        srv = await loop.create_server(
            lambda listener=listener: RecordingSMTP(handler, listener, cfg, ctxs),
            host=listener["address"], port=25, reuse_address=True)
        servers.append(srv)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    with open(data["ready"], "w") as f:
        f.write("ready\n")
    await stop.wait()
    for srv in servers:
        srv.close()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
