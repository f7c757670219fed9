"""The pytest plugin, registered through the ``pytest11`` entry point.

``--lambda-events=v1|v2|function-url|alb|alb-multi`` sends every request of
the standard test clients (``django.test.Client``, pytest-django's ``client``,
``TestCase.client``, DRF's ``APIClient`` and ``APITestCase.client``) through
the project's Lambda handler as events of that format, so an unchanged suite
can be run both ways and compared. Without the option the plugin only adds
fixtures; it imports Django, DRF and moto only when they are needed.
"""

from __future__ import annotations

import os

import pytest

from django_lambda_bridge.testing.events import FORMATS
from django_lambda_bridge.testing.fixtures import (
    invoke,
    lambda_api_client,
    lambda_client,
    lambda_context,
    lambda_event,
    lambda_handler,
    moto_server,
    s3_bucket,
    sns_topic,
    sqs_queue,
)

__all__ = [
    "invoke",
    "lambda_api_client",
    "lambda_client",
    "lambda_context",
    "lambda_event",
    "lambda_handler",
    "moto_server",
    "s3_bucket",
    "sns_topic",
    "sqs_queue",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("django-lambda-bridge")
    group.addoption(
        "--lambda-events",
        choices=FORMATS,
        default=None,
        help="Send every Django/DRF test client request through the Lambda handler as "
        "events of this format (default: $DJANGO_LAMBDA_EVENTS, else in-process).",
    )
    group.addoption(
        "--lambda-stage",
        default=None,
        help="API Gateway stage in the URL for v1/v2 events (v1 default: prod; '' for none).",
    )
    group.addoption(
        "--lambda-handler",
        default=None,
        help="The handler as 'module:attribute' (default: $DJANGO_LAMBDA_HANDLER, "
        "else make_handler() with the test settings).",
    )


def _wanted(config: pytest.Config) -> tuple[str, str | None, str | None] | None:
    events = config.getoption("lambda_events") or os.environ.get("DJANGO_LAMBDA_EVENTS")
    if not events:
        return None
    stage = config.getoption("lambda_stage")
    if stage is None:
        stage = os.environ.get("DJANGO_LAMBDA_STAGE")
    handler = config.getoption("lambda_handler") or os.environ.get("DJANGO_LAMBDA_HANDLER")
    return events, stage, handler


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    wanted = _wanted(config)
    if wanted is None:
        return
    from django.conf import settings

    if not settings.configured:
        raise pytest.UsageError(
            "--lambda-events needs Django settings: install pytest-django and set "
            "DJANGO_SETTINGS_MODULE (or --ds)."
        )
    from django_lambda_bridge.errors import ConfigurationError
    from django_lambda_bridge.testing.client import route_clients

    try:
        route_clients(*wanted)
    except ConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from exc


def pytest_unconfigure(config: pytest.Config) -> None:
    if _wanted(config) is None:
        return
    from django_lambda_bridge.testing.client import unroute_clients

    unroute_clients()


def pytest_report_header(config: pytest.Config) -> str | None:
    wanted = _wanted(config)
    if wanted is None:
        return None
    from django_lambda_bridge.testing.client import active_route

    route = active_route()
    return f"django-lambda-bridge: test clients send {route.describe() if route else '?'}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _wanted(terminalreporter.config) is None:
        return
    from django_lambda_bridge.testing.client import LambdaClientHandler

    terminalreporter.write_line(
        f"django-lambda-bridge: {LambdaClientHandler.invocations} test client requests "
        "went through the Lambda handler"
    )
