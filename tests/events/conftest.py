from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.events.dispatch import dispatch_event
from django_lambda_bridge.events.routes import Router
from django_lambda_bridge.kinds import classify
from tests.events.eventsapp import lambda_events


@pytest.fixture
def router() -> Router:
    """A private route table, so unit tests don't see or change the project's routes."""
    return Router()


@pytest.fixture
def run(router: Router):
    """Dispatch an event through ``router`` as the handler would, with chosen settings."""

    def run(event: dict[str, Any], context: Any = None, **settings: Any) -> Any:
        conf = BridgeSettings(**{k.upper(): v for k, v in settings.items()})
        return dispatch_event(event, context, classify(event), conf, router)

    return run


@pytest.fixture
def calls() -> Iterator[list[tuple[str, Any]]]:
    """What the autodiscovered eventsapp handlers ran, reset around each test."""
    lambda_events.CALLS.clear()
    yield lambda_events.CALLS
    lambda_events.CALLS.clear()


@pytest.fixture(scope="module")
def handler():
    """The real Lambda handler for tests.settings, built as make_handler builds it."""
    from django_lambda_bridge import make_handler

    return make_handler("tests.settings", warm_up=False)
