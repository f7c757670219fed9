"""Event -> WSGI environ: apig-wsgi's translation plus the fixes Django needs.

apig-wsgi builds the environ (headers, query strings, cookies). Each function
below then corrects one thing it gets wrong for Django behind AWS, so each fix
can be read and tested on its own.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Mapping
from io import BytesIO
from itertools import chain
from typing import Any
from urllib.parse import unquote_to_bytes

from apig_wsgi import get_environ_v1, get_environ_v2

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import MalformedEventError
from django_lambda_bridge.http.authorizer import read_authorizer
from django_lambda_bridge.http.info import ENVIRON_KEY, LambdaInfo
from django_lambda_bridge.kinds import Kind

_V1_KINDS = (Kind.API_GATEWAY_V1, Kind.ALB)
_is_str = str.__instancecheck__
_is_list = list.__instancecheck__


def build_environ(
    event: dict[str, Any], context: Any, kind: Kind, conf: BridgeSettings
) -> dict[str, Any]:
    """Return the WSGI environ for an HTTP event, or raise ``MalformedEventError``."""
    body = decode_body(event)
    rc = _request_context(event, kind)
    if kind in _V1_KINDS:
        _check_v1(event)
        environ = get_environ_v1(
            _normalised_v1(event), context, encode_query_params=kind is Kind.API_GATEWAY_V1
        )
        _join_v1_cookies(environ, event)
        raw_path = event["path"]
    else:
        normalised = _normalised_v2(event, rc)
        environ = get_environ_v2(normalised, context)
        raw_path = normalised["rawPath"]
    environ["wsgi.input"] = BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    set_wsgi_strings(environ, raw_path)
    set_server_name(environ, rc)
    if kind is Kind.ALB:
        set_alb_origin(environ, event)
    else:
        set_client_ip(environ, rc, kind)
        set_scheme(environ, conf.SCHEME)
    set_script_name(environ, event, rc, kind, conf)
    authorizer = read_authorizer(kind, rc, conf.USERNAME_CLAIMS)
    if authorizer is not None and authorizer.principal:
        environ["REMOTE_USER"] = authorizer.principal
    request_id = rc.get("requestId")
    if not isinstance(request_id, str):
        request_id = environ.get("HTTP_X_AMZN_TRACE_ID")
    environ[ENVIRON_KEY] = LambdaInfo(kind, event, context, request_id, authorizer)
    return environ


def decode_body(event: Mapping[str, Any]) -> bytes:
    """Decode the request body strictly: a corrupt upload must fail, not be truncated."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedEventError(f"'body' must be a string or null, got {type(body).__name__}.")
    encoded = event.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise MalformedEventError(
            f"'isBase64Encoded' must be true or false, got {type(encoded).__name__}."
        )
    try:
        if encoded:
            return b64decode(body, validate=True)
        return body.encode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise MalformedEventError(
            f"'body' is marked isBase64Encoded but is not valid base64 ({exc})."
        ) from exc


def _request_context(event: Mapping[str, Any], kind: Kind) -> Mapping[str, Any]:
    rc = event.get("requestContext")
    if not isinstance(rc, Mapping):
        raise MalformedEventError(
            f"A {kind.value} event needs a 'requestContext' object; got {type(rc).__name__}."
        )
    return rc


def _check_str_map(event: Mapping[str, Any], key: str, multi: bool) -> None:
    value = event.get(key)
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise MalformedEventError(f"'{key}' must be an object or null, got {type(value).__name__}.")
    # Fast path at C speed (no per-header generator): this runs on every request.
    values = value.values()
    if all(map(_is_str, value)) and (
        all(map(_is_list, values)) and all(map(_is_str, chain.from_iterable(values)))
        if multi
        else all(map(_is_str, values))
    ):
        return
    for name, item in value.items():
        items = item if multi and isinstance(item, list) else [item]
        if not isinstance(name, str) or (multi and not isinstance(item, list)):
            raise MalformedEventError(f"'{key}' must map names to lists of strings.")
        if not all(isinstance(v, str) for v in items):
            raise MalformedEventError(f"'{key}[{name!r}]' must hold strings only.")


def _check_v1(event: Mapping[str, Any]) -> None:
    for key in ("httpMethod", "path"):
        value = event.get(key)
        if not isinstance(value, str) or not value:
            raise MalformedEventError(f"'{key}' must be a non-empty string, got {value!r}.")
    if not event["path"].startswith("/"):
        raise MalformedEventError(f"'path' must start with '/', got {event['path']!r}.")
    _check_str_map(event, "headers", multi=False)
    _check_str_map(event, "multiValueHeaders", multi=True)
    _check_str_map(event, "queryStringParameters", multi=False)
    _check_str_map(event, "multiValueQueryStringParameters", multi=True)


def _normalised_v1(event: Mapping[str, Any]) -> dict[str, Any]:
    """Prepare a checked v1/ALB event for apig-wsgi.

    apig-wsgi decodes base64 leniently, so it gets no body (ours is strict). It
    also prefers ``multiValueHeaders`` whenever the key exists, even as null
    (console test events), which would silently drop every header; a null
    multi-value map is removed so the single-value one is used.
    """
    normalised = {**event, "body": None, "isBase64Encoded": False}
    for key in ("multiValueHeaders", "multiValueQueryStringParameters"):
        if key in normalised and normalised[key] is None:
            del normalised[key]
    multi = normalised.get("multiValueHeaders")
    if multi and not all(multi.values()):
        # A name with no values is no header; apig-wsgi would IndexError on it.
        normalised["multiValueHeaders"] = {k: v for k, v in multi.items() if v}
    return normalised


def _join_v1_cookies(environ: dict[str, Any], event: Mapping[str, Any]) -> None:
    """Several Cookie headers (HTTP/2 clients send one per cookie) join with ``;``.

    apig-wsgi joins repeated headers with commas, which Django's cookie parser
    reads as part of the first cookie's value.
    """
    multi = event.get("multiValueHeaders")
    if not isinstance(multi, Mapping):
        return
    values = [v for name, vs in multi.items() if name.lower() == "cookie" for v in vs]
    if len(values) > 1:
        environ["HTTP_COOKIE"] = "; ".join(values)


def _normalised_v2(event: dict[str, Any], rc: Mapping[str, Any]) -> dict[str, Any]:
    """Check a v2 event and fill the keys AWS may omit, so apig-wsgi cannot KeyError."""
    http = rc.get("http")
    if not isinstance(http, Mapping):
        raise MalformedEventError("'requestContext.http' must be an object.")
    method = http.get("method")
    raw_path = event.get("rawPath")
    if not isinstance(method, str) or not method:
        raise MalformedEventError(f"'requestContext.http.method' must be a string, got {method!r}.")
    if not isinstance(raw_path, str) or not raw_path.startswith("/"):
        raise MalformedEventError(
            f"'rawPath' must be a string starting with '/', got {raw_path!r}."
        )
    query = event.get("rawQueryString") or ""
    if not isinstance(query, str):
        raise MalformedEventError("'rawQueryString' must be a string.")
    _check_str_map(event, "headers", multi=False)
    cookies = event.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedEventError("'cookies' must be a list of strings.")
    protocol = http.get("protocol")
    source_ip = http.get("sourceIp")
    return {
        **event,
        "body": None,
        "isBase64Encoded": False,
        "rawQueryString": query,
        "headers": event.get("headers") or {},
        "cookies": cookies,
        "requestContext": {
            **rc,
            "http": {
                **http,
                "protocol": protocol if isinstance(protocol, str) else "HTTP/1.1",
                "sourceIp": source_ip if isinstance(source_ip, str) else "",
            },
        },
    }


def _latin1(value: str) -> str:
    """A WSGI "native string": the UTF-8 bytes of ``value``, decoded as latin-1.

    Django re-encodes environ strings as latin-1 (PEP 3333); a character outside
    latin-1 would raise UnicodeEncodeError deep in the request and become a 500.
    """
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")
    return value


def set_wsgi_strings(environ: dict[str, Any], raw_path: str) -> None:
    """Make the path, query string and headers valid WSGI strings.

    Events carry text, not bytes. The path is decoded from percent-escapes to
    bytes (any raw non-ASCII character as UTF-8) and then to latin-1, as a WSGI
    server would; the other values only change if they hold non-latin-1 text.
    """
    environ["PATH_INFO"] = unquote_to_bytes(raw_path).decode("latin-1")
    for key, value in environ.items():
        if (
            isinstance(value, str)
            and not value.isascii()
            and (key.startswith("HTTP_") or key in ("QUERY_STRING", "CONTENT_TYPE", "SERVER_NAME"))
        ):
            environ[key] = _latin1(value)


def set_server_name(environ: dict[str, Any], rc: Mapping[str, Any]) -> None:
    """Without a Host header, name the host API Gateway answered on.

    Hand-made and console test events often have no Host header; Django would
    then reject every request with DisallowedHost (a 400).
    """
    if environ.get("HTTP_HOST") or environ.get("SERVER_NAME"):
        return
    domain = rc.get("domainName")
    if isinstance(domain, str) and domain:
        environ["SERVER_NAME"] = _latin1(domain)


def _clean_ip(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    # Hand-written events sometimes say "192.168.0.1/32"; Django wants a bare address.
    return value.split("/", 1)[0].strip()


def set_client_ip(environ: dict[str, Any], rc: Mapping[str, Any], kind: Kind) -> None:
    """Take REMOTE_ADDR from the connection API Gateway saw, never from X-Forwarded-For."""
    if kind is Kind.API_GATEWAY_V1:
        identity = rc.get("identity")
        source = identity.get("sourceIp") if isinstance(identity, Mapping) else None
    else:
        http = rc.get("http")
        source = http.get("sourceIp") if isinstance(http, Mapping) else None
    environ["REMOTE_ADDR"] = _clean_ip(source)


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
        environ.pop("HTTPS", None)


def _last(environ: Mapping[str, Any], key: str) -> str:
    value = environ.get(key)
    if not isinstance(value, str):
        return ""
    return value.rsplit(",", 1)[-1].strip()


def set_alb_origin(environ: dict[str, Any], event: Mapping[str, Any]) -> None:
    """Trust only the entries the ALB itself appended to the X-Forwarded-* headers.

    An ALB has no source IP in the event. It appends the peer address to
    X-Forwarded-For, so the last entry is the one a client cannot forge; the
    earlier ones are whatever the client sent.
    """
    environ["REMOTE_ADDR"] = _clean_ip(_last(environ, "HTTP_X_FORWARDED_FOR"))
    scheme = _last(environ, "HTTP_X_FORWARDED_PROTO").lower()
    scheme = scheme if scheme in ("http", "https") else "https"
    port = _last(environ, "HTTP_X_FORWARDED_PORT")
    environ["wsgi.url_scheme"] = scheme
    environ["SERVER_PORT"] = port if port.isdigit() else ("443" if scheme == "https" else "80")
    if scheme == "https":
        environ["HTTPS"] = "on"
    else:
        environ.pop("HTTPS", None)


def _is_execute_api(rc: Mapping[str, Any]) -> bool:
    domain = rc.get("domainName")
    return not isinstance(domain, str) or ".execute-api." in domain


def _stage_prefix(event: Mapping[str, Any], rc: Mapping[str, Any], kind: Kind) -> str:
    """The part of the client's URL that API Gateway removed before the route."""
    stage = rc.get("stage")
    if kind is Kind.API_GATEWAY_V1:
        # REST strips the stage (or base path) from 'path' but keeps it in
        # 'requestContext.path', so the difference is exactly the client's prefix.
        path, rc_path = event["path"], rc.get("path")
        if isinstance(rc_path, str) and rc_path != path:
            if path != "/" and rc_path.endswith(path):
                prefix = rc_path[: -len(path)]
            elif path == "/":
                prefix = rc_path.rstrip("/")
            else:
                prefix = ""
            if prefix.startswith("/") and "?" not in prefix:
                return prefix
        if isinstance(stage, str) and stage != "$default" and _is_execute_api(rc):
            host = event.get("headers") or {}
            if any(k.lower() == "host" and ".execute-api." in str(v) for k, v in host.items()):
                return f"/{stage}"
        return ""
    # HTTP APIs keep a named stage in rawPath on the execute-api host.
    named = isinstance(stage, str) and stage != "$default"
    if kind is Kind.API_GATEWAY_V2 and named and _is_execute_api(rc):
        return f"/{stage}"
    return ""


def _move_prefix(environ: dict[str, Any], prefix: str, strip_from_path: bool) -> None:
    path = environ["PATH_INFO"]
    if strip_from_path:
        if path != prefix and not path.startswith(prefix + "/"):
            return
        environ["PATH_INFO"] = path[len(prefix) :] or "/"
    environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix


def set_script_name(
    environ: dict[str, Any],
    event: Mapping[str, Any],
    rc: Mapping[str, Any],
    kind: Kind,
    conf: BridgeSettings,
) -> None:
    """Move the stage and base path into SCRIPT_NAME so Django builds client-side URLs."""
    if conf.STAGE_IN_SCRIPT_NAME:
        prefix = _stage_prefix(event, rc, kind)
        if prefix:
            # REST already removed its prefix from 'path'; HTTP APIs did not.
            _move_prefix(environ, prefix, strip_from_path=kind is not Kind.API_GATEWAY_V1)
    if conf.BASE_PATH:
        _move_prefix(environ, conf.BASE_PATH, strip_from_path=True)
