"""A local stand-in for the Lambda Invoke API, running a handler in this process.

It answers ``POST /2015-03-31/functions/{name}/invocations`` the way the Lambda
service does (status codes, ``X-Amz-Function-Error``, ``X-Amz-Executed-Version``,
``X-Amz-Log-Result``, error types), so real boto3 clients and the
``django-lambda-bridge`` CLI can be pointed at it with ``--endpoint-url``:
the same code path as against AWS, without AWS or Docker.

Invocations run one at a time in the serving thread, as one Lambda execution
environment runs them. Authentication is not checked: bind it to loopback only.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django_lambda_bridge.local.threaded import BackgroundServing
from django_lambda_bridge.testing.context import FakeContext

logger = logging.getLogger("django_lambda_bridge.local")

Handler = Callable[[Any, Any], Any]

#: Lambda's synchronous request and response payload limit.
PAYLOAD_LIMIT = 6 * 1024 * 1024
#: ``X-Amz-Log-Result`` carries at most the last 4 KB of the invocation's log.
LOG_TAIL_BYTES = 4096

_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
#: Full or partial function ARNs: [arn:aws:lambda:region:]account:function:name[:qualifier].
_ARN = re.compile(
    r"^(?:arn:aws[\w-]*:lambda:[\w-]+:)?\d{12}:function:(?P<name>[\w-]+)(?::(?P<qualifier>[\w$-]+))?$"
)
_INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


class LambdaInvokeServer(BackgroundServing, HTTPServer):
    """Serves the Invoke API for one function name on loopback.

    ``qualifiers`` maps each version or alias the function answers to to the
    version reported as executed; an iterable of names reports ``$LATEST``.
    """

    def __init__(
        self,
        handler: Handler,
        function_name: str = "function",
        *,
        qualifiers: Mapping[str, str] | Iterable[str] = ("$LATEST",),
        address: tuple[str, int] = ("127.0.0.1", 0),
        timeout_ms: int = 900_000,
        region: str = "us-east-1",
        account: str = "123456789012",
    ) -> None:
        self.lambda_handler = handler
        self.function_name = function_name
        if isinstance(qualifiers, Mapping):
            self.qualifiers = dict(qualifiers)
        else:
            self.qualifiers = {q: "$LATEST" for q in qualifiers}
        self.qualifiers.setdefault("$LATEST", "$LATEST")
        self.timeout_ms = timeout_ms
        self.region = region
        self.account = account
        super().__init__(address, _InvokeRequestHandler)

    @property
    def endpoint_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def invoke(self, event: Any, qualifier: str) -> tuple[bytes, bool, str]:
        """Run the handler once: (payload, whether it is a function error, log text)."""
        request_id = str(uuid.uuid4())
        version = self.qualifiers[qualifier]
        context = FakeContext(
            function_name=self.function_name,
            function_version=version,
            timeout_ms=self.timeout_ms,
            aws_request_id=request_id,
        )
        log = _LogCapture()
        log.write(f"START RequestId: {request_id} Version: {version}\n")
        root = logging.getLogger()
        root.addHandler(log)
        try:
            result = self.lambda_handler(event, context)
        except (Exception, SystemExit) as exc:
            logger.exception("The Lambda handler raised")
            exit_error = isinstance(exc, SystemExit)
            payload = {
                "errorMessage": str(exc),
                "errorType": "Runtime.ExitError" if exit_error else type(exc).__name__,
                "requestId": request_id,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return _dumps(payload), True, log.finish(request_id)
        finally:
            root.removeHandler(log)
        try:
            body = _dumps(result)
        except (TypeError, ValueError) as exc:
            payload = {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            return _dumps(payload), True, log.finish(request_id)
        if len(body) > PAYLOAD_LIMIT:
            payload = {
                "errorMessage": f"Response payload size ({len(body)} bytes) exceeded maximum "
                f"allowed payload size ({PAYLOAD_LIMIT} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
            return _dumps(payload), True, log.finish(request_id)
        return body, False, log.finish(request_id)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=False).encode("utf-8")


class _LogCapture(logging.Handler):
    """The invocation's log records, as CloudWatch would show them, for ``LogType=Tail``."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("[%(levelname)s]\t%(name)s\t%(message)s"))

    def write(self, text: str) -> None:
        self.lines.append(text)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record) + "\n")
        except Exception:
            self.handleError(record)

    def finish(self, request_id: str) -> str:
        self.lines.append(f"END RequestId: {request_id}\n")
        return "".join(self.lines)


class _InvokeRequestHandler(BaseHTTPRequestHandler):
    server: LambdaInvokeServer
    protocol_version = "HTTP/1.0"  # one connection per call keeps the server single-threaded

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        match = _PATH.match(url.path)
        if match is None:
            self._error(404, "UnknownOperationException", f"No such operation: {url.path}")
            return
        name, arn_qualifier = _function_name(unquote(match["name"]))
        query = parse_qs(url.query)
        qualifier = next(iter(query.get("Qualifier", [])), None) or arn_qualifier or "$LATEST"
        if arn_qualifier and qualifier != arn_qualifier:
            self._error(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified "
                "qualifier.",
            )
            return
        if name != self.server.function_name or qualifier not in self.server.qualifiers:
            arn = f"arn:aws:lambda:{self.server.region}:{self.server.account}:function:{name}"
            if qualifier != "$LATEST":
                arn = f"{arn}:{qualifier}"
            self._error(404, "ResourceNotFoundException", f"Function not found: {arn}")
            return
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type not in _INVOCATION_TYPES:
            self._error(
                400,
                "InvalidParameterValueException",
                f"Invalid InvocationType {invocation_type!r}: use one of "
                f"{', '.join(_INVOCATION_TYPES)}.",
            )
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > PAYLOAD_LIMIT:
            self._error(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {PAYLOAD_LIMIT} bytes for the InvokeFunction "
                "operation",
            )
            return
        raw = self.rfile.read(length) if length else b""
        try:
            event = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self._error(
                400, "InvalidRequestContentException", "Could not parse request body into json"
            )
            return
        if invocation_type == "DryRun":
            self._reply(204, b"", [])
            return
        if invocation_type == "Event":
            self._reply(202, b"", [])
            self.server.invoke(event, qualifier)  # after replying: the caller doesn't wait
            return
        payload, failed, log_text = self.server.invoke(event, qualifier)
        headers = [("X-Amz-Executed-Version", self.server.qualifiers[qualifier])]
        if failed:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        if (self.headers.get("X-Amz-Log-Type") or "None") == "Tail":
            tail = log_text.encode("utf-8")[-LOG_TAIL_BYTES:]
            headers.append(("X-Amz-Log-Result", base64.b64encode(tail).decode("ascii")))
        self._reply(200, payload, headers)

    def _error(self, status: int, error_type: str, message: str) -> None:
        body = _dumps({"Type": "User", "message": message})
        self._reply(status, body, [("x-amzn-ErrorType", error_type)])

    def _reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


def _function_name(raw: str) -> tuple[str, str | None]:
    """Split a name or (partial) ARN into the name and the qualifier the ARN carries."""
    match = _ARN.match(raw)
    if match:
        return match["name"], match["qualifier"]
    name, _, qualifier = raw.partition(":")
    return name, qualifier or None


def serve_invoke_api(
    handler: Handler,
    function_name: str,
    host: str = "127.0.0.1",
    port: int = 3001,
) -> None:
    """Serve the Invoke API until interrupted (``django-lambda-bridge start-lambda``)."""
    server = LambdaInvokeServer(handler, function_name, address=(host, port))
    try:
        server.serve_forever()
    finally:
        server.server_close()
