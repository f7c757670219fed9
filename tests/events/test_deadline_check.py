"""A deadline margin that can never run a whole batch is reported before deploy and at init."""

from __future__ import annotations

import logging

import pytest

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.events.batch import Deadline
from django_lambda_bridge.events.checks import check_deadline
from django_lambda_bridge.events.deadline import TIMEOUT_ENV, full_batch_problem
from django_lambda_bridge.testing import FakeContext


@pytest.fixture(autouse=True)
def no_timeout_env(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)


def ids(messages):
    return [m.id for m in messages]


def test_the_margin_is_the_smaller_of_the_setting_and_the_fraction():
    assert Deadline(FakeContext(timeout_ms=6_000), 10_000, 0.25).margin_ms in (1_499, 1_500)
    assert Deadline(FakeContext(timeout_ms=900_000), 10_000, 0.25).margin_ms == 10_000
    assert Deadline(None, 10_000, 0.25).margin_ms == 10_000  # no context: no deadline at all


def test_the_default_configuration_is_fine_on_a_short_timeout(settings):
    settings.LAMBDA_BRIDGE = {"FUNCTION_TIMEOUT_SECONDS": 3}
    assert check_deadline() == []


def test_a_margin_that_takes_the_whole_timeout_warns(settings):
    settings.LAMBDA_BRIDGE = {"FUNCTION_TIMEOUT_SECONDS": 6, "DEADLINE_MARGIN_FRACTION": 1}
    (message,) = check_deadline()
    assert message.id == "django_lambda_bridge.W011"
    assert "first record only" in message.msg
    assert "6000 ms" in message.msg
    assert "one receive" in message.msg


def test_the_timeout_can_come_from_the_environment(settings, monkeypatch):
    settings.LAMBDA_BRIDGE = {"DEADLINE_MARGIN_FRACTION": 1.0}
    assert check_deadline() == []  # timeout unknown: nothing to say
    monkeypatch.setenv(TIMEOUT_ENV, "3")
    assert ids(check_deadline()) == ["django_lambda_bridge.W011"]
    monkeypatch.setenv(TIMEOUT_ENV, "30")
    assert check_deadline() == []  # the 10 s margin is under 30 s


@pytest.mark.parametrize("value", ["", "3s", "0", "901", "-3"])
def test_an_unreadable_timeout_variable_warns(settings, monkeypatch, value):
    settings.LAMBDA_BRIDGE = {}
    monkeypatch.setenv(TIMEOUT_ENV, value)
    assert ids(check_deadline()) == ["django_lambda_bridge.W012"]


def test_the_handler_warns_at_init(caplog):
    from django_lambda_bridge.handler import LambdaHandler

    conf = BridgeSettings(FUNCTION_TIMEOUT_SECONDS=3, DEADLINE_MARGIN_FRACTION=1.0)
    with caplog.at_level(logging.WARNING, logger="django_lambda_bridge.events"):
        LambdaHandler(conf)
    assert full_batch_problem(conf) in caplog.text
    caplog.clear()
    LambdaHandler(BridgeSettings(FUNCTION_TIMEOUT_SECONDS=3))
    assert "first record only" not in caplog.text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DEADLINE_MARGIN_FRACTION", 0),
        ("DEADLINE_MARGIN_FRACTION", 1.5),
        ("DEADLINE_MARGIN_FRACTION", True),
        ("DEADLINE_MARGIN_FRACTION", "0.2"),
        ("FUNCTION_TIMEOUT_SECONDS", 0),
        ("FUNCTION_TIMEOUT_SECONDS", 901),
        ("FUNCTION_TIMEOUT_SECONDS", 3.5),
        ("WEBSOCKET_ENDPOINT_URL", "example.com"),
        ("WEBSOCKET_ENDPOINT_URL", 1),
    ],
)
def test_bad_values_are_refused(settings, key, value):
    settings.LAMBDA_BRIDGE = {key: value}
    with pytest.raises(ConfigurationError, match=key):
        BridgeSettings.load()
