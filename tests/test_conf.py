"""LAMBDA_BRIDGE settings: typed defaults, validation at init, options, and system checks."""

from __future__ import annotations

import pytest
from django.core.checks import Error
from django.core.checks import Warning as CheckWarning
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_lambda_bridge import conf
from django_lambda_bridge.checks import check_settings, check_stage_prefix
from django_lambda_bridge.conf import (
    DEFAULT_TEXT_CONTENT_TYPES,
    DEFAULT_USERNAME_CLAIMS,
    BridgeSettings,
    get_settings,
)
from django_lambda_bridge.errors import BridgeError, ConfigurationError
from django_lambda_bridge.handler import make_handler


def test_defaults(settings):
    settings.LAMBDA_BRIDGE = {}
    loaded = BridgeSettings.load()
    assert loaded.BASE_PATH == ""
    assert loaded.STAGE_IN_SCRIPT_NAME is True
    assert loaded.SCHEME == "https"
    assert loaded.TEXT_CONTENT_TYPES == DEFAULT_TEXT_CONTENT_TYPES
    assert loaded.RAISE_EXCEPTIONS is False
    assert loaded.RESPONSE_SIZE_LIMIT is None
    assert loaded.USERNAME_CLAIMS == DEFAULT_USERNAME_CLAIMS
    assert loaded.CREATE_USERS is False


def test_missing_setting_is_all_defaults(settings):
    del settings.LAMBDA_BRIDGE
    assert BridgeSettings.load() == BridgeSettings()


def test_unknown_key_names_valid_ones(settings):
    settings.LAMBDA_BRIDGE = {"BASEPATH": "/api"}
    with pytest.raises(ConfigurationError) as caught:
        BridgeSettings.load()
    assert "BASEPATH" in str(caught.value)
    assert "BASE_PATH" in str(caught.value)
    assert isinstance(caught.value, BridgeError)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("RAISE_EXCEPTIONS", "yes", "True or False"),
        ("STAGE_IN_SCRIPT_NAME", 1, "True or False"),
        ("CREATE_USERS", None, "True or False"),
        ("TEXT_CONTENT_TYPES", "text/", "list or tuple of str"),
        ("TEXT_CONTENT_TYPES", ["text/", 3], "list or tuple of str"),
        ("USERNAME_CLAIMS", "sub", "list or tuple of str"),
        ("BASE_PATH", 5, "must be a str"),
        ("SCHEME", "ftp", "'https' or 'http'"),
        ("RESPONSE_SIZE_LIMIT", -1, "positive int"),
        ("RESPONSE_SIZE_LIMIT", "6MB", "positive int"),
        ("JSON_LOGS", "yes", "True or False"),
        ("SNAPSTART", "on", "True, False or None"),
        ("REQUEST_ID_HEADER", "X Request Id", "header name"),
        ("REQUEST_ID_HEADER", "X-Requëst-ID", "header name"),
        ("METRICS_NAMESPACE", 5, "must be a str"),
    ],
)
def test_wrong_types_fail_at_load(settings, key, value, words):
    settings.LAMBDA_BRIDGE = {key: value}
    with pytest.raises(ConfigurationError, match=words) as caught:
        BridgeSettings.load()
    assert key in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("", ""), ("/", ""), ("api", "/api"), ("/api/", "/api"), ("a/b", "/a/b")],
)
def test_base_path_is_normalised(settings, raw, normalised):
    settings.LAMBDA_BRIDGE = {"BASE_PATH": raw}
    assert normalised == BridgeSettings.load().BASE_PATH


def test_lists_become_tuples(settings):
    settings.LAMBDA_BRIDGE = {"USERNAME_CLAIMS": ["email", "sub"]}
    assert BridgeSettings.load().USERNAME_CLAIMS == ("email", "sub")


def test_make_handler_options_override_settings(settings):
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/a", "RAISE_EXCEPTIONS": False}
    handler = make_handler(base_path="/b", raise_exceptions=True, warm_up=False)
    assert handler.conf.BASE_PATH == "/b"
    assert handler.conf.RAISE_EXCEPTIONS is True
    assert get_settings() is handler.conf


def test_make_handler_rejects_unknown_options(settings):
    settings.LAMBDA_BRIDGE = {}
    with pytest.raises(ConfigurationError, match="BOGUS"):
        make_handler(bogus=1)


def test_an_override_keeps_the_handler_options(settings, monkeypatch):
    monkeypatch.setattr(conf, "_active", None)
    settings.LAMBDA_BRIDGE = {}
    handler = make_handler(base_path="/x")
    assert get_settings().BASE_PATH == "/x"
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/y", "RAISE_EXCEPTIONS": True}
    # defaults < LAMBDA_BRIDGE < make_handler options: the option still wins, and the
    # key the handler left alone comes from the override.
    assert get_settings().BASE_PATH == "/x"
    assert get_settings().RAISE_EXCEPTIONS is True
    assert handler.conf is get_settings()


def test_get_settings_is_cached_until_the_setting_changes(settings, monkeypatch):
    monkeypatch.setattr(conf, "_active", None)
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/a"}
    first = get_settings()
    assert get_settings() is first
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/b"}
    second = get_settings()
    assert second is not first
    assert second.BASE_PATH == "/b"
    assert get_settings() is second


def test_without_a_handler_get_settings_is_lambda_bridge_alone(settings, monkeypatch):
    monkeypatch.setattr(conf, "_active", None)
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/only"}
    assert get_settings() == BridgeSettings(BASE_PATH="/only")


@pytest.mark.django_db  # the request cycle may touch connections
def test_the_http_path_sees_overrides_and_keeps_handler_options(settings, monkeypatch):
    from django_lambda_bridge.testing import FakeContext, http_event
    from tests.http_support import call, echo

    monkeypatch.setattr(conf, "_active", None)
    settings.LAMBDA_BRIDGE = {}
    handler = make_handler(scheme="http", warm_up=False)
    assert call(handler, http_event("v2", "GET", "/boom/")).status == 500
    settings.LAMBDA_BRIDGE = {"RAISE_EXCEPTIONS": True}
    with pytest.raises(RuntimeError, match="boom"):
        handler(http_event("v2", "GET", "/boom/"), FakeContext())
    assert echo(handler, http_event("v2", "GET", "/echo/"))["is_secure"] is False  # the option


@pytest.mark.django_db  # the request cycle may touch connections
def test_event_dispatch_sees_overrides_and_keeps_handler_options(settings, monkeypatch):
    from django_lambda_bridge.testing import FakeContext

    monkeypatch.setattr(conf, "_active", None)
    settings.LAMBDA_BRIDGE = {}
    plain = make_handler(warm_up=False)
    settings.LAMBDA_BRIDGE = {"MANAGE_COMMANDS": ["showmigrations"]}
    assert plain({"manage": ["check"]}, FakeContext())["exit_code"] == 2  # refused now
    assert plain.conf.MANAGE_COMMANDS == ("showmigrations",)

    pinned = make_handler(warm_up=False, manage_commands=["check"])
    settings.LAMBDA_BRIDGE = {"MANAGE_COMMANDS": ["showmigrations"], "ATOMIC_RECORDS": True}
    assert pinned({"manage": ["check"]}, FakeContext())["exit_code"] == 0
    assert pinned({"manage": ["showmigrations"]}, FakeContext())["exit_code"] == 2
    assert pinned.conf.ATOMIC_RECORDS is True


def test_each_handler_keeps_its_own_options_and_the_invoked_one_is_in_force(settings, monkeypatch):
    from django_lambda_bridge.testing import warm_up_event

    monkeypatch.setattr(conf, "_active", None)
    settings.LAMBDA_BRIDGE = {}
    first = make_handler(warm_up=False, base_path="/one")
    second = make_handler(warm_up=False, base_path="/two")
    assert (first.conf.BASE_PATH, second.conf.BASE_PATH) == ("/one", "/two")
    assert get_settings().BASE_PATH == "/two"  # the last one made
    first(warm_up_event(), None)
    assert get_settings().BASE_PATH == "/one"  # the last one invoked


def test_a_settings_object_given_to_the_handler_acts_as_options(settings):
    from django_lambda_bridge.handler import LambdaHandler

    settings.LAMBDA_BRIDGE = {"RAISE_EXCEPTIONS": True}
    handler = LambdaHandler(BridgeSettings(BASE_PATH="/given"))
    assert handler.conf.BASE_PATH == "/given"
    assert handler.conf.RAISE_EXCEPTIONS is True


def test_new_proxy_settings_are_typed(settings):
    settings.LAMBDA_BRIDGE = {"PROXY_SECRET_FALLBACKS": ["a" * 40], "PROXY_REPLAY_CACHE": "x"}
    loaded = BridgeSettings.load()
    assert loaded.PROXY_SECRET_FALLBACKS == ("a" * 40,)
    assert loaded.PROXY_REPLAY_CACHE == "x"
    assert BridgeSettings().PROXY_REPLAY_CACHE == "default"
    for bad in ({"PROXY_SECRET_FALLBACKS": "a" * 40}, {"PROXY_REPLAY_CACHE": 3}):
        settings.LAMBDA_BRIDGE = bad
        with pytest.raises(ConfigurationError, match=next(iter(bad))):
            BridgeSettings.load()


# --- system checks ----------------------------------------------------------------------


def test_check_settings_clean(settings):
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/api"}
    assert check_settings() == []


def test_check_settings_reports_bad_settings(settings):
    settings.LAMBDA_BRIDGE = {"RAISE_EXCEPTIONS": "no"}
    (message,) = check_settings()
    assert isinstance(message, Error)
    assert message.id == "django_lambda_bridge.E001"
    assert "RAISE_EXCEPTIONS" in message.msg


def test_check_stage_prefix_warns_on_force_script_name(settings):
    settings.FORCE_SCRIPT_NAME = None
    assert check_stage_prefix() == []
    settings.FORCE_SCRIPT_NAME = "/prod"
    (message,) = check_stage_prefix()
    assert isinstance(message, CheckWarning)
    assert message.id == "django_lambda_bridge.W001"
    assert "BASE_PATH" in message.hint


def test_checks_are_registered_with_manage_py_check(settings):
    settings.LAMBDA_BRIDGE = {"UNKNOWN": 1}
    with pytest.raises(SystemCheckError, match=r"django_lambda_bridge\.E001"):
        call_command("check")
    settings.LAMBDA_BRIDGE = {}
    call_command("check")


@pytest.mark.parametrize("bad", [["s" * 40 + "-retired-secret", 5], 5, "one-string-secret-" * 3])
def test_a_bad_secret_list_is_refused_without_echoing_the_secrets(bad):
    with pytest.raises(ConfigurationError) as caught:
        BridgeSettings.load({"PROXY_SECRET_FALLBACKS": bad})
    message = str(caught.value)
    assert "PROXY_SECRET_FALLBACKS" in message
    assert "secret" not in message.replace("PROXY_SECRET_FALLBACKS", "").lower()
