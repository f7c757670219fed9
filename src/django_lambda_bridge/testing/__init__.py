"""Helpers to drive the real handler with real event shapes in tests.

``LambdaClient``, ``LambdaAPIClient`` and ``ContractDifference`` are imported
on first use, so this package loads without Django's test machinery or DRF.
"""

from typing import TYPE_CHECKING, Any

from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.events import (
    alb_event,
    apigw_http_event,
    apigw_rest_event,
    function_url_event,
    http_event,
)
from django_lambda_bridge.testing.records import (
    cloudwatch_logs_event,
    dynamodb_event,
    dynamodb_record,
    dynamodb_window_event,
    eventbridge_event,
    invoke_event,
    kinesis_event,
    kinesis_record,
    kinesis_window_event,
    manage_event,
    s3_event,
    s3_record,
    s3_sqs_record,
    s3_test_event,
    scheduled_event,
    scheduler_event,
    sns_envelope,
    sns_event,
    sns_record,
    sns_sqs_record,
    sqs_event,
    sqs_event_from_messages,
    sqs_record,
    warm_up_event,
    websocket_event,
)
from django_lambda_bridge.testing.replies import DecodedReply, decode_reply

if TYPE_CHECKING:
    from django_lambda_bridge.testing.clients import LambdaClient
    from django_lambda_bridge.testing.contract import ContractDifference
    from django_lambda_bridge.testing.drf_client import LambdaAPIClient

_LAZY = {
    "LambdaClient": "django_lambda_bridge.testing.clients",
    "LambdaAPIClient": "django_lambda_bridge.testing.drf_client",
    "ContractDifference": "django_lambda_bridge.testing.contract",
}

__all__ = [
    "ContractDifference",
    "DecodedReply",
    "FakeContext",
    "LambdaAPIClient",
    "LambdaClient",
    "alb_event",
    "apigw_http_event",
    "apigw_rest_event",
    "cloudwatch_logs_event",
    "decode_reply",
    "dynamodb_event",
    "dynamodb_record",
    "dynamodb_window_event",
    "eventbridge_event",
    "function_url_event",
    "http_event",
    "invoke_event",
    "kinesis_event",
    "kinesis_record",
    "kinesis_window_event",
    "manage_event",
    "s3_event",
    "s3_record",
    "s3_sqs_record",
    "s3_test_event",
    "scheduled_event",
    "scheduler_event",
    "sns_envelope",
    "sns_event",
    "sns_record",
    "sns_sqs_record",
    "sqs_event",
    "sqs_event_from_messages",
    "sqs_record",
    "warm_up_event",
    "websocket_event",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
