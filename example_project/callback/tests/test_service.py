"""The project as a whole: plain Django, the Lambda entry point, health, seed_demo, commands."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from callbacks.models import Callback, State
from django_lambda_bridge import events
from django_lambda_bridge.kinds import Kind
from tests.conftest import insert, make_callback

PROJECT = Path(__file__).resolve().parent.parent
BRIDGE = "django_lambda_bridge"
ALLOWED_IMPORTERS = {"callback_service/lambda_function.py", "callbacks/lambda_events.py"}


def imports_bridge(path):
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(n == BRIDGE or n.startswith(BRIDGE + ".") for n in names):
            found.append(node.lineno)
    return found


def test_only_the_lambda_files_import_the_bridge():
    importers = {
        path.relative_to(PROJECT).as_posix()
        for path in PROJECT.rglob("*.py")
        if "tests" not in path.relative_to(PROJECT).parts and imports_bridge(path)
    }
    assert importers == ALLOWED_IMPORTERS


def test_one_entry_point_serves_the_api_the_sender_and_the_sweeper():
    from callback_service.lambda_function import handler

    assert callable(handler)
    routes = {(r.kind, r.batch, r.name) for r in events.router}
    assert (Kind.SQS, True, "callbacks.lambda_events.send_callbacks") in routes
    assert (Kind.SCHEDULE, False, "callbacks.lambda_events.sweep") in routes
    assert events.router.conflicts() == []


@pytest.mark.django_db
def test_django_checks_and_migrations_are_clean():
    call_command("check")
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


PROBE = """
import json
from django_lambda_bridge.testing.events import http_event
from callback_service.lambda_function import handler
print(json.dumps(handler(http_event("v2", "GET", "/api/v1/health/", host="localhost"), None)))
"""


def test_health_is_503_without_a_database():
    pytest.importorskip("psycopg2")
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://callme:secret-pw@127.0.0.1:1/callme",
        "DJANGO_SETTINGS_MODULE": "callback_service.settings",
    }
    run = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    reply = json.loads(run.stdout.strip().splitlines()[-1])
    assert reply["statusCode"] == 503
    assert json.loads(reply["body"]) == {"status": "unavailable", "database": "unreachable"}
    assert "secret-pw" not in run.stdout + run.stderr


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["debug", "force"])
def test_seed_demo_makes_the_published_token_work(settings, callback_settings, monkeypatch, how):
    monkeypatch.setattr("callbacks.outbox.after_insert", lambda callback_id: None)
    settings.DEBUG = how == "debug"
    call_command("seed_demo", *(["--force"] if how == "force" else []))
    call_command("seed_demo", "--force")  # twice is fine
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token demo-callme-token")
    assert client.get("/api/v1/callbacks/").status_code == 200
    assert insert(client, "https://hooks.example.com/").status_code == 201


@pytest.mark.django_db
def test_sweep_callbacks_command(acme, receiver, capsys):
    from datetime import timedelta

    from django.utils import timezone

    stuck = make_callback(acme[0], receiver.url("/hook"),
                          next_attempt_at=timezone.now() - timedelta(seconds=5))  # fmt: skip
    call_command("sweep_callbacks")
    assert json.loads(capsys.readouterr().out) == {"found": 1, "attempted": 1}
    assert Callback.objects.get(pk=stuck.pk).state == State.DELIVERED


@pytest.mark.parametrize("function_timeout, warned", [("30", False), ("20", True), ("", False)])
def test_timeouts_are_checked_against_the_function_timeout(
    monkeypatch, settings, function_timeout, warned
):
    from callbacks.checks import timeouts_fit_the_function

    settings.CALLBACK = {**settings.CALLBACK, "CONNECT_TIMEOUT_SECONDS": 3, "READ_TIMEOUT_SECONDS": 10}
    monkeypatch.setenv("LAMBDA_BRIDGE_FUNCTION_TIMEOUT", function_timeout)
    found = timeouts_fit_the_function()
    assert [w.id for w in found] == (["callbacks.W001"] if warned else [])
