"""The handler's reply -> what the client receives -> the response a test asserts on."""

from __future__ import annotations

import copy
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import replace
from http.cookies import SimpleCookie
from typing import Any

from django.http import HttpResponse
from django.http.response import HttpResponseBase, ResponseHeaders

from django_lambda_bridge.testing.replies import DecodedReply
from django_lambda_bridge.testing.route import LambdaRoute, matches_media_types, media_type

#: Response attributes that carry the HTTP message; these come from the reply only.
_MESSAGE_ATTRIBUTES = ("_container", "_iterator", "file_to_stream", "_resource_closers")


def as_received(
    reply: DecodedReply,
    raw_reply: Mapping[str, Any],
    environ: Mapping[str, Any],
    route: LambdaRoute,
) -> DecodedReply:
    """What the gateway hands the client for this reply.

    A REST API turns a base64 reply body back into bytes only when its
    ``binaryMediaTypes`` match the request's ``Accept`` header (its first media
    type); otherwise the client receives the base64 text itself, as it would
    from a real API so configured.
    """
    if route.events != "v1" or not raw_reply.get("isBase64Encoded"):
        return reply
    accept = media_type(str(environ.get("HTTP_ACCEPT") or ""))
    if matches_media_types(accept, route.binary_media_types):
        return reply
    return replace(reply, body=b64encode(reply.body))


def to_response(reply: DecodedReply, captured: HttpResponseBase | None) -> HttpResponseBase:
    """A response whose status, headers, cookies and bytes are the reply's.

    When Django produced the same status in-process, the response is a copy of
    Django's object (so its class, DRF's ``data``, ``renderer_context`` and the
    like are there) with the HTTP message replaced; otherwise a plain one.
    """
    response: HttpResponseBase
    if captured is not None and captured.status_code == reply.status:
        response = copy.copy(captured)
        for name in _MESSAGE_ATTRIBUTES:
            response.__dict__.pop(name, None)
        response._resource_closers = []  # type: ignore[attr-defined]
        response.closed = False
        if response.streaming:
            response.streaming_content = [reply.body]  # type: ignore[attr-defined]
        else:
            response.content = reply.body  # type: ignore[attr-defined]
    else:
        response = HttpResponse(reply.body, status=reply.status)
    response.headers = ResponseHeaders({})
    response.cookies = SimpleCookie()
    for name, value in reply.headers:
        if name.lower() == "set-cookie":
            response.cookies.load(value)
        elif name in response.headers:
            response.headers[name] = f"{response.headers[name]}, {value}"
        else:
            response.headers[name] = value
    return response
