"""Real webhook receivers on 127.0.0.1: each checks the Standard Webhooks signature.

``Receiver.script(path, *replies)`` sets what a path answers, one reply per
request (the last repeats). A reply is ``(status, headers, body)`` or one of
the behaviours: ``SLOW(seconds)`` answers 200 after sleeping, ``RESET``
closes the connection without a reply (TCP RST), ``BARRIER(n)`` answers only
once ``n`` requests are in flight at the same time.
"""

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

RESET = "reset"


@dataclass(frozen=True)
class SLOW:
    seconds: float


@dataclass(frozen=True)
class DRIP:
    """Answer one byte every ``every`` seconds: in the status line and headers
    (``headers=True``) or in the body, for ``seconds`` in all."""

    every: float = 0.2
    seconds: float = 3.0
    headers: bool = False


@dataclass
class BARRIER:
    parties: int
    timeout: float = 5.0
    barrier: threading.Barrier = field(init=False, repr=False)

    def __post_init__(self):
        self.barrier = threading.Barrier(self.parties, timeout=self.timeout)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified: bool
    at: float
    peer_port: int = 0

    @property
    def json(self):
        return json.loads(self.body)


class Receiver:
    def __init__(self, secret):
        self.secret = secret
        self.requests = []
        self._scripts = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # a 2-byte reply must not wait on a delayed ACK

            def do_POST(self):
                receiver._handle(self)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path):
        return f"{self.origin}{path}"

    def script(self, path, *replies):
        with self._lock:
            self._scripts[path] = list(replies)

    def hits(self, path=None):
        return [r for r in self.requests if path is None or r.path == path]

    def _next(self, path):
        with self._lock:
            replies = self._scripts.get(path) or [(200, {}, b"ok")]
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handle(self, handler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, ValueError):
            verified = False
        self.requests.append(
            Received(
                handler.path, headers, body, verified, time.monotonic(), handler.client_address[1]
            )
        )
        if not verified:
            return self._reply(handler, 401, {}, b"bad signature")
        reply = self._next(handler.path)
        if reply == RESET:
            sock = handler.connection
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            handler.close_connection = True
            return None
        if isinstance(reply, DRIP):
            return self._drip(handler, reply)
        if isinstance(reply, SLOW):
            time.sleep(reply.seconds)
            reply = (200, {}, b"late")
        elif isinstance(reply, BARRIER):
            try:
                reply.barrier.wait()
                reply = (200, {}, b"together")
            except threading.BrokenBarrierError:
                reply = (503, {}, b"alone")
        status, extra, data = reply
        return self._reply(handler, status, extra, data)

    def _drip(self, handler, drip):
        count = int(drip.seconds / drip.every)
        head = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"x" * (count if drip.headers else 0)
        head += b"\r\nContent-Length: " + str(count if not drip.headers else 0).encode()
        head += b"\r\n\r\n"
        body = b"y" * (0 if drip.headers else count)
        try:
            if drip.headers:
                for byte in head:
                    handler.wfile.write(bytes([byte]))
                    time.sleep(drip.every if byte == ord("x") else 0)
            else:
                handler.wfile.write(head)
                for byte in body:
                    handler.wfile.write(bytes([byte]))
                    time.sleep(drip.every)
        except OSError:
            pass
        handler.close_connection = True

    def _reply(self, handler, status, extra, data):
        try:
            handler.send_response(status)
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the sender gave up (a timeout test): nothing to answer

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
