"""``manage.py check --deploy``: each Lambda pitfall reported with its id, and only then."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.db import connection

from django_lambda_bridge import deploy_checks as dc
from tests import settings as test_settings

INSTALLED = [a for a in test_settings.INSTALLED_APPS if a != "django.contrib.admin"]
CASES = [
    ("W040", dc.check_debug, {"DEBUG": True}, {"DEBUG": False}),
    (
        "W041",
        dc.check_allowed_hosts,
        {"ALLOWED_HOSTS": ["localhost", "127.0.0.1"]},
        {"ALLOWED_HOSTS": [".execute-api.eu-west-1.amazonaws.com"]},
    ),
    (
        "W043",
        dc.check_proxy_ssl_header,
        {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")},
        {"SECURE_PROXY_SSL_HEADER": None},
    ),
    (
        "W045",
        dc.check_admin_static,
        {"INSTALLED_APPS": [*INSTALLED, "django.contrib.admin"], "STATIC_URL": "static/"},
        {"STATIC_URL": "https://cdn.example.com/static/"},
    ),
    (
        "W046",
        dc.check_manage_allow_list,
        {"LAMBDA_BRIDGE": {"MANAGE_COMMANDS": ["migrate", "shell"]}},
        {"LAMBDA_BRIDGE": {"MANAGE_COMMANDS": ["migrate"]}},
    ),
    (
        "W047",
        dc.check_deadline_fits,
        {"LAMBDA_BRIDGE": {"FUNCTION_TIMEOUT_SECONDS": 6, "DEADLINE_MARGIN_MS": 10_000}},
        {"LAMBDA_BRIDGE": {"FUNCTION_TIMEOUT_SECONDS": 30, "DEADLINE_MARGIN_MS": 10_000}},
    ),
]


@pytest.mark.parametrize(("code", "check", "bad", "good"), CASES, ids=[c[0] for c in CASES])
def test_each_check_fires_on_the_pitfall_and_not_on_the_fix(settings, code, check, bad, good):
    for name, value in bad.items():
        setattr(settings, name, value)
    found = check()
    assert [m.id for m in found] == [f"django_lambda_bridge.{code}"]
    assert found[0].hint  # every message says how to fix it
    for name, value in good.items():
        setattr(settings, name, value)
    assert check() == []


def test_a_malformed_proxy_ssl_header_is_called_out(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("X-Forwarded-Proto", "https")
    (message,) = dc.check_proxy_ssl_header()
    assert "never matches" in message.msg


def test_an_unknown_function_timeout_is_reported(settings, monkeypatch):
    monkeypatch.delenv("LAMBDA_BRIDGE_FUNCTION_TIMEOUT", raising=False)
    settings.LAMBDA_BRIDGE = {}
    (message,) = dc.check_deadline_fits()
    assert "unknown" in message.msg
    assert "LAMBDA_BRIDGE_FUNCTION_TIMEOUT" in message.hint


def test_persistent_connections_need_health_checks(settings):
    db = settings.DATABASES["default"]
    db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"] = None, False
    try:
        assert [m.id for m in dc.check_persistent_connections()] == ["django_lambda_bridge.W042"]
        db["CONN_HEALTH_CHECKS"] = True
        assert dc.check_persistent_connections() == []
    finally:
        db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"] = 0, False


def test_pinning_options_behind_a_proxy(settings):
    proxied = {"HOST": "app.proxy-abc.eu-west-1.rds.amazonaws.com", "OPTIONS": {}}
    settings.DATABASES["proxied"] = proxied  # read as written: no connection is made
    try:
        assert dc.check_proxy_pinning() == []
        proxied["OPTIONS"]["assume_role"] = "owner"
        assert [m.id for m in dc.check_proxy_pinning()] == ["django_lambda_bridge.W048"]
        proxied["LAMBDA_BRIDGE"] = "not a dict"  # E050's to report; this check carries on
        assert [m.id for m in dc.check_proxy_pinning()] == ["django_lambda_bridge.W048"]
    finally:
        del settings.DATABASES["proxied"]


@pytest.mark.django_db
def test_snapstart_with_a_connection_opened_at_init(settings):
    settings.LAMBDA_BRIDGE = {"SNAPSTART": True}
    connection.ensure_connection()
    assert [m.id for m in dc.check_snapstart_connections()] == ["django_lambda_bridge.W044"]
    settings.LAMBDA_BRIDGE = {"SNAPSTART": False}
    assert dc.check_snapstart_connections() == []


def test_the_checks_run_with_deploy_only(settings):
    settings.DEBUG = True
    deploy = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "django_lambda_bridge.W040" in deploy
    assert "django_lambda_bridge.W040" not in {m.id for m in run_checks()}


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"ENGINE": "django_lambda_bridge.db.backends.postgresql",
          "LAMBDA_BRIDGE": {"IAM_AUTH": True, "SECRET_ID": "x"}}, "not both"),
        ({"ENGINE": "django.db.backends.postgresql",
          "LAMBDA_BRIDGE": {"SECRET_ID": "x"}}, "only the django_lambda_bridge"),
    ],
)  # fmt: skip
def test_database_options_are_checked_before_the_first_query(settings, entry, match):
    from django_lambda_bridge.checks import check_database_options

    settings.DATABASES["checked"] = entry
    try:
        (message,) = check_database_options()
        assert message.id == "django_lambda_bridge.E050"
        assert match in message.msg
        entry["LAMBDA_BRIDGE"] = {}
        entry["ENGINE"] = "django_lambda_bridge.db.backends.postgresql"
        assert check_database_options() == []
    finally:
        del settings.DATABASES["checked"]
