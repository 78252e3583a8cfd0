"""A tiny HTTP-01 responder (RFC 8555 §8.3) for ACME tests: serves the files of a directory as
`http://<any name>/.well-known/acme-challenge/<token>` (the file DIR/<token>), 404 otherwise,
and logs every request as a JSON line (event "request": host, path, status).

Usage (inside the namespace): python3 -m world.acme_responder DIR ADDRESS PORT LOG READY
"""

from __future__ import annotations

import http.server
import re
import sys
import threading
from pathlib import Path

from world.eventlog import EventWriter
from world.serving import serve_until_sigterm

PREFIX = "/.well-known/acme-challenge/"
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def main(argv: list[str]) -> int:
    directory, address, port, log_path, ready = argv[1], argv[2], int(argv[3]), argv[4], argv[5]
    log = EventWriter(log_path)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            token = self.path[len(PREFIX):] if self.path.startswith(PREFIX) else ""
            body = None
            if TOKEN.fullmatch(token):
                f = Path(directory) / token
                if f.is_file():
                    body = f.read_bytes()
            status = 200 if body is not None else 404
            body = body if body is not None else b"not found\n"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            log.write("request", host=self.headers.get("Host"), path=self.path, status=status,
                      peer=self.client_address[0])

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    serve_until_sigterm(ready)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
