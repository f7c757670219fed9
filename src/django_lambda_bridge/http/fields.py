"""Event fields -> WSGI values, shared by every event format's translation.

Each helper reads one kind of field (headers, query strings, the path, the
body, the proxy's X-Forwarded-* entries) and writes what a WSGI server would.
They raise ``Malformed`` (or the natural ``TypeError``/``KeyError``) on a
malformed value; ``http.environ`` then words the 400.
"""

from __future__ import annotations

import sys
from base64 import b64decode
from collections.abc import Mapping
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.http.authorizer import read_authorizer
from django_lambda_bridge.http.info import ENVIRON_KEY, LambdaInfo
from django_lambda_bridge.kinds import Kind

#: Characters an ALB leaves percent-encoded in query values; re-encoding them would
#: double-encode (``%20`` -> ``%2520``). REST APIs hand over decoded values instead.
ALB_QUERY_SAFE = "!#$&'()*+,/:;=?@[]%"

#: Header name -> environ key, "" for a header that must not reach Django.
_KEYS: dict[str, str] = {}
#: Bound on the cache: header names are client input.
_KEYS_MAX = 1024
_SPECIAL_KEYS = {"CONTENT_TYPE": "CONTENT_TYPE", "CONTENT_LENGTH": ""}


class Malformed(Exception):
    """A value of the wrong type that would not raise by itself."""


def environ_key(name: str) -> str:
    """The environ key for a header name; "" drops it.

    A name with an underscore is dropped, as runserver, nginx and Apache do
    (CVE-2015-0219): ``x_forwarded_for`` would otherwise become the same
    ``HTTP_X_FORWARDED_FOR`` as the proxy's own ``X-Forwarded-For``.
    """
    key = _KEYS.get(name)
    if key is None:
        if "_" in name:
            key = ""
        else:
            upper = name.upper().replace("-", "_")
            key = _SPECIAL_KEYS.get(upper, "HTTP_" + upper)
        if len(_KEYS) < _KEYS_MAX:
            _KEYS[name] = key
    return key


def wsgi_str(value: str) -> str:
    """A WSGI "native string": the UTF-8 bytes of ``value``, read as latin-1.

    Django re-encodes environ strings as latin-1 (PEP 3333); text outside
    latin-1 would raise deep inside the request. A lone surrogate raises
    ``UnicodeEncodeError`` here, which becomes a 400.
    """
    return value if value.isascii() else value.encode("utf-8").decode("latin-1")


def put(environ: dict[str, Any], key: str, value: str) -> None:
    if key in environ:  # the same header under two spellings of its name
        value = f"{environ[key]}{'; ' if key == 'HTTP_COOKIE' else ','}{value}"
    environ[key] = value


def add_headers(environ: dict[str, Any], headers: Mapping[str, Any]) -> None:
    """Single-value headers (repeats already joined with commas by AWS)."""
    keys = _KEYS.get
    for name, value in headers.items():
        key = keys(name)
        if key is None:
            key = environ_key(name)
        if not key:
            continue
        if type(value) is not str:
            raise Malformed
        # Two spellings of one name in a single-value map: the last wins, as AWS does.
        environ[key] = value if value.isascii() else wsgi_str(value)


def add_multi_headers(environ: dict[str, Any], headers: Mapping[str, Any]) -> None:
    """Multi-value headers: repeats join with commas, Cookie headers with ``; ``."""
    keys = _KEYS.get
    for name, values in headers.items():
        key = keys(name)
        if key is None:
            key = environ_key(name)
        if not key:
            continue
        if type(values) is not list:
            raise Malformed
        if len(values) == 1 and key not in environ:  # the common case, inline
            value = values[0]
            if type(value) is not str:
                raise Malformed
            environ[key] = value if value.isascii() else wsgi_str(value)
        elif values:  # a name with no values is no header
            add_repeated(environ, key, values)


def add_repeated(environ: dict[str, Any], key: str, values: list[Any]) -> None:
    if key == "CONTENT_TYPE":
        value = values[-1]  # one media type; the last one wins, as in apig-wsgi
        if type(value) is not str:
            raise Malformed
    else:
        value = ("; " if key == "HTTP_COOKIE" else ",").join(values)
    put(environ, key, value if value.isascii() else wsgi_str(value))


def check_query(params: Mapping[str, Any], multi: bool) -> None:
    """urlencode would quietly ``str()`` a number; an event's values are strings."""
    for key, value in params.items():
        if type(key) is not str:
            raise Malformed
        if type(value) is str:
            continue
        if not multi or type(value) is not list or not all(type(v) is str for v in value):
            raise Malformed


def query_string(params: Any, multi: bool, safe: str) -> str:
    if not params:
        return ""
    if type(params) is not dict and not isinstance(params, Mapping):
        raise Malformed
    check_query(params, multi)
    query = urlencode(params, doseq=multi, safe=safe)
    return query if query.isascii() else wsgi_str(query)


def path_info(path: str) -> str:
    """Percent-escapes decoded to bytes (raw non-ASCII as UTF-8), read as latin-1."""
    if "%" not in path and path.isascii():
        return path
    return unquote_to_bytes(path).decode("latin-1")


def decode_body(body: Any, encoded: Any) -> bytes:
    """Decode the request body strictly: a corrupt upload must fail, not be truncated."""
    if not body:
        if body is None or body == "":
            return b""
        raise Malformed
    if type(body) is not str or type(encoded) is not bool:
        raise Malformed
    if encoded:
        return b64decode(body, validate=True)
    return body.encode("utf-8")


def http_method(method: Any) -> str:
    if type(method) is not str or not method or not method.isascii():
        raise Malformed
    return method


def clean_ip(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    # Hand-written events sometimes say "192.168.0.1/32"; Django wants a bare address.
    return value.split("/", 1)[0].strip()


def last_entry(environ: Mapping[str, Any], key: str) -> str:
    value = environ.get(key)
    if value is None:
        return ""
    return str(value).rsplit(",", 1)[-1].strip()


def base_environ(method: str, body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def set_scheme(environ: dict[str, Any], scheme: str) -> None:
    """API Gateway and Function URLs only accept HTTPS; say so whatever headers claim.

    ``scheme`` is ``"https"`` except under local emulation over plain HTTP.
    """
    environ["wsgi.url_scheme"] = scheme
    if scheme == "https":
        environ["SERVER_PORT"] = "443"
        environ["HTTPS"] = "on"
    else:
        host = environ.get("HTTP_HOST", "")
        port = host.rsplit(":", 1)[-1] if ":" in host else ""
        environ["SERVER_PORT"] = port if port.isdigit() else "80"


def set_forwarded_origin(
    environ: dict[str, Any], proto_keys: tuple[str, ...], port_keys: tuple[str, ...]
) -> None:
    """Trust only the entries the proxy itself appended to the X-Forwarded-* headers.

    An ALB (and VPC Lattice) has no source IP in the event. It appends the
    peer's address to X-Forwarded-For, so the last entry is the one a client
    cannot forge; the earlier ones are whatever the client sent.
    """
    environ["REMOTE_ADDR"] = clean_ip(last_entry(environ, "HTTP_X_FORWARDED_FOR"))
    scheme = next((s for k in proto_keys if (s := last_entry(environ, k).lower())), "")
    scheme = scheme if scheme in ("http", "https") else "https"
    port = next((p for k in port_keys if (p := last_entry(environ, k))), "")
    environ["wsgi.url_scheme"] = scheme
    environ["SERVER_PORT"] = port if port.isdigit() else ("443" if scheme == "https" else "80")
    if scheme == "https":
        environ["HTTPS"] = "on"


def server_name(environ: dict[str, Any], domain: Any) -> None:
    """Name the host for Django when the event has no Host header.

    Hand-made and console test events often have none; Django would then
    reject every request with DisallowedHost (a 400).
    """
    host = environ.get("HTTP_HOST")
    if host:
        environ["SERVER_NAME"] = host
    elif isinstance(domain, str) and domain:
        environ["SERVER_NAME"] = wsgi_str(domain)
    else:
        environ["SERVER_NAME"] = ""


def finish(
    environ: dict[str, Any],
    event: dict[str, Any],
    context: Any,
    kind: Kind,
    rc: Mapping[str, Any],
    conf: BridgeSettings,
) -> dict[str, Any]:
    authorizer = read_authorizer(kind, rc, conf.USERNAME_CLAIMS) if rc else None
    if authorizer is not None and authorizer.principal:
        environ["REMOTE_USER"] = authorizer.principal
    request_id = rc.get("requestId")
    if type(request_id) is not str:
        request_id = environ.get("HTTP_X_AMZN_TRACE_ID")
    environ[ENVIRON_KEY] = LambdaInfo(kind, event, context, request_id, authorizer)
    return environ


def request_context(event: Mapping[str, Any]) -> Mapping[str, Any]:
    rc = event.get("requestContext")
    if type(rc) is not dict and not isinstance(rc, Mapping):
        raise Malformed
    return rc
