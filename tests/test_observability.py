"""Access log, Powertools JSON logs, EMF metrics and the correlation id, through the handler."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from django.contrib.auth import get_user_model

from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.handler import LambdaHandler
from django_lambda_bridge.ops import warmup
from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.events import apigw_rest_event, http_event
from django_lambda_bridge.testing.records import sqs_event, sqs_record
from tests.test_startup import run

pytestmark = pytest.mark.django_db  # views with sessions and auth


def header(reply, name):
    return {k.lower(): v for k, v in reply["headers"].items()}.get(name.lower())


@pytest.fixture
def observed(monkeypatch):
    """A handler with options; the root logger's handlers are given back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(warmup, "container", warmup.ContainerState())  # a cold container

    def make(**options):
        return LambdaHandler(options)

    yield make
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_reply_carries_api_gateways_request_id(observed):
    event = http_event("v2", "GET", "/echo/")
    reply = observed()(event, FakeContext())
    assert header(reply, "X-Request-ID") == event["requestContext"]["requestId"]
    off = observed(request_id_header="")(http_event("v2", "GET", "/echo/"), FakeContext())
    assert header(off, "X-Request-ID") is None


def test_json_logs_carry_the_context_cold_start_and_correlation_id(observed, capsys):
    handler = observed(json_logs=True, service_name="exchange")
    context = FakeContext()
    first = http_event("v1", "GET", "/echo/")
    handler(first, context)
    handler(http_event("v1", "GET", "/boom/"), context)
    out = lines(capsys.readouterr().out)
    access = [line for line in out if line.get("http_path")]
    assert [(a["http_status"], a["cold_start"]) for a in access] == [(200, True), (500, False)]
    assert access[0]["correlation_id"] == first["requestContext"]["requestId"]
    assert access[0]["function_request_id"] == context.aws_request_id
    assert access[0]["function_name"] == context.function_name
    assert access[0]["service"] == "exchange"
    assert access[0]["http_method"] == "GET"
    assert access[0]["http_path"] == "/prod/echo/"
    assert access[0]["response_bytes"] > 0
    assert access[0]["duration_ms"] > 0
    django_error = [line for line in out if line.get("message", "").startswith("Internal Server")]
    assert django_error
    assert django_error[0]["request"] == "GET /prod/boom/"


def test_the_access_line_names_the_authenticated_user(observed, caplog):
    user = get_user_model().objects.create_user("alice")
    handler = observed()
    authorizer = {"claims": {"cognito:username": "alice"}}
    with caplog.at_level(logging.INFO, logger="django_lambda_bridge.access"):
        handler(apigw_rest_event("GET", "/whoami/", authorizer=authorizer), FakeContext())
        handler(apigw_rest_event("GET", "/echo/"), FakeContext())
    access = [r for r in caplog.records if r.name == "django_lambda_bridge.access"]
    assert [(r.http_status, r.user_id) for r in access] == [(200, user.pk), (200, None)]
    assert f"user={user.pk}" in access[0].getMessage()


def test_each_record_gets_a_line_with_its_outcome(observed, caplog):
    handler = observed()
    event = sqs_event(
        sqs_record({"op": "ok"}, queue="eventsapp-jobs"),
        sqs_record({"op": "fail"}, queue="eventsapp-jobs"),
    )
    with caplog.at_level(logging.INFO, logger="django_lambda_bridge.access"):
        handler(event, FakeContext())
    access = [r for r in caplog.records if r.name == "django_lambda_bridge.access"]
    assert [r.event_source for r in access] == ["sqs", "sqs"]
    assert access[0].outcome == "ok"
    assert access[1].outcome.startswith("failed: ")
    assert all(r.event_handler.startswith("tests.events.eventsapp") for r in access)


def test_the_access_log_can_be_turned_off(observed, caplog):
    with caplog.at_level(logging.INFO, logger="django_lambda_bridge.access"):
        observed(access_log=False)(http_event("v2", "GET", "/echo/"), FakeContext())
    assert not [r for r in caplog.records if r.name == "django_lambda_bridge.access"]


SECRETS = ("Bearer-SECRET-1", "SECRET-2-cookie", "SECRET-3-body", "SECRET-4-query")


def test_credentials_cookies_and_bodies_never_reach_the_logs(observed, capsys, settings):
    settings.LAMBDA_BRIDGE = {"PROXY_SECRET": "SECRET-5-proxy" * 4}
    handler = observed(json_logs=True, metrics=True, metrics_namespace="Tests")
    headers = {"Authorization": SECRETS[0], "Cookie": f"sessionid={SECRETS[1]}"}
    for method, path in (("POST", "/upload/"), ("GET", "/boom/"), ("POST", "/nowhere/")):
        event = http_event(
            "v2", method, path, headers=headers, body=SECRETS[2], query={"token": SECRETS[3]}
        )
        handler(event, FakeContext())
    logging.getLogger("tests").warning("login", extra={"password": "SECRET-6", "token": "SECRET-7"})
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Internal Server Error: /boom/" in text  # Django's own record, with its request
    assert '"password":"[redacted]"' in text
    for secret in (*SECRETS, "SECRET-5-proxy", "SECRET-6", "SECRET-7"):
        assert secret not in text


def test_emf_metrics_count_requests_errors_and_cold_starts(observed, capsys):
    handler = observed(metrics=True, metrics_namespace="Tests", service_name="svc")
    for path in ("/echo/", "/nowhere/", "/boom/"):
        handler(http_event("v2", "GET", path), FakeContext())
    handler(
        sqs_event(
            sqs_record({"op": "ok"}, queue="eventsapp-jobs"),
            sqs_record({"op": "fail"}, queue="eventsapp-jobs"),
        ),
        FakeContext(),
    )
    emf = [
        {k: v[0] if isinstance(v, list) else v for k, v in line.items()}
        for line in lines(capsys.readouterr().out)
        if "_aws" in line
    ]
    assert [(m["Requests"], m["Http4xx"], m["Http5xx"]) for m in emf[:3]] == [
        (1, 0, 0), (1, 1, 0), (1, 0, 1)
    ]  # fmt: skip
    assert emf[0]["ColdStart"] == 1
    assert all("ColdStart" not in m for m in emf[1:])
    assert emf[3]["BatchItemFailures"] == 1
    assert emf[3]["EventFailures"] == 0
    assert all(m["service"] == "svc" and m["Latency"] >= 0 for m in emf[:3])


def test_metrics_need_a_namespace(observed, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    with pytest.raises(ConfigurationError, match="METRICS_NAMESPACE"):
        observed(metrics=True)


def test_tracing_without_the_xray_sdk_says_what_to_install(observed, monkeypatch):
    monkeypatch.setitem(sys.modules, "aws_xray_sdk", None)  # as if not installed
    with pytest.raises(ConfigurationError, match="pip install aws-xray-sdk"):
        observed(tracing=True)


COLD_PATH = """
import json, sys
from django_lambda_bridge import make_handler
from django_lambda_bridge.testing.context import FakeContext
from django_lambda_bridge.testing.events import http_event
handler = make_handler("tests.runlambda_settings", **{options})
reply = handler(http_event("v2", "GET", "/echo/"), FakeContext())
print(json.dumps([reply["statusCode"]] + [m in sys.modules
      for m in ("aws_lambda_powertools", "boto3", "botocore")]))
"""


@pytest.mark.parametrize(
    ("options", "loaded"),
    [({}, [False, False, False]), ({"json_logs": True}, [True, False, True])],
)
def test_nothing_heavy_is_imported_on_the_http_path_unless_switched_on(options, loaded):
    done = run(COLD_PATH.format(options=options))
    assert done.returncode == 0, done.stderr
    status, *modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 200
    assert modules == loaded


@pytest.mark.parametrize("fmt", ["alb", "alb-multi"])
def test_an_alb_request_is_correlated_by_lambdas_id_not_a_client_header(observed, fmt):
    event = http_event(fmt, "GET", "/echo/", headers={"X-Amzn-Trace-Id": "Root=1-abc-def"})
    context = FakeContext()
    reply = observed()(event, context)
    found = header(reply, "X-Request-ID") if "headers" in reply else None
    if found is None:
        found = {k.lower(): v for k, v in reply["multiValueHeaders"].items()}["x-request-id"][0]
    assert found == context.aws_request_id  # an ALB passes a client's trace Root on


def test_a_malformed_event_still_gets_an_access_line(observed, caplog):
    event = http_event("v2", "GET", "/echo/")
    event["headers"] = "not a mapping"
    with caplog.at_level(logging.INFO, logger="django_lambda_bridge.access"):
        reply = observed()(event, FakeContext())
    assert reply["statusCode"] == 400
    assert header(reply, "X-Request-ID") == event["requestContext"]["requestId"]
    access = [r for r in caplog.records if r.name == "django_lambda_bridge.access"]
    assert [(r.http_status, r.http_method) for r in access] == [(400, "-")]


@pytest.mark.parametrize(
    ("wsgi_path", "logged"),
    [
        ("/caf\u00c3\u00a9/", "/café/"),  # UTF-8 bytes as latin-1, as WSGI has them
        ("/a\n200 forged line", "/a\\n200 forged line"),
        ("/\ud800/", "/\\ud800/"),
    ],
)
def test_a_logged_path_is_readable_one_line_and_always_encodable(wsgi_path, logged):
    from django_lambda_bridge.observability.access import printable

    assert printable(wsgi_path) == logged
    printable(wsgi_path).encode("utf-8")  # never a UnicodeEncodeError in a log handler


def test_json_logs_are_written_once_whatever_the_service_is_called(observed, capsys):
    observed(json_logs=True, service_name="tests.observed")
    logging.getLogger("tests.observed").warning("only once")
    out = [line for line in lines(capsys.readouterr().out) if line["message"] == "only once"]
    assert len(out) == 1
    assert out[0]["service"] == "tests.observed"


class SlottedUser:
    __slots__ = ("pk",)
    is_authenticated = True

    def __init__(self, pk):
        self.pk = pk


@pytest.mark.parametrize(
    ("user", "expected"),
    [(None, None), ("api-key-client", None), (SlottedUser(7), 7)],
)
def test_any_kind_of_request_user_gives_an_id_or_none(user, expected):
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import SimpleLazyObject

    from django_lambda_bridge.http.wsgi import authenticated_user_id

    assert authenticated_user_id(user) == expected
    assert authenticated_user_id(AnonymousUser()) is None
    looked_at = []
    lazy = SimpleLazyObject(lambda: looked_at.append(1) or SlottedUser(3))
    assert authenticated_user_id(lazy) is None  # nobody looked: not resolved now
    assert looked_at == []
