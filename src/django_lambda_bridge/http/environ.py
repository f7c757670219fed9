"""Event -> WSGI environ, in one pass per event format.

Each event format has one translation function that reads every field once
and writes the environ a WSGI server would build for the same request: no
second pass over the headers, no second unquote of the path. The translation
is written so that a malformed event makes it raise; only then does
``http.malformed`` walk the event again to say what was wrong (see
docs/architecture.md for why this replaced apig-wsgi's ``get_environ_v1/v2``).
"""

from __future__ import annotations

import sys
from base64 import b64decode
from binascii import Error as BinasciiError
from collections.abc import Mapping
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import MalformedEventError
from django_lambda_bridge.http.authorizer import read_authorizer
from django_lambda_bridge.http.health import health_check_host
from django_lambda_bridge.http.info import ENVIRON_KEY, LambdaInfo
from django_lambda_bridge.http.malformed import explain
from django_lambda_bridge.kinds import Kind

#: Characters an ALB leaves percent-encoded in query values; re-encoding them would
#: double-encode (``%20`` -> ``%2520``). REST APIs hand over decoded values instead.
_ALB_QUERY_SAFE = "!#$&'()*+,/:;=?@[]%"

#: Header name -> environ key, "" for a header that must not reach Django.
_KEYS: dict[str, str] = {}
#: Bound on the cache: header names are client input.
_KEYS_MAX = 1024
_SPECIAL_KEYS = {"CONTENT_TYPE": "CONTENT_TYPE", "CONTENT_LENGTH": ""}

#: What translation raises on a malformed event; ``explain`` then words the 400.
_TRANSLATION_ERRORS = (
    AttributeError,
    KeyError,
    TypeError,
    ValueError,
    UnicodeError,
    BinasciiError,
)


class _Bad(Exception):
    """A value of the wrong type that would not raise by itself."""


def build_environ(
    event: dict[str, Any], context: Any, kind: Kind, conf: BridgeSettings
) -> dict[str, Any]:
    """Return the WSGI environ for an HTTP event, or raise ``MalformedEventError``."""
    try:
        if kind is Kind.API_GATEWAY_V1:
            return _rest(event, context, conf)
        if kind is Kind.ALB:
            return _alb(event, context, conf)
        if kind is Kind.VPC_LATTICE:
            return _lattice(event, context, conf)
        return _http_api(event, context, kind, conf)
    except MalformedEventError:
        raise
    except (_Bad, *_TRANSLATION_ERRORS) as exc:
        problem = explain(event, kind)
        if problem is None:
            raise  # the bridge's safety net answers 400 and logs the traceback
        raise MalformedEventError(problem) from exc


# --- the pieces every format shares -------------------------------------------------


def _environ_key(name: str) -> str:
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


def _wsgi_str(value: str) -> str:
    """A WSGI "native string": the UTF-8 bytes of ``value``, read as latin-1.

    Django re-encodes environ strings as latin-1 (PEP 3333); text outside
    latin-1 would raise deep inside the request. A lone surrogate raises
    ``UnicodeEncodeError`` here, which becomes a 400.
    """
    return value if value.isascii() else value.encode("utf-8").decode("latin-1")


def _put(environ: dict[str, Any], key: str, value: str) -> None:
    if key in environ:  # the same header under two spellings of its name
        value = f"{environ[key]}{'; ' if key == 'HTTP_COOKIE' else ','}{value}"
    environ[key] = value


def _add_headers(environ: dict[str, Any], headers: Mapping[str, Any]) -> None:
    """Single-value headers (repeats already joined with commas by AWS)."""
    keys = _KEYS.get
    for name, value in headers.items():
        key = keys(name)
        if key is None:
            key = _environ_key(name)
        if not key:
            continue
        if type(value) is not str:
            raise _Bad
        # Two spellings of one name in a single-value map: the last wins, as AWS does.
        environ[key] = value if value.isascii() else _wsgi_str(value)


def _add_multi_headers(environ: dict[str, Any], headers: Mapping[str, Any]) -> None:
    """Multi-value headers: repeats join with commas, Cookie headers with ``; ``."""
    keys = _KEYS.get
    for name, values in headers.items():
        key = keys(name)
        if key is None:
            key = _environ_key(name)
        if not key:
            continue
        if type(values) is not list:
            raise _Bad
        if len(values) == 1 and key not in environ:  # the common case, inline
            value = values[0]
            if type(value) is not str:
                raise _Bad
            environ[key] = value if value.isascii() else _wsgi_str(value)
        elif values:  # a name with no values is no header
            _add_repeated(environ, key, values)


def _add_repeated(environ: dict[str, Any], key: str, values: list[Any]) -> None:
    if key == "CONTENT_TYPE":
        value = values[-1]  # one media type; the last one wins, as in apig-wsgi
        if type(value) is not str:
            raise _Bad
    else:
        value = ("; " if key == "HTTP_COOKIE" else ",").join(values)
    _put(environ, key, value if value.isascii() else _wsgi_str(value))


def _check_query(params: Mapping[str, Any], multi: bool) -> None:
    """urlencode would quietly ``str()`` a number; an event's values are strings."""
    for key, value in params.items():
        if type(key) is not str:
            raise _Bad
        if type(value) is str:
            continue
        if not multi or type(value) is not list or not all(type(v) is str for v in value):
            raise _Bad


def _query(params: Any, multi: bool, safe: str) -> str:
    if not params:
        return ""
    if type(params) is not dict and not isinstance(params, Mapping):
        raise _Bad
    _check_query(params, multi)
    query = urlencode(params, doseq=multi, safe=safe)
    return query if query.isascii() else _wsgi_str(query)


def _path_info(path: str) -> str:
    """Percent-escapes decoded to bytes (raw non-ASCII as UTF-8), read as latin-1."""
    if "%" not in path and path.isascii():
        return path
    return unquote_to_bytes(path).decode("latin-1")


def _body(body: Any, encoded: Any) -> bytes:
    """Decode the request body strictly: a corrupt upload must fail, not be truncated."""
    if not body:
        if body is None or body == "":
            return b""
        raise _Bad
    if type(body) is not str or type(encoded) is not bool:
        raise _Bad
    if encoded:
        return b64decode(body, validate=True)
    return body.encode("utf-8")


def _method(method: Any) -> str:
    if type(method) is not str or not method or not method.isascii():
        raise _Bad
    return method


def _clean_ip(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    # Hand-written events sometimes say "192.168.0.1/32"; Django wants a bare address.
    return value.split("/", 1)[0].strip()


def _last(environ: Mapping[str, Any], key: str) -> str:
    value = environ.get(key)
    if value is None:
        return ""
    return str(value).rsplit(",", 1)[-1].strip()


def _base(method: str, body: bytes) -> dict[str, Any]:
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


def _set_scheme(environ: dict[str, Any], scheme: str) -> None:
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


def _set_forwarded_origin(
    environ: dict[str, Any], proto_keys: tuple[str, ...], port_keys: tuple[str, ...]
) -> None:
    """Trust only the entries the proxy itself appended to the X-Forwarded-* headers.

    An ALB (and VPC Lattice) has no source IP in the event. It appends the
    peer's address to X-Forwarded-For, so the last entry is the one a client
    cannot forge; the earlier ones are whatever the client sent.
    """
    environ["REMOTE_ADDR"] = _clean_ip(_last(environ, "HTTP_X_FORWARDED_FOR"))
    scheme = next((s for k in proto_keys if (s := _last(environ, k).lower())), "")
    scheme = scheme if scheme in ("http", "https") else "https"
    port = next((p for k in port_keys if (p := _last(environ, k))), "")
    environ["wsgi.url_scheme"] = scheme
    environ["SERVER_PORT"] = port if port.isdigit() else ("443" if scheme == "https" else "80")
    if scheme == "https":
        environ["HTTPS"] = "on"


def _server_name(environ: dict[str, Any], domain: Any) -> None:
    """Name the host for Django when the event has no Host header.

    Hand-made and console test events often have none; Django would then
    reject every request with DisallowedHost (a 400).
    """
    host = environ.get("HTTP_HOST")
    if host:
        environ["SERVER_NAME"] = host
    elif isinstance(domain, str) and domain:
        environ["SERVER_NAME"] = _wsgi_str(domain)
    else:
        environ["SERVER_NAME"] = ""


def _finish(
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


def _request_context(event: Mapping[str, Any]) -> Mapping[str, Any]:
    rc = event.get("requestContext")
    if type(rc) is not dict and not isinstance(rc, Mapping):
        raise _Bad
    return rc


# --- stage and base path ------------------------------------------------------------


def _is_custom_domain(domain: Any) -> bool:
    return isinstance(domain, str) and bool(domain) and ".execute-api." not in domain


def _stage(rc: Mapping[str, Any]) -> str:
    """The named stage, or "" for none and ``$default``; stage names are ASCII on AWS."""
    stage = rc.get("stage")
    if stage is None or stage == "$default":
        return ""
    if type(stage) is not str or not stage.isascii() or "/" in stage:
        raise _Bad
    return stage


def _strip(environ: dict[str, Any], prefix: str, into_script_name: bool) -> None:
    """Move ``prefix`` (whole segments only) from PATH_INFO to SCRIPT_NAME."""
    path = environ["PATH_INFO"]
    if path != prefix and not path.startswith(prefix + "/"):
        return
    environ["PATH_INFO"] = path[len(prefix) :] or "/"
    if into_script_name:
        environ["SCRIPT_NAME"] += prefix


def _rest_prefix(
    environ: Mapping[str, Any], event: Mapping[str, Any], rc: Mapping[str, Any], stage: str
) -> str:
    """The part of the client's URL that a REST API removed before the route.

    REST strips the stage from 'path' but keeps it in 'requestContext.path', so
    the difference is exactly the client's prefix.
    """
    path, rc_path = event["path"], rc.get("path")
    if type(rc_path) is str and rc_path != path:
        if path != "/" and rc_path.endswith(path):
            prefix = rc_path[: -len(path)]
        elif path == "/":
            prefix = rc_path.rstrip("/")
        else:
            prefix = ""
        if prefix.startswith("/") and "?" not in prefix:
            return _path_info(prefix)
    if (
        stage
        and not _is_custom_domain(rc.get("domainName"))
        and ".execute-api." in environ.get("HTTP_HOST", "")
    ):
        return f"/{stage}"
    return ""


def _base_path(environ: dict[str, Any], domain: Any, conf: BridgeSettings) -> None:
    """A custom domain's API mapping key; the execute-api host has none."""
    if conf.BASE_PATH and _is_custom_domain(domain or environ.get("HTTP_HOST")):
        _strip(environ, conf.BASE_PATH, into_script_name=True)


# --- the formats ----------------------------------------------------------------------

_is_str = str.__instancecheck__


def _v1_body(event: Mapping[str, Any]) -> bytes:
    return _body(event.get("body"), event.get("isBase64Encoded", False))


def _unused_single_map(event: Mapping[str, Any], key: str) -> None:
    """AWS sends a single-value map beside the multi-value one; it must be sane too."""
    value = event.get(key)
    if value and not all(map(_is_str, value.values())):
        raise _Bad


def _v1_query_and_headers(environ: dict[str, Any], event: Mapping[str, Any], safe: str) -> None:
    """REST and ALB: the multi-value maps when present (ALB: multi-value mode), else single.

    A null multi-value map (console test events) falls back to the single-value
    one, which apig-wsgi does not do: it drops every header.
    """
    multi_query = event.get("multiValueQueryStringParameters")
    if multi_query is not None:
        environ["QUERY_STRING"] = _query(multi_query, True, safe)
        _unused_single_map(event, "queryStringParameters")
    else:
        environ["QUERY_STRING"] = _query(event.get("queryStringParameters"), False, safe)
    multi = event.get("multiValueHeaders")
    if multi is not None:
        if type(multi) is not dict and not isinstance(multi, Mapping):
            raise _Bad
        _add_multi_headers(environ, multi)
        _unused_single_map(event, "headers")
    else:
        headers = event.get("headers")
        if headers:
            if type(headers) is not dict and not isinstance(headers, Mapping):
                raise _Bad
            _add_headers(environ, headers)


def _rest(event: dict[str, Any], context: Any, conf: BridgeSettings) -> dict[str, Any]:
    """API Gateway REST API, payload 1.0."""
    rc = _request_context(event)
    path = event["path"]
    if type(path) is not str or not path.startswith("/"):
        raise _Bad
    environ = _base(_method(event["httpMethod"]), _v1_body(event))
    environ["PATH_INFO"] = _path_info(path)
    _v1_query_and_headers(environ, event, "")
    domain = rc.get("domainName")
    _server_name(environ, domain)
    identity = rc.get("identity")
    source = identity.get("sourceIp") if type(identity) is dict else None
    environ["REMOTE_ADDR"] = _clean_ip(source)
    _set_scheme(environ, conf.SCHEME)
    stage = _stage(rc)
    if conf.STAGE_IN_SCRIPT_NAME:
        prefix = _rest_prefix(environ, event, rc, stage)
        if prefix:
            environ["SCRIPT_NAME"] = prefix  # REST already removed it from 'path'
    _base_path(environ, domain, conf)
    return _finish(environ, event, context, Kind.API_GATEWAY_V1, rc, conf)


def _alb(event: dict[str, Any], context: Any, conf: BridgeSettings) -> dict[str, Any]:
    """Application Load Balancer, single- or multi-value mode."""
    rc = _request_context(event)
    path = event["path"]
    if type(path) is not str or not path.startswith("/"):
        raise _Bad
    environ = _base(_method(event["httpMethod"]), _v1_body(event))
    environ["PATH_INFO"] = _path_info(path)
    _v1_query_and_headers(environ, event, _ALB_QUERY_SAFE)
    _set_forwarded_origin(environ, ("HTTP_X_FORWARDED_PROTO",), ("HTTP_X_FORWARDED_PORT",))
    if environ.get("HTTP_HOST"):
        environ["SERVER_NAME"] = environ["HTTP_HOST"]
    else:
        # Target-group health checks carry no Host header (docs/http.md).
        environ["SERVER_NAME"] = health_check_host(environ, conf)
    return _finish(environ, event, context, Kind.ALB, rc, conf)


def _http_api(
    event: dict[str, Any], context: Any, kind: Kind, conf: BridgeSettings
) -> dict[str, Any]:
    """API Gateway HTTP API and Function URLs, payload 2.0."""
    rc = _request_context(event)
    http = rc["http"]
    raw_path = event["rawPath"]
    if type(raw_path) is not str or not raw_path.startswith("/"):
        raise _Bad
    environ = _base(_method(http["method"]), _v1_body(event))
    protocol = http.get("protocol")
    if type(protocol) is str and protocol.isascii() and protocol:
        environ["SERVER_PROTOCOL"] = protocol
    environ["PATH_INFO"] = _path_info(raw_path)
    query = event.get("rawQueryString") or ""
    if type(query) is not str:
        raise _Bad
    environ["QUERY_STRING"] = query if query.isascii() else _wsgi_str(query)
    headers = event.get("headers")
    if headers:
        if type(headers) is not dict and not isinstance(headers, Mapping):
            raise _Bad
        # One pass, no splitting on commas: a value such as a quoted multipart
        # boundary ('boundary="a,b"') may hold one (apig-wsgi keeps its last piece).
        _add_headers(environ, headers)
    cookies = event.get("cookies")
    if cookies:
        if type(cookies) is not list:
            raise _Bad
        joined = "; ".join(cookies)
        _put(environ, "HTTP_COOKIE", joined if joined.isascii() else _wsgi_str(joined))
    domain = rc.get("domainName")
    _server_name(environ, domain)
    environ["REMOTE_ADDR"] = _clean_ip(http.get("sourceIp"))
    _set_scheme(environ, conf.SCHEME)
    if kind is Kind.API_GATEWAY_V2:
        stage = _stage(rc)
        # HTTP APIs keep a named stage in rawPath on the execute-api host. It is
        # always removed from the path; STAGE_IN_SCRIPT_NAME says whether Django
        # sees it as the script prefix (links that include it) or not at all.
        if stage and not _is_custom_domain(domain):
            _strip(environ, f"/{stage}", conf.STAGE_IN_SCRIPT_NAME)
        _base_path(environ, domain, conf)
    return _finish(environ, event, context, kind, rc, conf)


def _lattice(event: dict[str, Any], context: Any, conf: BridgeSettings) -> dict[str, Any]:
    """VPC Lattice, event structure v1 (snake_case keys) and v2 (``version: "2.0"``)."""
    v2 = event.get("version") == "2.0"
    if v2:
        rc = _request_context(event)
        path = event["path"]
        body = _v1_body(event)
        query_params = event.get("queryStringParameters")
    else:
        rc = event.get("requestContext") or {}
        if type(rc) is not dict and not isinstance(rc, Mapping):
            raise _Bad
        path = event["raw_path"]
        body = _body(event.get("body"), event.get("is_base64_encoded", False))
        query_params = event.get("query_string_parameters")
    if type(path) is not str or not path.startswith("/"):
        raise _Bad
    path, _, raw_query = path.partition("?")
    environ = _base(_method(event["method"]), body)
    environ["PATH_INFO"] = _path_info(path)
    if query_params:
        environ["QUERY_STRING"] = _query(query_params, True, "")
    else:
        environ["QUERY_STRING"] = raw_query if raw_query.isascii() else _wsgi_str(raw_query)
    headers = event.get("headers")
    if headers:
        if type(headers) is not dict and not isinstance(headers, Mapping):
            raise _Bad
        if v2 and any(type(v) is list for v in headers.values()):
            _add_multi_headers(
                environ, {k: v if type(v) is list else [v] for k, v in headers.items()}
            )
        else:
            _add_headers(environ, headers)
    # Lattice documents its own headers as x-forwarded-for-proto/-port.
    _set_forwarded_origin(
        environ,
        ("HTTP_X_FORWARDED_FOR_PROTO", "HTTP_X_FORWARDED_PROTO"),
        ("HTTP_X_FORWARDED_FOR_PORT", "HTTP_X_FORWARDED_PORT"),
    )
    environ["SERVER_NAME"] = environ.get("HTTP_HOST", "")
    return _finish(environ, event, context, Kind.VPC_LATTICE, rc, conf)
