"""Helpers to drive the real handler with real event shapes in tests."""

from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.events import (
    alb_event,
    apigw_http_event,
    apigw_rest_event,
    function_url_event,
    http_event,
)
from django_lambda_bridge.testing.replies import DecodedReply, decode_reply

__all__ = [
    "DecodedReply",
    "FakeContext",
    "alb_event",
    "apigw_http_event",
    "apigw_rest_event",
    "decode_reply",
    "function_url_event",
    "http_event",
]
