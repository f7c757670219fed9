"""Say what is wrong with an HTTP event that could not be translated.

Runs only after translation failed, so well-formed events never pay for it;
its message becomes the detail of the 400 reply. ``None`` means no known
problem was found (the bridge's safety net then answers a generic 400).
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Mapping
from typing import Any

from django_lambda_bridge.kinds import Kind


def explain(event: Mapping[str, Any], kind: Kind) -> str | None:
    """Return the first problem found in ``event``, worded for the client."""
    try:
        if kind is Kind.VPC_LATTICE:
            return _lattice(event)
        if kind in (Kind.API_GATEWAY_V1, Kind.ALB):
            return _v1(event, kind)
        return _v2(event, kind)
    except Exception:
        return None


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text(value: str, where: str) -> str | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{where} holds text that is not valid Unicode (a lone surrogate)."
    return None


def _request_context(event: Mapping[str, Any], kind: Kind) -> str | None:
    rc = event.get("requestContext")
    if not isinstance(rc, Mapping):
        return f"A {kind.value} event needs a 'requestContext' object; got {_type(rc)}."
    stage = rc.get("stage")
    if stage is not None and (not isinstance(stage, str) or not stage.isascii() or "/" in stage):
        return (
            "'requestContext.stage' must be an API Gateway stage name (ASCII letters, "
            f"digits, '-' and '_'), got {stage!r}."
        )
    for key in ("domainName", "path"):
        value = rc.get(key)
        if isinstance(value, str) and _text(value, ""):
            return _text(value, f"'requestContext.{key}'")
    return None


def _body(event: Mapping[str, Any], key: str = "body", flag: str = "isBase64Encoded") -> str | None:
    body = event.get(key)
    if body is None:
        return None
    if not isinstance(body, str):
        return f"'{key}' must be a string or null, got {_type(body)}."
    encoded = event.get(flag, False)
    if not isinstance(encoded, bool):
        return f"'{flag}' must be true or false, got {_type(encoded)}."
    try:
        if encoded:
            b64decode(body, validate=True)
        else:
            body.encode("utf-8")
    except (binascii.Error, ValueError) as exc:
        if encoded:
            return f"'{key}' is marked {flag} but is not valid base64 ({exc})."
        return f"'{key}' holds text that is not valid Unicode (a lone surrogate)."
    return None


def _method(value: Any, where: str) -> str | None:
    if not isinstance(value, str) or not value:
        return f"'{where}' must be a non-empty string, got {value!r}."
    if not value.isascii():
        return f"'{where}' must be an HTTP method (ASCII letters), got {value!r}."
    return None


def _path(value: Any, where: str) -> str | None:
    if not isinstance(value, str) or not value:
        return f"'{where}' must be a non-empty string, got {value!r}."
    if not value.startswith("/"):
        return f"'{where}' must start with '/', got {value!r}."
    return _text(value, f"'{where}'")


def _str_map(event: Mapping[str, Any], key: str, multi: bool | None) -> str | None:
    """``multi``: values are lists of strings; None: strings or lists (Lattice v2)."""
    value = event.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return f"'{key}' must be an object or null, got {_type(value)}."
    for name, item in value.items():
        if not isinstance(name, str):
            return f"'{key}' must map names to strings."
        if multi is None and isinstance(item, list):
            items = item
        elif multi:
            if not isinstance(item, list):
                return f"'{key}' must map names to lists of strings."
            items = item
        else:
            items = [item]
        for piece in items:
            if not isinstance(piece, str):
                return f"'{key}[{name!r}]' must hold strings only."
            problem = _text(piece, f"'{key}[{name!r}]'") or _text(name, f"'{key}'")
            if problem:
                return problem
    return None


def _first(*problems: str | None) -> str | None:
    return next((p for p in problems if p), None)


def _v1(event: Mapping[str, Any], kind: Kind) -> str | None:
    return _first(
        _request_context(event, kind),
        _body(event),
        _method(event.get("httpMethod"), "httpMethod"),
        _path(event.get("path"), "path"),
        _str_map(event, "headers", multi=False),
        _str_map(event, "multiValueHeaders", multi=True),
        _str_map(event, "queryStringParameters", multi=False),
        _str_map(event, "multiValueQueryStringParameters", multi=True),
    )


def _v2(event: Mapping[str, Any], kind: Kind) -> str | None:
    problem = _request_context(event, kind)
    if problem:
        return problem
    http = event["requestContext"].get("http")
    if not isinstance(http, Mapping):
        return "'requestContext.http' must be an object."
    query = event.get("rawQueryString") or ""
    cookies = event.get("cookies") or []
    return _first(
        _body(event),
        _method(http.get("method"), "requestContext.http.method"),
        _path(event.get("rawPath"), "rawPath"),
        "'rawQueryString' must be a string." if not isinstance(query, str) else None,
        _text(query, "'rawQueryString'") if isinstance(query, str) else None,
        _str_map(event, "headers", multi=False),
        (
            "'cookies' must be a list of strings."
            if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies)
            else _first(*(_text(c, "'cookies'") for c in cookies))
        ),
    )


def _lattice(event: Mapping[str, Any]) -> str | None:
    if event.get("version") == "2.0":
        rc = event.get("requestContext")
        return _first(
            None
            if isinstance(rc, Mapping)
            else f"A VPC Lattice v2 event needs a 'requestContext' object; got {_type(rc)}.",
            _body(event),
            _method(event.get("method"), "method"),
            _path(event.get("path"), "path"),
            _str_map(event, "headers", multi=None),
            _str_map(event, "queryStringParameters", multi=None),
        )
    rc = event.get("requestContext")
    return _first(
        None
        if rc is None or isinstance(rc, Mapping)
        else f"'requestContext' must be an object or absent, got {_type(rc)}.",
        _body(event, "body", "is_base64_encoded"),
        _method(event.get("method"), "method"),
        _path(event.get("raw_path"), "raw_path"),
        _str_map(event, "headers", multi=False),
        _str_map(event, "query_string_parameters", multi=None),
    )
