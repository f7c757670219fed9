"""A local HTTP front door that speaks Lambda events to the real handler.

Each HTTP request becomes an event of the chosen format, built by the same
factories the tests use; the handler's reply is decoded back into HTTP. One
request is handled at a time, as one Lambda container does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

from django_lambda_bridge.local.threaded import BackgroundServing
from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.events import FORMATS, http_event
from django_lambda_bridge.testing.replies import decode_reply

if TYPE_CHECKING:
    from django_lambda_bridge.local.static import StaticFiles

logger = logging.getLogger("django_lambda_bridge.local")

Handler = Callable[[dict[str, Any], Any], Any]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"}


def gateway_rejection(fmt: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """What API Gateway answers for a URL outside the stage; the function is never called.

    A REST API (v1) says no resource matched with its authentication error, an
    HTTP API (v2) a plain 404. ``LambdaClient`` answers the same, and a test
    compares the two.
    """
    if fmt == "v1":
        return (
            403,
            [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "MissingAuthenticationTokenException"),
            ],
            b'{"message":"Missing Authentication Token"}',
        )
    return 404, [("Content-Type", "application/json")], b'{"message":"Not Found"}'


class LambdaHTTPServer(BackgroundServing, HTTPServer):
    """Serves HTTP on loopback by invoking ``handler`` with ``fmt`` events.

    ``static``, when given, answers the static URL before any event is built,
    as ``runserver`` does under ``DEBUG``; the handler itself never serves them.
    """

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        fmt: str = "v2",
        stage: str = "$default",
        timeout_ms: int = 30_000,
        static: StaticFiles | None = None,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
        if fmt == "v1" and stage == "$default":
            stage = "prod"  # REST APIs have no $default stage
        self.lambda_handler = handler
        self.fmt = fmt
        self.stage = stage
        self.timeout_ms = timeout_ms
        self.static = static
        super().__init__(address, _RequestHandler)

    @property
    def prefix(self) -> str:
        """The stage in the URL (``/prod``), or ``""`` when the format has none."""
        if self.fmt in ("v1", "v2") and self.stage != "$default":
            return f"/{self.stage}"
        return ""

    def to_event(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, peer: str
    ) -> dict[str, Any] | None:
        """Build the event; None when the URL is outside the stage, as API Gateway 403s it.

        The event says it came through AWS's own host (execute-api, lambda-url),
        because the event's kind and the stage handling depend on it; only the
        ``Host`` header is the local one, so Django's links point back here.
        """
        host = next((v for k, v in headers if k.lower() == "host"), "127.0.0.1")
        kwargs: dict[str, Any] = {
            "headers": [(k, v) for k, v in headers if k.lower() != "host"],
            "body": body or None,
            "source_ip": peer,
        }
        path = target
        if self.prefix:
            prefix = self.prefix
            if not (path == prefix or path.startswith((prefix + "/", prefix + "?"))):
                return None
            path = path[len(prefix) :] or "/"
            if path.startswith("?"):
                path = "/" + path
            kwargs["stage"] = self.stage
        if self.fmt.startswith("alb"):
            kwargs["scheme"] = "http"
            kwargs["host"] = host
        event = http_event(self.fmt, method, path, **kwargs)
        if self.fmt in ("v2", "function-url"):
            # HTTP APIs pass the query string exactly as the client sent it.
            event["rawQueryString"] = target.partition("?")[2]
        _set_host_header(event, host)
        return event


def _set_host_header(event: dict[str, Any], host: str) -> None:
    for key in ("headers", "multiValueHeaders"):
        values = event.get(key)
        if not isinstance(values, dict):
            continue
        for name in [n for n in values if n.lower() == "host"]:
            values[name] = [host] if key == "multiValueHeaders" else host


class _BadRequest(Exception):
    """The HTTP request itself is unreadable; API Gateway would answer 400."""


class _RequestHandler(BaseHTTPRequestHandler):
    server: LambdaHTTPServer
    protocol_version = "HTTP/1.0"

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit():
            raise _BadRequest(f"Invalid Content-Length header: {raw!r}.")
        length = int(raw)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(65537).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise _BadRequest(f"Invalid chunk size line: {line!r}.") from None
            if size == 0:
                while self.rfile.readline(65537).strip():
                    pass  # trailers: API Gateway ignores them too
                return bytes(body)
            body += self.rfile.read(size)
            self.rfile.readline(3)  # the CRLF closing each chunk

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _BadRequest as exc:
            message = json.dumps({"message": str(exc)}).encode()
            self._write(400, [("Content-Type", "application/json")], message)
            return
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        static = self.server.static
        answer = static.answer(self.command, self.path, headers) if static else None
        if answer is not None:
            self._write(*answer)
            return
        event = self.server.to_event(self.command, self.path, headers, body, self.client_address[0])
        if event is None:
            self._write(*gateway_rejection(self.server.fmt))
            return
        try:
            reply = self.server.lambda_handler(
                event, FakeContext(timeout_ms=self.server.timeout_ms)
            )
            decoded = decode_reply(reply)
        except Exception:
            # What API Gateway does when the function itself fails.
            logger.exception("The Lambda handler raised")
            self._write(
                502, [("Content-Type", "application/json")], b'{"message":"Internal server error"}'
            )
            return
        self._write(decoded.status, decoded.headers, decoded.body)

    def _write(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        has_length = False
        for name, value in headers:
            if name.lower() in _HOP_BY_HOP:
                continue
            has_length = has_length or name.lower() == "content-length"
            self.send_header(name, value)
        if not has_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s - %s", self.address_string(), format % args)


def serve(
    handler: Handler,
    host: str = "127.0.0.1",
    port: int = 8000,
    fmt: str = "v2",
    stage: str = "$default",
) -> None:
    """Serve until interrupted."""
    server = LambdaHTTPServer((host, port), handler, fmt=fmt, stage=stage)
    try:
        server.serve_forever()
    finally:
        server.server_close()
