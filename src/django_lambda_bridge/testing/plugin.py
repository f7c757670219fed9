"""The pytest plugin, registered through the ``pytest11`` entry point.

``--lambda-events=v1|v2|function-url|alb|alb-multi`` sends every request of
the standard test clients (``django.test.Client``, pytest-django's ``client``,
``TestCase.client``, DRF's ``APIClient`` and ``APITestCase.client``) through
the project's Lambda handler as events of that format, so an unchanged suite
can be run both ways and compared. The summary counts the requests that went
through the handler (across pytest-xdist workers) and those that did not;
``--lambda-strict`` fails the run on either problem. Without the option the
plugin only adds fixtures; it imports Django, DRF and moto only when needed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from django_lambda_bridge.testing.env import (
    ENV_BINARY_MEDIA_TYPES,
    ENV_EVENTS,
    ENV_HANDLER,
    ENV_STAGE,
    strict_from_env,
)
from django_lambda_bridge.testing.events import FORMATS
from django_lambda_bridge.testing.fixtures import (
    lambda_api_client,
    lambda_aws_env,
    lambda_client,
    lambda_context,
    lambda_event,
    lambda_handler,
    lambda_invoke,
    lambda_moto_server,
    lambda_s3_bucket,
    lambda_sns_topic,
    lambda_sqs_queue,
)
from django_lambda_bridge.testing.tally import Tally, process_tally

__all__ = [
    "lambda_api_client",
    "lambda_aws_env",
    "lambda_client",
    "lambda_context",
    "lambda_event",
    "lambda_handler",
    "lambda_invoke",
    "lambda_moto_server",
    "lambda_s3_bucket",
    "lambda_sns_topic",
    "lambda_sqs_queue",
]

#: Key of the counts a pytest-xdist worker sends back in ``workeroutput``.
WORKER_OUTPUT_KEY = "django_lambda_bridge"
_workers_key = pytest.StashKey[Tally]()
_total_key = pytest.StashKey[Tally]()


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
    group.addoption(
        "--lambda-binary-media-types",
        default=None,
        help="The REST API's binaryMediaTypes, comma-separated, for v1 events "
        "(default: $DJANGO_LAMBDA_BINARY_MEDIA_TYPES, else '*/*'; '' for none).",
    )
    group.addoption(
        "--lambda-strict",
        action="store_true",
        default=False,
        help="Fail the run when the switch is on but requests bypassed the Lambda "
        "handler, or none went through it (also $DJANGO_LAMBDA_STRICT=1).",
    )


def _wanted(
    config: pytest.Config,
) -> tuple[str, str | None, str | None, tuple[str, ...] | None] | None:
    events = config.getoption("lambda_events") or os.environ.get(ENV_EVENTS)
    if not events:
        return None
    from django_lambda_bridge.testing.route import parse_media_types

    stage = config.getoption("lambda_stage")
    if stage is None:
        stage = os.environ.get(ENV_STAGE)
    handler = config.getoption("lambda_handler") or os.environ.get(ENV_HANDLER)
    media = config.getoption("lambda_binary_media_types")
    if media is None:
        media = os.environ.get(ENV_BINARY_MEDIA_TYPES)
    return events, stage, handler, parse_media_types(media) if media is not None else None


def _strict(config: pytest.Config) -> bool:
    return bool(config.getoption("lambda_strict")) or strict_from_env()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


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
    from django_lambda_bridge.testing.switch import route_clients

    try:
        route_clients(*wanted)
    except ConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.stash[_workers_key] = Tally()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _wanted(config) is None:
        return
    from django_lambda_bridge.testing.switch import unroute_clients

    unroute_clients()


def pytest_report_header(config: pytest.Config) -> str | None:
    wanted = _wanted(config)
    if wanted is None:
        return None
    from django_lambda_bridge.testing.switch import active_route

    route = active_route()
    return f"django-lambda-bridge: test clients send {route.describe() if route else '?'}"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker finished; add the counts it sent back."""
    workers = node.config.stash.get(_workers_key, None)
    if workers is not None:
        workers.merge(getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY))


def total_tally(config: pytest.Config) -> Tally:
    """This process's counts plus those of every xdist worker that reported back."""
    total = process_tally()
    total.merge(config.stash.get(_workers_key, None))
    return total


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _wanted(config) is None:
        return
    if _is_worker(config):
        config.workeroutput[WORKER_OUTPUT_KEY] = process_tally().as_dict()  # type: ignore[attr-defined]
        return
    total = total_tally(config)
    config.stash[_total_key] = total
    if _strict(config) and total.problems() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    if _wanted(config) is None or _is_worker(config):
        return
    total = config.stash.get(_total_key, None) or total_tally(config)
    terminalreporter.write_line(total.summary())
    problems = total.problems()
    for problem in problems:
        terminalreporter.write_line(f"django-lambda-bridge: {problem}", red=True, bold=True)
    if problems and _strict(config):
        terminalreporter.write_line(
            "django-lambda-bridge: --lambda-strict: the run fails because of the above.",
            red=True,
            bold=True,
        )
