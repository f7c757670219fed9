"""The proxy's setup: refused by system checks, at startup and per request when unsafe."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_lambda_bridge import conf as conf_module
from django_lambda_bridge.checks import check_proxy
from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.events.proxy_config import proxy_mounted
from django_lambda_bridge.handler import make_handler

SECRET = "s3cret-for-tests-only-0123456789abcdef"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
FILE = "django.core.cache.backends.filebased.FileBasedCache"
DB = "django.core.cache.backends.db.DatabaseCache"


@pytest.fixture
def proxy(settings, tmp_path, monkeypatch):
    """The proxy mounted and configured; returns a function that picks the replay cache."""
    monkeypatch.setattr(conf_module, "_active", None)  # no handler's options linger
    settings.ROOT_URLCONF = "tests.events.urls"
    settings.LAMBDA_BRIDGE = {"PROXY_SECRET": SECRET, "PROXY_REPLAY_CACHE": "replay"}

    def use(backend: str, **extra: str) -> None:
        location = str(tmp_path / "cache") if backend == FILE else "replay-table"
        settings.CACHES = {
            "default": {"BACKEND": LOCMEM},
            "replay": {"BACKEND": backend, "LOCATION": location, **extra},
        }

    return use


def ids(messages) -> list[str]:
    return [m.id for m in messages]


@pytest.mark.parametrize("backend", [DUMMY, LOCMEM])
def test_a_process_local_replay_cache_is_a_check_error(proxy, backend):
    proxy(backend)
    (message,) = check_proxy()
    assert message.id == "django_lambda_bridge.E031"
    assert message.level >= 40  # ERROR
    assert "replay" in message.msg
    assert "PROXY_REPLAY_CACHE" in message.hint
    with pytest.raises(SystemCheckError, match=r"django_lambda_bridge\.E031"):
        call_command("check")


def test_a_database_cache_on_an_in_memory_sqlite_is_process_local(proxy):
    proxy(DB)
    assert ids(check_proxy()) == ["django_lambda_bridge.E031"]


def test_a_file_cache_is_only_a_warning_naming_its_reach(proxy):
    proxy(FILE)
    (message,) = check_proxy()
    assert message.id == "django_lambda_bridge.W030"
    assert "one machine" in message.msg
    call_command("check")  # warnings do not stop a deploy


def test_an_unknown_backend_is_a_warning_that_can_be_silenced(proxy, settings):
    proxy("tests.events.replay_cache.HomeMadeCache")
    assert ids(check_proxy()) == ["django_lambda_bridge.W031"]


def test_a_missing_cache_alias_is_an_error(proxy, settings):
    proxy(FILE)
    settings.LAMBDA_BRIDGE = {**settings.LAMBDA_BRIDGE, "PROXY_REPLAY_CACHE": "nope"}
    (message,) = check_proxy()
    assert message.id == "django_lambda_bridge.E031"
    assert "'nope'" in message.msg


def test_the_replay_cache_is_not_checked_when_the_proxy_is_not_mounted(proxy, settings):
    proxy(LOCMEM)
    settings.ROOT_URLCONF = "tests.testapp.urls"
    assert not proxy_mounted()
    assert check_proxy() == []


def test_nothing_is_checked_without_a_secret(proxy, settings):
    proxy(DUMMY)
    settings.LAMBDA_BRIDGE = {"PROXY_REPLAY_CACHE": "replay"}
    assert check_proxy() == []


def test_the_default_replay_cache_is_the_default_alias(proxy, settings):
    proxy(FILE)
    settings.LAMBDA_BRIDGE = {"PROXY_SECRET": SECRET}  # default, a LocMemCache
    assert ids(check_proxy()) == ["django_lambda_bridge.E031"]


@pytest.mark.parametrize("key", ["PROXY_SECRET", "PROXY_SECRET_FALLBACKS"])
def test_a_short_secret_is_a_check_error_mounted_or_not(proxy, settings, key):
    proxy(FILE)
    short = "too-short-0123456789"
    value = [SECRET, short] if key == "PROXY_SECRET_FALLBACKS" else short
    settings.LAMBDA_BRIDGE = {**settings.LAMBDA_BRIDGE, key: value}
    for urlconf in ("tests.events.urls", "tests.testapp.urls"):
        settings.ROOT_URLCONF = urlconf
        errors = [m for m in check_proxy() if m.id == "django_lambda_bridge.E030"]
        assert len(errors) == 1
        assert key in errors[0].msg
        assert "32" in errors[0].msg
        assert short not in errors[0].msg + errors[0].hint


def test_a_proxy_mounted_in_a_nested_include_is_found(settings):
    settings.ROOT_URLCONF = "tests.events.nested_urls"
    assert proxy_mounted()


# --- at startup ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", [DUMMY, LOCMEM])
def test_make_handler_refuses_a_mounted_proxy_without_shared_replay_cache(proxy, backend):
    proxy(backend)
    with pytest.raises(ConfigurationError, match="mounted but unsafe") as caught:
        make_handler("tests.settings", warm_up=False)
    assert "PROXY_REPLAY_CACHE" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_make_handler_refuses_a_mounted_proxy_with_a_short_secret(proxy):
    proxy(FILE)
    with pytest.raises(ConfigurationError, match="at least 32"):
        make_handler("tests.settings", warm_up=False, proxy_secret="0123456789")


def test_make_handler_accepts_a_shared_replay_cache(proxy):
    proxy(FILE)
    handler = make_handler("tests.settings", warm_up=False)
    assert handler.conf.PROXY_REPLAY_CACHE == "replay"


def test_make_handler_does_not_care_when_the_proxy_is_off_or_unmounted(proxy, settings):
    proxy(DUMMY)
    make_handler("tests.settings", warm_up=False, proxy_secret="")
    settings.ROOT_URLCONF = "tests.testapp.urls"
    make_handler("tests.settings", warm_up=False)


def test_a_broken_urlconf_does_not_hide_the_replay_cache_error(proxy, settings):
    proxy(LOCMEM)
    settings.ROOT_URLCONF = "tests.events.no_such_urlconf"
    assert ids(check_proxy()) == ["django_lambda_bridge.E031"]
