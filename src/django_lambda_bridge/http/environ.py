"""Event -> WSGI environ, in one pass per event format.

Each event format has one translation function that reads every field once
and writes the environ a WSGI server would build for the same request: no
second pass over the headers, no second unquote of the path. The translation
is written so that a malformed event makes it raise; only then does
``http.malformed`` walk the event again to say what was wrong (see
docs/architecture.md for why this replaced apig-wsgi's ``get_environ_v1/v2``).
"""

from __future__ import annotations

from binascii import Error as BinasciiError
from collections.abc import Mapping
from typing import Any

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import MalformedEventError
from django_lambda_bridge.http.fields import (
    ALB_QUERY_SAFE,
    Malformed,
    add_headers,
    add_multi_headers,
    base_environ,
    clean_ip,
    decode_body,
    finish,
    http_method,
    path_info,
    put,
    query_string,
    request_context,
    server_name,
    set_forwarded_origin,
    set_scheme,
    wsgi_str,
)
from django_lambda_bridge.http.health import health_check_host
from django_lambda_bridge.http.malformed import explain
from django_lambda_bridge.http.script_name import (
    base_path,
    is_custom_domain,
    move_prefix,
    rest_prefix,
    stage_name,
)
from django_lambda_bridge.kinds import Kind

#: What translation raises on a malformed event; ``explain`` then words the 400.
_TRANSLATION_ERRORS = (
    AttributeError,
    KeyError,
    TypeError,
    ValueError,
    UnicodeError,
    BinasciiError,
)


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
    except (Malformed, *_TRANSLATION_ERRORS) as exc:
        problem = explain(event, kind)
        if problem is None:
            raise  # the bridge's safety net answers 400 and logs the traceback
        raise MalformedEventError(problem) from exc


_is_str = str.__instancecheck__


def _v1_body(event: Mapping[str, Any]) -> bytes:
    return decode_body(event.get("body"), event.get("isBase64Encoded", False))


def _unused_single_map(event: Mapping[str, Any], key: str) -> None:
    """AWS sends a single-value map beside the multi-value one; it must be sane too."""
    value = event.get(key)
    if value and not all(map(_is_str, value.values())):
        raise Malformed


def _v1_query_and_headers(environ: dict[str, Any], event: Mapping[str, Any], safe: str) -> None:
    """REST and ALB: the multi-value maps when present (ALB: multi-value mode), else single.

    A null multi-value map (console test events) falls back to the single-value
    one, which apig-wsgi does not do: it drops every header.
    """
    multi_query = event.get("multiValueQueryStringParameters")
    if multi_query is not None:
        environ["QUERY_STRING"] = query_string(multi_query, True, safe)
        _unused_single_map(event, "queryStringParameters")
    else:
        environ["QUERY_STRING"] = query_string(event.get("queryStringParameters"), False, safe)
    multi = event.get("multiValueHeaders")
    if multi is not None:
        if type(multi) is not dict and not isinstance(multi, Mapping):
            raise Malformed
        add_multi_headers(environ, multi)
        _unused_single_map(event, "headers")
    else:
        headers = event.get("headers")
        if headers:
            if type(headers) is not dict and not isinstance(headers, Mapping):
                raise Malformed
            add_headers(environ, headers)


def _v1_start(event: dict[str, Any]) -> tuple[Mapping[str, Any], dict[str, Any]]:
    """The request context and the method, body and path of a payload 1.0 shape."""
    rc = request_context(event)
    path = event["path"]
    if type(path) is not str or not path.startswith("/"):
        raise Malformed
    environ = base_environ(http_method(event["httpMethod"]), _v1_body(event))
    environ["PATH_INFO"] = path_info(path)
    return rc, environ


def _rest(event: dict[str, Any], context: Any, conf: BridgeSettings) -> dict[str, Any]:
    """API Gateway REST API, payload 1.0."""
    rc, environ = _v1_start(event)
    _v1_query_and_headers(environ, event, "")
    domain = rc.get("domainName")
    server_name(environ, domain)
    identity = rc.get("identity")
    source = identity.get("sourceIp") if type(identity) is dict else None
    environ["REMOTE_ADDR"] = clean_ip(source)
    set_scheme(environ, conf.SCHEME)
    stage = stage_name(rc)
    if conf.STAGE_IN_SCRIPT_NAME:
        prefix = rest_prefix(environ, event, rc, stage)
        if prefix:
            environ["SCRIPT_NAME"] = prefix  # REST already removed it from 'path'
    base_path(environ, domain, conf)
    return finish(environ, event, context, Kind.API_GATEWAY_V1, rc, conf)


def _alb(event: dict[str, Any], context: Any, conf: BridgeSettings) -> dict[str, Any]:
    """Application Load Balancer, single- or multi-value mode."""
    rc, environ = _v1_start(event)
    _v1_query_and_headers(environ, event, ALB_QUERY_SAFE)
    set_forwarded_origin(environ, ("HTTP_X_FORWARDED_PROTO",), ("HTTP_X_FORWARDED_PORT",))
    if environ.get("HTTP_HOST"):
        environ["SERVER_NAME"] = environ["HTTP_HOST"]
    else:
        # Target-group health checks carry no Host header (docs/http.md).
        environ["SERVER_NAME"] = health_check_host(environ, conf)
    return finish(environ, event, context, Kind.ALB, rc, conf)


def _http_api(
    event: dict[str, Any], context: Any, kind: Kind, conf: BridgeSettings
) -> dict[str, Any]:
    """API Gateway HTTP API and Function URLs, payload 2.0."""
    rc = request_context(event)
    http = rc["http"]
    raw_path = event["rawPath"]
    if type(raw_path) is not str or not raw_path.startswith("/"):
        raise Malformed
    environ = base_environ(http_method(http["method"]), _v1_body(event))
    protocol = http.get("protocol")
    if type(protocol) is str and protocol.isascii() and protocol:
        environ["SERVER_PROTOCOL"] = protocol
    environ["PATH_INFO"] = path_info(raw_path)
    query = event.get("rawQueryString") or ""
    if type(query) is not str:
        raise Malformed
    environ["QUERY_STRING"] = query if query.isascii() else wsgi_str(query)
    headers = event.get("headers")
    if headers:
        if type(headers) is not dict and not isinstance(headers, Mapping):
            raise Malformed
        # One pass, no splitting on commas: a value such as a quoted multipart
        # boundary ('boundary="a,b"') may hold one (apig-wsgi keeps its last piece).
        add_headers(environ, headers)
    cookies = event.get("cookies")
    if cookies:
        if type(cookies) is not list:
            raise Malformed
        joined = "; ".join(cookies)
        put(environ, "HTTP_COOKIE", joined if joined.isascii() else wsgi_str(joined))
    domain = rc.get("domainName")
    server_name(environ, domain)
    environ["REMOTE_ADDR"] = clean_ip(http.get("sourceIp"))
    set_scheme(environ, conf.SCHEME)
    if kind is Kind.API_GATEWAY_V2:
        stage = stage_name(rc)
        # HTTP APIs keep a named stage in rawPath on the execute-api host. It is
        # always removed from the path; STAGE_IN_SCRIPT_NAME says whether Django
        # sees it as the script prefix (links that include it) or not at all.
        if stage and not is_custom_domain(domain):
            move_prefix(environ, f"/{stage}", conf.STAGE_IN_SCRIPT_NAME)
        base_path(environ, domain, conf)
    return finish(environ, event, context, kind, rc, conf)


def _lattice(event: dict[str, Any], context: Any, conf: BridgeSettings) -> dict[str, Any]:
    """VPC Lattice, event structure v1 (snake_case keys) and v2 (``version: "2.0"``)."""
    v2 = event.get("version") == "2.0"
    if v2:
        rc = request_context(event)
        path = event["path"]
        body = _v1_body(event)
        query_params = event.get("queryStringParameters")
    else:
        rc = event.get("requestContext") or {}
        if type(rc) is not dict and not isinstance(rc, Mapping):
            raise Malformed
        path = event["raw_path"]
        body = decode_body(event.get("body"), event.get("is_base64_encoded", False))
        query_params = event.get("query_string_parameters")
    if type(path) is not str or not path.startswith("/"):
        raise Malformed
    path, _, raw_query = path.partition("?")
    environ = base_environ(http_method(event["method"]), body)
    environ["PATH_INFO"] = path_info(path)
    if query_params:
        environ["QUERY_STRING"] = query_string(query_params, True, "")
    else:
        environ["QUERY_STRING"] = raw_query if raw_query.isascii() else wsgi_str(raw_query)
    headers = event.get("headers")
    if headers:
        if type(headers) is not dict and not isinstance(headers, Mapping):
            raise Malformed
        if v2 and any(type(v) is list for v in headers.values()):
            add_multi_headers(
                environ, {k: v if type(v) is list else [v] for k, v in headers.items()}
            )
        else:
            add_headers(environ, headers)
    # Lattice documents its own headers as x-forwarded-for-proto/-port.
    set_forwarded_origin(
        environ,
        ("HTTP_X_FORWARDED_FOR_PROTO", "HTTP_X_FORWARDED_PROTO"),
        ("HTTP_X_FORWARDED_FOR_PORT", "HTTP_X_FORWARDED_PORT"),
    )
    environ["SERVER_NAME"] = environ.get("HTTP_HOST", "")
    return finish(environ, event, context, Kind.VPC_LATTICE, rc, conf)
