"""Factories for HTTP events, written from the shapes AWS documents.

Each returns a plain dict exactly as Lambda would deliver it, so tests, the
local emulator and the test clients all drive the real handler with real
shapes. Bodies given as bytes that are not UTF-8 are base64-encoded, as every
AWS source does, and a query string given as text travels exactly as given.
"""

from __future__ import annotations

import time
import uuid
from base64 import b64encode
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

HeaderValue = str | Iterable[str]
Headers = Mapping[str, HeaderValue] | Iterable[tuple[str, str]]

REGION = "us-east-1"
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
DEFAULT_SOURCE_IP = "203.0.113.10"
EXECUTE_API_HOST = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
FUNCTION_URL_HOST = f"abcdefghijklmnopqrstuvwxyz0123456.lambda-url.{REGION}.on.aws"
ALB_HOST = f"my-alb-1234567890.{REGION}.elb.amazonaws.com"
TARGET_GROUP_ARN = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/django/0123456789abcdef"
)

#: Format names accepted by ``http_event`` and the test clients.
FORMATS = ("v1", "v2", "function-url", "alb", "alb-multi")


def _header_pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        if isinstance(value, str):
            pairs.append((name, value))
        else:
            pairs.extend((name, v) for v in value)
    return pairs


def _query_pairs(query: str | Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        values = [value] if isinstance(value, str) else list(value)
        pairs.extend((key, str(v)) for v in values)
    return pairs


def _body(body: bytes | str | None, base64: bool | None) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded``; ``base64=None`` lets the bytes decide.

    A JSON event can only carry text, so bytes that are not UTF-8 always travel
    base64, the way every AWS source sends them.
    """
    if body is None or body in (b"", ""):
        return None, False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if not base64:
        if isinstance(body, str):
            return body, False
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            if base64 is False:
                raise ValueError(
                    "base64=False, but the body is not UTF-8 text; an event can only "
                    "carry such bytes base64-encoded (leave base64 unset)."
                ) from None
    return b64encode(raw).decode("ascii"), True


def _raw_query(query: str | Mapping[str, Any] | None, from_path: str) -> str:
    """The query string as the client's request line carries it, never re-encoded."""
    if isinstance(query, str) and query.lstrip("?"):
        return query.lstrip("?")
    if query and not isinstance(query, str):
        return urlencode(_query_pairs(query))
    return from_path


def _raw_pairs(raw: str) -> list[tuple[str, str]]:
    """Split a query string without decoding it (the ALB passes values as sent)."""
    pairs: list[tuple[str, str]] = []
    for piece in raw.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((key, value))
    return pairs


def _split_path(path: str) -> tuple[str, str]:
    path, _, query = path.partition("?")
    return path or "/", query


def _now() -> tuple[str, int]:
    epoch_ms = int(time.time() * 1000)
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000)), epoch_ms


def apigw_rest_event(
    method: str = "GET",
    path: str = "/",
    *,
    query: str | Mapping[str, Any] | None = None,
    headers: Headers | None = None,
    body: bytes | str | None = None,
    base64: bool | None = None,
    stage: str = "prod",
    host: str = EXECUTE_API_HOST,
    base_path: str = "",
    stage_in_url: bool | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    resource: str = "/{proxy+}",
    authorizer: Mapping[str, Any] | None = None,
    identity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A REST API (payload 1.0) proxy event.

    On the execute-api host the client's URL is ``/{stage}{path}`` and API
    Gateway strips the stage from ``path`` (``requestContext.path`` keeps it). On
    a custom domain (``host=...``) the URL is ``{base_path}{path}`` and both keep
    the base path. ``stage_in_url`` forces either (the local emulator serves
    stage URLs on 127.0.0.1).
    """
    path, raw_query = _split_path(path)
    pairs = parse_qsl(_raw_query(query, raw_query), keep_blank_values=True)
    header_pairs = [("Host", host), *_header_pairs(headers)]
    multi_headers: dict[str, list[str]] = {}
    for name, value in header_pairs:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        multi_query.setdefault(key, []).append(value)
    text, encoded = _body(body, base64)
    if stage_in_url is None:
        stage_in_url = ".execute-api." in host
    client_path = f"/{stage}{path}" if stage_in_url else f"{base_path}{path}"
    route_path = path
    if not stage_in_url:
        path = client_path  # a custom domain's base path stays in 'path'
    request_time, epoch_ms = _now()
    ident: dict[str, Any] = {
        "accessKey": None,
        "accountId": None,
        "caller": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": source_ip,
        "user": None,
        "userAgent": multi_headers.get("User-Agent", ["test-client"])[-1],
        "userArn": None,
    }
    ident.update(identity or {})
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": route_path.lstrip("/")} if "{proxy+}" in resource else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "authorizer": dict(authorizer) if authorizer else None,
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "extendedRequestId": str(uuid.uuid4()),
            "httpMethod": method.upper(),
            "identity": ident,
            "path": client_path,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": request_time,
            "requestTimeEpoch": epoch_ms,
            "resourceId": "abc123",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def apigw_http_event(
    method: str = "GET",
    path: str = "/",
    *,
    query: str | Mapping[str, Any] | None = None,
    headers: Headers | None = None,
    body: bytes | str | None = None,
    base64: bool | None = None,
    stage: str = "$default",
    host: str = EXECUTE_API_HOST,
    source_ip: str = DEFAULT_SOURCE_IP,
    authorizer: Mapping[str, Any] | None = None,
    route_key: str = "$default",
    base_path: str = "",
    stage_in_url: bool | None = None,
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event.

    A named stage appears in ``rawPath`` on the execute-api host only; on a
    custom domain the API mapping's key (``base_path``) does instead.
    ``stage_in_url`` forces the former.
    """
    path, raw_query = _split_path(path)
    raw_query = _raw_query(query, raw_query)
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    if stage_in_url is None:
        stage_in_url = ".execute-api." in host
    if stage_in_url:
        raw_path = path if stage == "$default" else f"/{stage}{path}"
    else:
        raw_path = f"{base_path}{path}"
    merged: dict[str, str] = {"host": host}
    cookies: list[str] = []
    for name, value in _header_pairs(headers):
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif key in merged and key != "host":
            merged[key] = f"{merged[key]},{value}"
        else:
            merged[key] = value
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    text, encoded = _body(body, base64)
    request_time, epoch_ms = _now()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": quote(raw_path, safe="/%:@!$&'()*+,;="),
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": host.split(".", 1)[0],
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", "test-client"),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": stage,
            "time": request_time,
            "timeEpoch": epoch_ms,
        },
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if grouped:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in grouped.items()}
    if text is not None:
        event["body"] = text
    if authorizer:
        event["requestContext"]["authorizer"] = dict(authorizer)
    return event


def function_url_event(
    method: str = "GET",
    path: str = "/",
    *,
    host: str = FUNCTION_URL_HOST,
    **kwargs: Any,
) -> dict[str, Any]:
    """A Lambda Function URL event: payload 2.0 on a ``lambda-url`` host, no stage."""
    kwargs.pop("stage", None)
    kwargs.pop("stage_in_url", None)
    return apigw_http_event(method, path, host=host, stage="$default", **kwargs)


def alb_event(
    method: str = "GET",
    path: str = "/",
    *,
    query: str | Mapping[str, Any] | None = None,
    headers: Headers | None = None,
    body: bytes | str | None = None,
    base64: bool | None = None,
    multi_value: bool = False,
    host: str = ALB_HOST,
    source_ip: str = DEFAULT_SOURCE_IP,
    scheme: str = "https",
) -> dict[str, Any]:
    """An ALB target event, in single- or multi-value header mode.

    The ALB appends the client's address to X-Forwarded-For, after anything
    the client itself sent, and passes query names and values as the client
    sent them, still percent-encoded.
    """
    path, raw_query = _split_path(path)
    pairs = _raw_pairs(_raw_query(query, raw_query))
    header_pairs = [("host", host), *((n.lower(), v) for n, v in _header_pairs(headers))]
    forwarded = [v for n, v in header_pairs if n == "x-forwarded-for"]
    header_pairs = [(n, v) for n, v in header_pairs if n != "x-forwarded-for"]
    header_pairs.append(("x-forwarded-for", ", ".join([*forwarded, source_ip])))
    header_pairs.append(("x-forwarded-proto", scheme))
    header_pairs.append(("x-forwarded-port", "443" if scheme == "https" else "80"))
    text, encoded = _body(body, base64)
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
        "httpMethod": method.upper(),
        "path": path,
        "body": text or "",
        "isBase64Encoded": encoded,
    }
    if multi_value:
        multi: dict[str, list[str]] = {}
        for name, value in header_pairs:
            multi.setdefault(name, []).append(value)
        query_multi: dict[str, list[str]] = {}
        for key, value in pairs:
            query_multi.setdefault(key, []).append(value)
        event["multiValueHeaders"] = multi
        event["multiValueQueryStringParameters"] = query_multi
    else:
        single: dict[str, str] = {}
        for name, value in header_pairs:
            single[name] = value  # single-value mode keeps the last one, like the ALB
        event["headers"] = single
        event["queryStringParameters"] = dict(pairs)
    return event


def http_event(fmt: str, method: str = "GET", path: str = "/", **kwargs: Any) -> dict[str, Any]:
    """Build an event of format ``fmt`` (one of ``FORMATS``)."""
    if fmt == "v1":
        return apigw_rest_event(method, path, **kwargs)
    if fmt == "v2":
        return apigw_http_event(method, path, **kwargs)
    if fmt == "function-url":
        return function_url_event(method, path, **kwargs)
    if fmt in ("alb", "alb-multi"):
        kwargs.pop("stage", None)
        return alb_event(method, path, multi_value=fmt == "alb-multi", **kwargs)
    raise ValueError(f"Unknown HTTP event format {fmt!r}; choose one of {', '.join(FORMATS)}.")
