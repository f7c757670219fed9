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
    handler = make_handler(base_path="/b", raise_exceptions=True)
    assert handler.conf.BASE_PATH == "/b"
    assert handler.conf.RAISE_EXCEPTIONS is True
    assert get_settings() is handler.conf


def test_make_handler_rejects_unknown_options(settings):
    settings.LAMBDA_BRIDGE = {}
    with pytest.raises(ConfigurationError, match="BOGUS"):
        make_handler(bogus=1)


def test_overriding_the_setting_forgets_the_active_one(settings):
    settings.LAMBDA_BRIDGE = {}
    make_handler(base_path="/x")
    assert get_settings().BASE_PATH == "/x"
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/y"}
    assert get_settings().BASE_PATH == "/y"


def test_activate_is_what_get_settings_returns(settings):
    settings.LAMBDA_BRIDGE = {}
    mine = BridgeSettings(BASE_PATH="/z")
    conf.activate(mine)
    assert get_settings() is mine


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
