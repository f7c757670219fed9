"""A test client's WSGI environ -> the event a real client's request would produce.

Only what an HTTP request can carry crosses: the method, path, query string,
headers, cookies, body and the peer's address. Everything the gateway adds
(``X-Forwarded-*``, the host it was reached on, base64 for binary bodies) is
added as the gateway adds it; nothing a real client would not send is.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from django_lambda_bridge.testing.events import EXECUTE_API_HOST, http_event
from django_lambda_bridge.testing.route import LambdaRoute, matches_media_types, media_type

#: Environ key the client sets when a URL was given as the client sees it
#: (absolute, on the API's host), so the stage prefix must already be in it.
CLIENT_URL_KEY = "django_lambda_bridge.client_url"

_GATEWAY_HEADERS = frozenset(
    {
        "HTTP_HOST",
        "HTTP_COOKIE",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_PORT",
    }
)
#: Environ keys the event is built from (besides ``HTTP_*``).
_CARRIED = frozenset(
    {
        "REQUEST_METHOD",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "REMOTE_ADDR",
        "SERVER_NAME",
        "SERVER_PORT",
        "wsgi.url_scheme",
        "wsgi.input",
    }
)
#: Keys every WSGI environ has, with the values Django's client gives them;
#: they say nothing about the request, so dropping them loses nothing.
_PLUMBING: dict[str, Any] = {
    "SCRIPT_NAME": "",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.version": None,
    "wsgi.errors": None,
    "wsgi.multiprocess": None,
    "wsgi.multithread": None,
    "wsgi.run_once": None,
}
_TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class DroppedEnvironWarning(UserWarning):
    """A test set a WSGI variable that no HTTP request can carry, so the event lacks it."""


_warned_lock = threading.Lock()
_warned: set[str] = set()


def warn_dropped(environ: Mapping[str, Any], fmt: str) -> None:
    """Warn once per name about environ keys the event cannot carry."""
    for key in environ:
        if key in _CARRIED or key.startswith("HTTP_") or key == CLIENT_URL_KEY:
            continue
        if key in _PLUMBING and _PLUMBING[key] in (None, environ[key]):
            continue
        with _warned_lock:
            if key in _warned:
                continue
            _warned.add(key)
        warnings.warn(
            DroppedEnvironWarning(
                f"The test set the WSGI variable {key!r}, which no HTTP request can carry, "
                f"so the {fmt} event sent to the Lambda handler lacks it and the view will "
                "not see it. Send what a real client sends instead (a header as HTTP_..., "
                "or an authorizer's claims through the event)."
            ),
            stacklevel=2,
        )


def wsgi_str(value: str) -> str:
    """Undo WSGI's latin-1 transport of UTF-8 bytes (PEP 3333 "bytes as str")."""
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _header_name(key: str) -> str:
    return "-".join(part.capitalize() for part in key.split("_"))


def _is_text(content_type: str) -> bool:
    media = media_type(content_type)
    return media.startswith(_TEXT_TYPES) or media.endswith(("+json", "+xml"))


def host_of(environ: Mapping[str, Any]) -> str:
    host = environ.get("HTTP_HOST")
    if host:
        return str(host)
    name, port = str(environ.get("SERVER_NAME", "testserver")), str(environ.get("SERVER_PORT"))
    return name if port in ("80", "443", "None", "") else f"{name}:{port}"


def _read_body(environ: Mapping[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ.get("wsgi.input")
    if not length or stream is None:
        return b""
    return bytes(stream.read(length))


def _body_is_base64(route: LambdaRoute, content_type: str) -> bool | None:
    """``True`` when the gateway base64-encodes this body; ``None`` lets its bytes decide.

    A REST API encodes what its ``binaryMediaTypes`` match (with ``*/*``, every
    body); the other sources encode non-text media types. Bytes that are not
    UTF-8 travel base64 everywhere, because a JSON event cannot carry them.
    """
    if route.events == "v1":
        return matches_media_types(media_type(content_type), route.binary_media_types) or None
    return None if _is_text(content_type) else True


def needs_origin(environ: Mapping[str, Any], route: LambdaRoute, enforce_csrf_checks: bool) -> bool:
    """Whether to send the ``Origin`` a same-site browser sends on an unsafe request.

    Behind API Gateway and Function URLs Django sees HTTPS, where CSRF also
    checks the origin; an in-process request over plain HTTP does not, so only
    then is the header added. A test that asked for HTTPS itself (``secure=True``)
    gets exactly what it sent, so a rejection it expects stays a rejection.
    """
    return (
        enforce_csrf_checks
        and route.events not in ("alb", "alb-multi")
        and environ.get("wsgi.url_scheme", "http") != "https"
        and environ.get("REQUEST_METHOD") not in _SAFE_METHODS
        and "HTTP_ORIGIN" not in environ
        and "HTTP_REFERER" not in environ
    )


def environ_to_event(
    environ: Mapping[str, Any],
    path: str,
    route: LambdaRoute,
    *,
    base_path: str = "",
    enforce_csrf_checks: bool = False,
) -> dict[str, Any]:
    """The event of ``route.events`` format for the request in ``environ``."""
    warn_dropped(environ, route.events)
    # PATH_INFO is UTF-8 bytes carried as latin-1; the event carries them percent-encoded.
    raw_path = quote((base_path + path).encode("iso-8859-1"), safe=_PATH_SAFE)
    source_ip = str(environ.get("REMOTE_ADDR") or "127.0.0.1")
    fmt, stage, host = route.events, route.stage_name, host_of(environ)
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_") and key not in _GATEWAY_HEADERS:
            headers.append((_header_name(key[5:]), str(value)))
    if fmt in ("alb", "alb-multi"):  # the ALB factory appends the peer itself
        if environ.get("HTTP_X_FORWARDED_FOR"):
            headers.append(("X-Forwarded-For", str(environ["HTTP_X_FORWARDED_FOR"])))
    else:
        # API Gateway and Function URLs append the peer to X-Forwarded-For and
        # set the protocol headers, whatever the client sent.
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        headers.append(("X-Forwarded-For", f"{forwarded}, {source_ip}" if forwarded else source_ip))
        headers.append(("X-Forwarded-Proto", "https"))
        headers.append(("X-Forwarded-Port", "443"))
    if environ.get("HTTP_COOKIE"):
        headers.append(("Cookie", str(environ["HTTP_COOKIE"])))
    if needs_origin(environ, route, enforce_csrf_checks):
        headers.append(("Origin", f"https://{host}"))
    content_type = str(environ.get("CONTENT_TYPE") or "")
    body = _read_body(environ)
    if content_type:
        headers.append(("Content-Type", content_type))
    if body:
        headers.append(("Content-Length", str(len(body))))
    options: dict[str, Any] = {
        # The query string exactly as the client's request line carries it.
        "query": wsgi_str(str(environ.get("QUERY_STRING") or "")),
        "headers": headers,
        "body": body or None,
        "base64": _body_is_base64(route, content_type) if body else None,
        "host": host,
        "source_ip": source_ip,
    }
    if fmt == "v1":
        options.update(stage=stage or "prod", stage_in_url=bool(stage))
    elif fmt == "v2" and stage:
        options.update(stage=stage, stage_in_url=True)
    elif fmt in ("alb", "alb-multi"):
        options["scheme"] = environ.get("wsgi.url_scheme", "http")
    event = http_event(fmt, str(environ["REQUEST_METHOD"]), raw_path, **options)
    if fmt == "v2" and stage:
        # A named stage is in the URL only on the execute-api domain; the Host
        # header keeps the test's host so ALLOWED_HOSTS and assertions still match.
        event["requestContext"]["domainName"] = EXECUTE_API_HOST
    return event
