"""WSGI response -> the reply each event source expects.

Rules that differ from apig-wsgi: binary is on for every source with a
media-type rule (any Content-Encoding is binary), duplicate headers survive in
every format, and the reply's size is checked against the source's limit.
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterable, Iterator, Sequence
from http import HTTPStatus
from io import BytesIO
from typing import Any

from django_lambda_bridge.errors import ResponseTooLargeError
from django_lambda_bridge.kinds import Kind

MB = 1024 * 1024
#: Lambda's synchronous response limit, and the ALB's own tighter one.
SIZE_LIMITS: dict[Kind, int] = {
    Kind.API_GATEWAY_V1: 6 * MB,
    Kind.API_GATEWAY_V2: 6 * MB,
    Kind.FUNCTION_URL: 6 * MB,
    Kind.ALB: 1 * MB,
    Kind.VPC_LATTICE: 6 * MB,
}
SOURCE_NAMES: dict[Kind, str] = {
    Kind.API_GATEWAY_V1: "API Gateway REST API (payload v1)",
    Kind.API_GATEWAY_V2: "API Gateway HTTP API (payload v2)",
    Kind.FUNCTION_URL: "a Lambda Function URL",
    Kind.ALB: "an Application Load Balancer",
    Kind.VPC_LATTICE: "VPC Lattice",
}


class ResponseCollector:
    """The ``start_response`` callable and body buffer of one WSGI call.

    It stops collecting as soon as the body is over ``limit`` bytes: no reply
    that large can fit, whatever its encoding, so a 60 MB file costs at most
    ``limit`` bytes of memory before it becomes a 502.
    """

    __slots__ = ("body", "headers", "limit", "source", "status")

    def __init__(self, limit: int, source: str) -> None:
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.body = BytesIO()
        self.limit = limit
        self.source = source

    def start_response(
        self, status: str, headers: Sequence[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        if exc_info is not None and exc_info[1] is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = list(headers)
        return self.body.write

    def consume(self, result: Iterable[bytes], *, head: bool = False) -> None:
        """Drain the app's iterable and close it, which fires Django's request_finished.

        A HEAD reply has no body, so the iterable is only closed.
        """
        try:
            if head:
                return
            declared = self._declared_length()
            if declared > self.limit:
                raise ResponseTooLargeError(declared, self.limit, self.source)
            body, limit = self.body, self.limit
            for chunk in result:
                if chunk:
                    body.write(chunk)
                    if body.tell() > limit:
                        raise ResponseTooLargeError(body.tell(), limit, self.source, partial=True)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _declared_length(self) -> int:
        for name, value in self.headers:
            if name.lower() == "content-length":
                return int(value) if value.isdigit() else 0
        return 0


#: Structured-syntax suffixes (RFC 6839) whose media types are text.
_TEXT_SUFFIXES = ("+json", "+xml", "+yaml")


def is_binary(headers: Iterable[tuple[str, str]], text_types: tuple[str, ...]) -> bool:
    """Decide whether a body must travel base64-encoded.

    Any Content-Encoding (gzip, br, ...) means the bytes are not text whatever
    the media type says. Otherwise the media type decides: the configured
    prefixes and the ``+json``/``+xml``/``+yaml`` structured suffixes are text.
    """
    content_type = ""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return True
        if lowered == "content-type":
            content_type = value
    media = content_type.split(";", 1)[0].strip().lower()
    if not media:
        return False
    return not (media.startswith(text_types) or media.endswith(_TEXT_SUFFIXES))


def encode_body(body: bytes, binary: bool) -> tuple[str, bool]:
    """Return the body as the reply's string and whether it is base64."""
    if not binary:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # Text in another charset still has to arrive byte for byte.
    return b64encode(body).decode("ascii"), True


def _case_variants(name: str) -> Iterator[str]:
    """Spellings of one header name that differ only in letter case.

    ALB single-value replies are a plain JSON object, so two headers with one
    name collide. Headers are case-insensitive on the wire, so each extra value
    goes under a differently-cased key and all of them reach the client.
    """
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    for mask in range(1 << len(letters)):
        chars = list(name.lower())
        for bit, index in enumerate(letters):
            if mask >> bit & 1:
                chars[index] = chars[index].upper()
        yield "".join(chars)


def _single_value_headers(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    seen: dict[str, Iterator[str]] = {}
    for name, value in headers:
        key = name.lower()
        if key not in seen:
            seen[key] = _case_variants(name)
        spelling = next(seen[key], None)
        if spelling is None:  # over 2**letters duplicates: fall back to joining
            first = next(k for k in out if k.lower() == key)
            out[first] = f"{out[first]}, {value}"
        else:
            out[spelling] = value
    return out


def _multi_value_headers(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name, []).append(value)
    return out


def _v2_headers(headers: Sequence[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """v2 replies carry cookies apart; other repeats join with commas (RFC 9110 5.3)."""
    out: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "set-cookie":
            cookies.append(value)
        elif key in out:
            out[key] = f"{out[key]},{value}"
        else:
            out[key] = value
    return out, cookies


def build_reply(
    kind: Kind,
    status: int,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    text_types: tuple[str, ...],
    alb_multi_value: bool = False,
) -> dict[str, Any]:
    """Shape a response as the event source expects."""
    # Django emits Set-Cookie values with a leading space; it is not part of the value.
    headers = [(name, value.strip()) for name, value in headers]
    text, b64 = encode_body(body, is_binary(headers, text_types))
    reply: dict[str, Any] = {"statusCode": status}
    if kind is Kind.API_GATEWAY_V1:
        reply["multiValueHeaders"] = _multi_value_headers(headers)
    elif kind is Kind.ALB or kind is Kind.VPC_LATTICE:
        reply["statusDescription"] = _status_line(status)
        if alb_multi_value:
            reply["multiValueHeaders"] = _multi_value_headers(headers)
        else:
            reply["headers"] = _single_value_headers(headers)
    else:
        reply["headers"], reply["cookies"] = _v2_headers(headers)
    reply["body"] = text
    reply["isBase64Encoded"] = b64
    return reply


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


#: What JSON makes of each byte of a text body (the python3.12+ runtime serialises
#: replies with ``ensure_ascii=False``, so non-ASCII UTF-8 passes through as is):
#: ``"`` ``\\`` and \b \f \n \r \t take two bytes, other control bytes six (``\\u00XX``).
_SHORT_ESCAPES = b'"\\\b\f\n\r\t'
_ALL_ESCAPES = bytes(range(0x20)) + b'"\\'
_WORST_BYTES_PER_BYTE = 6
#: Room left for the status, headers and JSON punctuation in the cheap estimate.
_ENVELOPE_ALLOWANCE = 64 * 1024


def json_text_size(body: bytes) -> int:
    """Bytes a UTF-8 text body takes inside the reply JSON, quotes included.

    Counted with two C-speed passes instead of serialising the body.
    """
    size = len(body)
    short = size - len(body.translate(None, _SHORT_ESCAPES))
    every = size - len(body.translate(None, _ALL_ESCAPES))
    return size + short + 5 * (every - short) + 2


def reply_size(reply: dict[str, Any], body: bytes) -> int:
    """The size of ``reply`` as Lambda serialises it, without serialising the body."""
    text = reply["body"]
    envelope = len(json.dumps({**reply, "body": ""}, ensure_ascii=False).encode("utf-8")) - 2
    if reply["isBase64Encoded"]:
        return envelope + len(text) + 2  # base64 is ASCII and never escaped
    return envelope + json_text_size(body)


def check_size(kind: Kind, reply: dict[str, Any], body: bytes, limit: int | None = None) -> None:
    """Raise ``ResponseTooLargeError`` if the serialised reply is over the limit.

    ``body`` is the raw body the reply's ``body`` string was made from. The
    exact size is only computed when a worst-case estimate could reach the
    limit, so ordinary replies pay one comparison.
    """
    limit = limit or SIZE_LIMITS[kind]
    worst = len(reply["body"]) if reply["isBase64Encoded"] else len(body) * _WORST_BYTES_PER_BYTE
    if worst + _ENVELOPE_ALLOWANCE < limit:
        return
    size = reply_size(reply, body)
    if size > limit:
        raise ResponseTooLargeError(size, limit, SOURCE_NAMES[kind])


def problem_reply(
    kind: Kind,
    status: int,
    detail: str,
    *,
    alb_multi_value: bool = False,
    headers: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem document in the source's reply format."""
    document = {"title": _status_line(status), "status": status, "detail": detail, **extra}
    return build_reply(
        kind,
        status,
        [("Content-Type", "application/problem+json"), *(headers or ())],
        json.dumps(document).encode("utf-8"),
        text_types=("application/",),
        alb_multi_value=alb_multi_value,
    )


__all__ = [
    "SIZE_LIMITS",
    "ResponseCollector",
    "build_reply",
    "check_size",
    "encode_body",
    "is_binary",
    "json_text_size",
    "problem_reply",
    "reply_size",
]
