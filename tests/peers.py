"""Real local peers for delivery tests: an SMTP server (aiosmtpd, plain or with implicit TLS under
a self-signed certificate made by ``openssl``) and an HTTP webhook receiver, all bound to
127.0.0.1 only."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailBox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802, ANN201
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@dataclass(frozen=True)
class Certificate:
    cert: Path  #: PEM certificate, self-signed, for 127.0.0.1 and localhost: also its own CA file
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed(directory: Path, name: str = "relay",
                names: str = "IP:127.0.0.1,DNS:localhost") -> Certificate:
    """A fresh self-signed certificate (``openssl req``) for ``names`` (subjectAltName)."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}/O=Fenghuo test", "-keyout", str(key),
                    "-out", str(cert), "-addext", f"subjectAltName={names}"],
                   check=True, capture_output=True)
    return Certificate(cert, key)


class SMTPPeer:
    """An SMTP server; with ``tls`` (a server context) it speaks TLS from the first byte (SMTPS,
    implicit TLS, as on port 465)."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, **smtp_options: object) -> None:
        self.box = MailBox()
        self.port = free_port()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port,
                                     ssl_context=tls, **smtp_options)

    def __enter__(self) -> SMTPPeer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.controller.stop()


class WebhookPeer:
    """Records every POST; ``delay`` holds the answer (to kill a sender mid-delivery)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.delay = threading.Event()
        self.delay.set()
        self.received = threading.Event()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                peer.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": body, "json": json.loads(body or b"null")})
                peer.received.set()
                peer.delay.wait(30)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0}')

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda *args: None  # a sender killed mid-request is expected
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> WebhookPeer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.delay.set()
        self.server.shutdown()
        self.server.server_close()

    def delivery_ids(self) -> list[str]:
        return [r["headers"].get("X-Fenghuo-Delivery") for r in self.requests]
