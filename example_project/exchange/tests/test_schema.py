"""Contract proof: the OpenAPI schema through the Lambda path is the in-process one.

The in-process schema comes from the view itself (APIRequestFactory, no client
and no handler), so it stays in-process whichever switch the suite runs under.
"""

import json
from urllib.parse import urlsplit

import pytest
from drf_spectacular.views import SpectacularAPIView
from rest_framework.test import APIRequestFactory

from django_lambda_bridge.testing import LambdaAPIClient

pytestmark = pytest.mark.django_db

EXPECTED_OPERATIONS = {
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/token/refresh/"),
    ("get", "/api/v1/health/"),
    ("get", "/api/v1/messages/"),
    ("post", "/api/v1/messages/"),
    ("get", "/api/v1/messages/{id}/"),
    ("post", "/api/v1/messages/{id}/acknowledge/"),
    ("post", "/api/v1/messages/{id}/reject/"),
    ("get", "/api/v1/messages/{id}/events/"),
    ("post", "/api/v1/messages/{id}/attachments/"),
    ("get", "/api/v1/attachments/{id}/download/"),
}
ACCEPT = "application/vnd.oai.openapi+json"


def in_process_schema():
    request = APIRequestFactory().get("/api/v1/schema/", HTTP_ACCEPT=ACCEPT)
    response = SpectacularAPIView.as_view()(request)
    response.render()
    assert response.status_code == 200
    return json.loads(response.content)


def lambda_schema(**route):
    reply = LambdaAPIClient(**route).get("/api/v1/schema/", HTTP_ACCEPT=ACCEPT)
    assert reply.status_code == 200, reply.content[:500]
    assert reply["Content-Type"].startswith(ACCEPT)
    return json.loads(reply.content)


def operations(schema):
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method, path): op.get("operationId")
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in methods
    }


def test_the_schema_names_every_route_clients_rely_on():
    assert EXPECTED_OPERATIONS <= set(operations(in_process_schema()))


@pytest.mark.parametrize(
    ("route", "server"),
    [
        ({"events": "v1", "stage": "prod"}, "/prod"),
        ({"events": "v2", "stage": "live"}, "/live"),
        ({"events": "v2"}, ""),
    ],
    ids=["v1-prod", "v2-named-stage", "v2-default"],
)
def test_lambda_schema_matches_in_process(route, server):
    local, remote = in_process_schema(), lambda_schema(**route)
    assert operations(remote) == operations(local)
    # Everything but the server list is the same document, byte for byte in JSON.
    assert {k: v for k, v in remote.items() if k != "servers"} == {
        k: v for k, v in local.items() if k != "servers"
    }
    assert local["servers"] == [{"url": "http://testserver"}]
    [entry] = remote["servers"]
    url = urlsplit(entry["url"])
    assert url.scheme == "https"  # API Gateway is HTTPS only
    assert url.path == server  # the stage, so generated clients call /prod/api/v1/...


def test_docs_page_points_at_the_staged_schema():
    reply = LambdaAPIClient(events="v1", stage="prod").get("/api/v1/docs/")
    assert reply.status_code == 200
    page = reply.content.decode()
    assert '"/prod/api/v1/schema/"' in page or "/prod/api/v1/schema/" in page
    assert "swagger-ui" in page


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runserver_serves_the_same_api(tmp_path):
    """``manage.py runserver``, as before the move, answers with the same contract."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'runserver.sqlite3'}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "exchange_service.settings",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=Path(__file__).resolve().parent.parent, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health/", timeout=2) as reply:
                    health = (reply.status, json.loads(reply.read()))
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(server.stderr.read().decode()[-2000:])
                time.sleep(0.1)
        else:
            pytest.fail("runserver did not answer within 10 s")
        request = urllib.request.Request(f"{base}/api/v1/schema/", headers={"Accept": ACCEPT})
        with urllib.request.urlopen(request, timeout=10) as reply:
            served = json.loads(reply.read())
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert health == (200, {"status": "ok", "database": "ok"})
    assert served["servers"] == [{"url": base}]
    lambda_v1 = lambda_schema(events="v1", stage="prod")
    assert operations(served) == operations(lambda_v1)
    assert served["components"] == lambda_v1["components"]
