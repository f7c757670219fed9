"""ALB target-group health checks send no Host header; HEALTH_CHECK_PATH answers them.

Django refuses a Host-less request with DisallowedHost (400), so a health check
could only pass by opening ALLOWED_HOSTS to everything. A Host-less ALB request
for exactly ``HEALTH_CHECK_PATH`` is given a host ALLOWED_HOSTS already allows
and is served by the project's view there; nothing else changes.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.testing.events import http_event
from tests.http_support import (
    call,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)


def health_check_event(fmt="alb", path="/healthz/", method="GET"):
    """What a target group sends: no Host, no X-Forwarded-*, the ELB health checker agent."""
    event = http_event(fmt, method, path, headers={"user-agent": "ELB-HealthChecker/2.0"})
    for key in ("headers", "multiValueHeaders"):
        if key in event:
            event[key] = {k: v for k, v in event[key].items() if k.lower() == "user-agent"}
    return event


@pytest.fixture
def locked_hosts(settings):
    settings.ALLOWED_HOSTS = ["api.example.com", ".example.org"]


@pytest.mark.parametrize("fmt", ["alb", "alb-multi"])
def test_without_the_setting_a_health_check_is_refused(locked_hosts, fmt):
    reply = call(make_handler(), health_check_event(fmt))
    assert reply.status == 400  # Django's DisallowedHost


@pytest.mark.parametrize("fmt", ["alb", "alb-multi"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_health_check_path_is_served(settings, locked_hosts, fmt, method):
    settings.LAMBDA_BRIDGE = {"HEALTH_CHECK_PATH": "/healthz/"}
    reply = call(make_handler(), health_check_event(fmt, method=method))
    assert reply.status == 200
    if method == "GET":
        assert json.loads(reply.body) == {"status": "ok", "host": "api.example.com"}


def test_only_that_path_gets_a_host(settings, locked_hosts):
    settings.LAMBDA_BRIDGE = {"HEALTH_CHECK_PATH": "/healthz/"}
    handler = make_handler()
    assert call(handler, health_check_event(path="/echo/")).status == 400
    assert call(handler, health_check_event(path="/healthz/x")).status == 400
    assert call(handler, health_check_event(method="POST")).status == 400


def test_a_host_the_client_sent_is_never_replaced(settings, locked_hosts):
    settings.LAMBDA_BRIDGE = {"HEALTH_CHECK_PATH": "/healthz/"}
    event = http_event("alb", "GET", "/healthz/", host="evil.example.net")
    assert call(make_handler(), event).status == 400  # still Django's DisallowedHost


def test_pattern_hosts_are_used_as_plain_names(settings):
    settings.ALLOWED_HOSTS = [".example.org"]
    settings.LAMBDA_BRIDGE = {"HEALTH_CHECK_PATH": "/healthz/"}
    reply = call(make_handler(), health_check_event())
    assert json.loads(reply.body)["host"] == "example.org"


@pytest.mark.parametrize("value", ["healthz", 5, None])
def test_setting_must_be_a_path(value):
    with pytest.raises(ConfigurationError, match="HEALTH_CHECK_PATH"):
        BridgeSettings.load({"HEALTH_CHECK_PATH": value})
