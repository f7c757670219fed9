"""The health check: no authentication, a real database round trip."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

PROJECT = Path(__file__).resolve().parent.parent

# The real handler, in a fresh process whose DATABASE_URL names a port nobody listens on.
PROBE = """
import json
from django_lambda_bridge.testing.events import http_event
from exchange_service.lambda_function import handler
reply = handler(http_event("v2", "GET", "/api/v1/health/", host="localhost"), None)
print(json.dumps(reply))
"""


@pytest.mark.django_db
def test_healthy_without_credentials():
    reply = APIClient().get("/api/v1/health/")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "database": "ok"}


def test_database_down_is_a_503_problem():
    pytest.importorskip("psycopg2")
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://exchange:secret-pw@127.0.0.1:1/exchange",
        "DJANGO_SETTINGS_MODULE": "exchange_service.settings",
    }
    run = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )
    reply = json.loads(run.stdout.strip().splitlines()[-1])
    assert reply["statusCode"] == 503
    assert reply["headers"]["content-type"].startswith("application/problem+json")
    body = json.loads(reply["body"])
    assert body["database"] == "unavailable"
    assert body["detail"] == "database unavailable: OperationalError"
    assert "secret-pw" not in run.stdout + run.stderr  # the password never reaches a reply or log
