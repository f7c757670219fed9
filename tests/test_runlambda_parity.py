"""``runlambda`` does what ``runserver`` does for a developer: static files, migration
and host warnings, and each traceback printed once. Real subprocesses, real HTTP."""

from __future__ import annotations

import http.client
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import rest_framework
from django.test import override_settings

from django_lambda_bridge import conf as conf_module
from django_lambda_bridge.handler import make_handler
from django_lambda_bridge.local import hosts
from django_lambda_bridge.local.static import StaticFiles, static_url_path
from django_lambda_bridge.local.terminal import NotShownYet, log_to_terminal
from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.events import FORMATS, http_event
from django_lambda_bridge.testing.replies import decode_reply
from tests import settings as test_settings
from tests.runlambda_support import ROOT, port_of, start_command, stop

SETTINGS = "tests.runlambda_settings"
CSS = "rest_framework/css/bootstrap.min.css"
CSS_BYTES = (Path(rest_framework.__file__).parent / "static" / CSS).read_bytes()


@contextmanager
def runlambda(*args: str, **env: str) -> Iterator[tuple[int, str, list[str]]]:
    """(port, stdout up to "Serving", stderr lines after it stops)."""
    proc, out = start_command("127.0.0.1:0", *args, settings=SETTINGS, env=env)
    err: list[str] = []
    try:
        yield port_of(proc, out), out, err
    finally:
        code, text = stop(proc)
        err.extend(text.splitlines())
    assert code == 0, text


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- static files -------------------------------------------------------------------


def test_static_files_are_served_under_debug_and_a_view_traceback_is_printed_once():
    with runlambda("--format", "v1", DLB_DEBUG="1") as (port, _, err):
        status, headers, body = get(port, f"/prod/static/{CSS}")
        assert status == 200
        assert headers["Content-Type"] == "text/css"
        assert body == CSS_BYTES
        # A name no finder has, and a path that climbs out of the static dirs.
        assert get(port, "/prod/static/rest_framework/css/nope.css")[0] == 404
        escape = get(port, "/prod/static/../../tests/settings.py")
        assert escape[0] in (400, 404)
        assert b"SECRET_KEY" not in escape[2]
        assert get(port, "/prod/boom/")[0] == 500
    text = "\n".join(err)
    assert text.count("RuntimeError: boom") == 1, text
    assert text.count("Traceback (most recent call last)") == 1, text
    # The bridge's line with the ids is still there, without a second traceback.
    assert sum("Unhandled exception in a view for GET /prod/boom/" in line for line in err) == 1


def test_without_debug_static_files_are_not_served_and_the_traceback_is_printed_once():
    with runlambda("--format", "v1") as (port, _, err):
        status, _, body = get(port, f"/prod/static/{CSS}")
        assert status == 404  # Django's own answer: no URL pattern matches
        assert body != CSS_BYTES
        assert get(port, "/prod/boom/")[0] == 500
    text = "\n".join(err)
    assert text.count("RuntimeError: boom") == 1, text
    assert text.count("Traceback (most recent call last)") == 1, text


@pytest.mark.parametrize(
    ("args", "debug", "served"),
    [(["--nostatic"], "1", False), (["--insecure"], "0", True)],
    ids=["nostatic-under-debug", "insecure-without-debug"],
)
def test_static_switches_behave_like_runserver(args, debug, served):
    with runlambda("--format", "alb", *args, DLB_DEBUG=debug) as (port, _, _err):
        status, _, body = get(port, f"/static/{CSS}")
    assert (status == 200 and body == CSS_BYTES) is served


@pytest.mark.parametrize(
    ("static_url", "prefix", "expected"),
    [
        ("static/", "/prod", "/prod/static/"),
        ("static/", "", "/static/"),
        ("/assets/", "/prod", "/assets/"),
        ("/assets", "", "/assets/"),
        ("https://cdn.example.com/static/", "/prod", None),
        ("", "", None),
        ("", "/prod", None),
        ("/", "", None),
    ],
)
def test_static_url_path_follows_djangos_script_prefix_rule(static_url, prefix, expected):
    with override_settings(STATIC_URL=static_url):
        assert static_url_path(prefix) == expected


def test_static_answer_ignores_other_urls_and_methods():
    static = StaticFiles("/prod/static/")
    assert static.answer("GET", "/prod/api/", []) is None
    assert static.answer("GET", "/static/x.css", []) is None
    assert static.answer("POST", f"/prod/static/{CSS}", []) is None


@pytest.fixture(scope="module")
def handler():
    saved = conf_module._active
    yield make_handler("tests.settings", scheme="http")
    conf_module._active = saved


@pytest.mark.django_db  # DEBUG's 404 page may read the session
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_lambda_handler_never_serves_static_files(handler, fmt):
    """Static serving lives in the local server only; the deployed path 404s under DEBUG."""
    apps = ["django.contrib.staticfiles", *test_settings.INSTALLED_APPS]
    with override_settings(DEBUG=True, INSTALLED_APPS=apps, STATIC_URL="static/"):
        reply = decode_reply(handler(http_event(fmt, "GET", f"/static/{CSS}"), FakeContext()))
    assert reply.status == 404
    assert reply.body != CSS_BYTES


# --- migrations -----------------------------------------------------------------------


def test_unapplied_migrations_are_reported_at_startup(tmp_path):
    db = str(tmp_path / "db.sqlite3")
    with runlambda(DLB_SQLITE=db) as (_, out, _err):
        pass
    assert "unapplied migration(s)" in out
    assert "Run 'python manage.py migrate' to apply them." in out
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DLB_SQLITE": db,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    migrate = [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120)
    with runlambda(DLB_SQLITE=db) as (_, out, _err):
        pass
    assert "unapplied" not in out
    assert out.startswith("Serving")


# --- ALLOWED_HOSTS -----------------------------------------------------------------------


def test_startup_warns_when_the_deployed_host_would_be_refused():
    with runlambda("--format", "v1", DLB_ALLOWED_HOSTS="127.0.0.1") as (port, _, err):
        assert get(port, "/prod/echo/")[0] == 200  # locally fine, which is the trap
    warning = next(line for line in err if "DisallowedHost" in line)
    assert warning.startswith("Warning: ALLOWED_HOSTS = ['127.0.0.1'] refuses ")
    assert ".execute-api." in warning
    assert "custom domain" in warning


def test_no_host_warning_when_the_deployed_host_is_allowed():
    allowed = ".execute-api.us-east-1.amazonaws.com,127.0.0.1"
    with runlambda("--format", "v2", DLB_ALLOWED_HOSTS=allowed) as (_, _out, err):
        pass
    assert not [line for line in err if "DisallowedHost" in line]


@pytest.mark.parametrize(
    ("allowed", "refused"),
    [
        ([], set(FORMATS)),
        (["*"], set()),
        ([".execute-api.us-east-1.amazonaws.com"], {"function-url", "alb", "alb-multi"}),
        ([".lambda-url.us-east-1.on.aws"], {"v1", "v2", "alb", "alb-multi"}),
        ([".elb.amazonaws.com"], {"v1", "v2", "function-url"}),
        (["localhost", "127.0.0.1", "[::1]", ".localhost"], set(FORMATS)),
        # The exact hosts a correct project lists: its API's own host, a custom domain.
        (["abc.execute-api.eu-west-1.amazonaws.com"], {"function-url", "alb", "alb-multi"}),
        (["abc.execute-api.eu-west-1.amazonaws.com", "api.example.com"], set()),
    ],
)
def test_deployed_host_warning_per_format(allowed, refused):
    with override_settings(ALLOWED_HOSTS=allowed, DEBUG=True):
        warned = {fmt for fmt in FORMATS if hosts.deployed_host_warning(fmt)}
    assert warned == refused


def test_deployed_host_warning_says_what_to_add():
    with override_settings(ALLOWED_HOSTS=[]):
        assert ".lambda-url.<region>.on.aws" in str(hosts.deployed_host_warning("function-url"))
        assert "ALB's DNS name" in str(hosts.deployed_host_warning("alb"))


@pytest.mark.parametrize(
    ("allowed", "debug", "host", "warned"),
    [
        ([], True, "127.0.0.1", False),  # Django's DEBUG defaults allow loopback
        ([], False, "127.0.0.1", True),
        (["api.example.com"], True, "127.0.0.1", True),
        (["api.example.com"], True, "::1", True),
        (["[::1]"], False, "::1", False),
        (["api.example.com"], False, "0.0.0.0", False),
    ],
)
def test_local_host_warning(allowed, debug, host, warned):
    with override_settings(ALLOWED_HOSTS=allowed, DEBUG=debug):
        assert bool(hosts.local_host_warning(host)) is warned


# --- the terminal handler ------------------------------------------------------------------


@pytest.fixture
def fresh_logger():
    logger = logging.getLogger("tests.runlambda.terminal")
    saved = logger.handlers[:], logger.propagate
    yield logger
    logger.handlers[:], logger.propagate = saved


def _record(logger, level=logging.ERROR):
    return logger.makeRecord(logger.name, level, __file__, 1, "boom", (), None)


def test_a_record_already_printed_to_the_terminal_is_not_printed_again(fresh_logger):
    fresh_logger.addHandler(logging.StreamHandler(sys.stderr))
    assert NotShownYet().filter(_record(fresh_logger)) is False


def test_records_no_terminal_handler_took_pass(fresh_logger, tmp_path):
    only_warnings = logging.StreamHandler(sys.stderr)
    only_warnings.setLevel(logging.WARNING)
    fresh_logger.addHandler(only_warnings)
    fresh_logger.addHandler(logging.FileHandler(tmp_path / "log.txt"))
    fresh_logger.addHandler(logging.StreamHandler(io.StringIO()))
    assert NotShownYet().filter(_record(fresh_logger, logging.INFO)) is True
    refusing = logging.StreamHandler(sys.stderr)
    refusing.addFilter(lambda record: False)
    fresh_logger.handlers[:] = [refusing]
    assert NotShownYet().filter(_record(fresh_logger)) is True
    for handler in fresh_logger.handlers:
        handler.close()


def test_log_to_terminal_leaves_a_configured_root_alone():
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        root.handlers[:] = [logging.NullHandler()]
        assert log_to_terminal(io.StringIO()) is None
        root.handlers[:] = []
        stream = io.StringIO()
        handler = log_to_terminal(stream)
        assert handler is not None
        logging.getLogger("tests.runlambda.someapp").warning("hello %s", "there")
        assert stream.getvalue() == "hello there\n"
    finally:
        root.handlers[:], root.level = saved, level


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_view_exception_leaves_one_traceback_in_the_log(handler, caplog, fmt):
    """What CloudWatch gets through the root logger: Django's traceback, and our ids line."""
    with caplog.at_level(logging.INFO):
        reply = decode_reply(handler(http_event(fmt, "GET", "/boom/"), FakeContext()))
    assert reply.status == 500
    tracebacks = [r for r in caplog.records if r.exc_info and str(r.exc_info[1]) == "boom"]
    assert [r.name for r in tracebacks] == ["django.request"]
    ours = [
        r
        for r in caplog.records
        if r.name.startswith("django_lambda_bridge") and r.name != "django_lambda_bridge.access"
    ]
    assert len(ours) == 1
    assert "RuntimeError" in ours[0].getMessage()
    access = [r for r in caplog.records if r.name == "django_lambda_bridge.access"]
    assert [r.http_status for r in access] == [500]  # and the request's access line
