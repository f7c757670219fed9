"""The client sends what a real client's request carries, and shows what it would receive."""

import subprocess
import sys
import warnings
from base64 import b64encode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.testing import apigw_http_event, http_event
from django_lambda_bridge.testing import to_event as to_event_module
from django_lambda_bridge.testing.client import DroppedEnvironWarning, LambdaClient
from django_lambda_bridge.testing.drf_client import LambdaAPIClient
from django_lambda_bridge.testing.events import FORMATS
from tests.sampleapp.tests.factories import make_user
from tests.toolkit.runner import ROOT, clean_env


def stage_for(fmt):
    return "prod" if fmt in ("v1", "v2") else None


# --- 17: text bodies that are not UTF-8 ---------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_text_body_that_is_not_utf8_travels_base64_byte_for_byte(fmt):
    client = LambdaClient(events=fmt, stage=stage_for(fmt))
    response = client.post("/upload/?type=text/plain", b"Hello \xe9", content_type="text/plain")
    assert response.status_code == 200
    assert response.content == b"Hello \xe9"
    event = client.handler.last_event
    assert event["isBase64Encoded"] is True
    assert event["body"] == b64encode(b"Hello \xe9").decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_factories_encode_non_utf8_bytes_and_refuse_to_pretend_otherwise(fmt):
    event = http_event(fmt, "POST", "/", body=b"\xe9\xff")
    assert event["isBase64Encoded"] is True
    assert event["body"] == b64encode(b"\xe9\xff").decode()
    with pytest.raises(ValueError, match="not UTF-8"):
        http_event(fmt, "POST", "/", body=b"\xe9", base64=False)


# --- 18: never add an Origin the test's own HTTPS request lacks ------------------


def _csrf_login(client, **extra):
    token = client.get(reverse("sample:csrf"), **extra).json()["csrfToken"]
    creds = {"username": "sam", "password": "pw-123456"}
    return client.post(
        reverse("sample:login"), creds, format="json", HTTP_X_CSRFTOKEN=token, **extra
    )


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url"])
def test_an_https_request_without_referer_is_refused_as_in_process(fmt, caplog):
    make_user("sam", "pw-123456")
    expected = _csrf_login(APIClient(enforce_csrf_checks=True), secure=True)
    assert expected.status_code == 403  # Django's own verdict: no Referer over HTTPS
    client = LambdaAPIClient(enforce_csrf_checks=True, events=fmt, stage=stage_for(fmt))
    response = _csrf_login(client, secure=True)
    assert response.status_code == 403, response.content
    csrf = [r for r in caplog.records if r.name == "django.security.csrf"]
    assert "Referer checking failed - no Referer" in csrf[-1].getMessage()
    headers = {k.lower() for k in client.handler.last_event["headers"]}
    assert "origin" not in headers


@pytest.mark.django_db
def test_an_https_request_with_its_own_referer_passes():
    make_user("sam", "pw-123456")
    client = LambdaAPIClient(enforce_csrf_checks=True, events="v1")
    response = _csrf_login(client, secure=True, HTTP_REFERER="https://testserver/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_plain_http_request_gets_a_browsers_origin_but_no_token_still_fails():
    client = LambdaAPIClient(enforce_csrf_checks=True, events="v1")
    make_user("sam", "pw-123456")
    creds = {"username": "sam", "password": "pw-123456"}
    client.get(reverse("sample:csrf"))
    refused = client.post(reverse("sample:login"), creds, format="json")
    assert refused.status_code == 403  # the Origin never stands in for the token
    assert client.handler.last_event["headers"]["Origin"] == "https://testserver"


# --- 20: WSGI variables no request can carry -----------------------------------


def test_dropped_wsgi_variables_warn_once_per_name(monkeypatch):
    monkeypatch.setattr(to_event_module, "_warned", set())
    client = LambdaClient(events="v2")
    with pytest.warns(DroppedEnvironWarning) as caught:
        body = client.get("/echo/", AUTH_USER="alice", **{"custom.key": "1"}).json()
    names = sorted(str(w.message).split("'")[1] for w in caught)
    assert names == ["AUTH_USER", "custom.key"]
    assert body["remote_user"] is None  # the view really did not get it
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedEnvironWarning)
        client.get("/echo/", AUTH_USER="alice", **{"custom.key": "1"})  # no second warning
    with pytest.warns(DroppedEnvironWarning, match="SCRIPT_NAME"):
        client.get("/echo/", SCRIPT_NAME="/mounted")


def test_what_a_request_carries_does_not_warn(monkeypatch):
    monkeypatch.setattr(to_event_module, "_warned", set())
    client = LambdaClient(events="v1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedEnvironWarning)
        client.post("/echo/", {"a": "1"}, secure=True, HTTP_X_ONE="1", REMOTE_ADDR="10.0.0.1")
        client.get("/echo/", headers={"Accept": "application/json"})


# --- 21: the query string as the client sent it -------------------------------


@pytest.mark.parametrize("fmt", ["v2", "function-url"])
def test_the_raw_query_string_is_passed_unchanged(fmt):
    client = LambdaClient(events=fmt)
    response = client.get("/echo/?a%20b=1&t=~x&flag&plus=a+b")
    assert client.handler.last_event["rawQueryString"] == "a%20b=1&t=~x&flag&plus=a+b"
    assert response.wsgi_request.META["QUERY_STRING"] == "a%20b=1&t=~x&flag&plus=a+b"
    assert response.json()["query"] == {"a b": ["1"], "t": ["~x"], "flag": [""], "plus": ["a b"]}


def test_the_alb_passes_names_and_values_still_encoded_as_sent():
    client = LambdaClient(events="alb-multi")
    response = client.get("/echo/?a%20b=1&t=~x&flag")
    params = client.handler.last_event["multiValueQueryStringParameters"]
    assert params == {"a%20b": ["1"], "t": ["~x"], "flag": [""]}
    assert response.json()["query"] == {"a b": ["1"], "t": ["~x"], "flag": [""]}


def test_factory_keeps_a_given_query_string():
    assert apigw_http_event(query="x=%7E&y")["rawQueryString"] == "x=%7E&y"
    assert apigw_http_event(path="/p?x=%7E&y")["rawQueryString"] == "x=%7E&y"
    assert apigw_http_event(query={"a": "b c"})["rawQueryString"] == "a=b+c"


# --- 22: the REST API's binaryMediaTypes ---------------------------------------


def test_with_the_documented_setting_binary_replies_and_request_bodies_are_bytes():
    client = LambdaClient(events="v1")
    assert client.lambda_route.binary_media_types == ("*/*",)
    assert client.get("/binary/").content == bytes(range(256))
    client.post("/upload/", {"k": "v"}, content_type="application/json")
    assert client.handler.last_event["isBase64Encoded"] is True  # */* encodes every body


def test_without_it_the_client_receives_base64_text_as_a_real_client_would():
    client = LambdaClient(events="v1", binary_media_types=["image/png"])
    assert client.get("/binary/").content == b64encode(bytes(range(256)))
    gzipped = client.get("/gzipped/")
    assert gzipped.content == b64encode(b"\x1f\x8b\x08\x00fake")
    assert gzipped["Content-Encoding"] == "gzip"
    # Text replies are untouched, and JSON request bodies travel as text.
    client.post("/upload/?type=application/json", '{"a":1}', content_type="application/json")
    assert client.handler.last_event["isBase64Encoded"] is False


def test_a_matching_accept_header_gets_the_bytes():
    client = LambdaClient(events="v1", binary_media_types=["application/*"])
    assert client.get("/binary/", HTTP_ACCEPT="application/octet-stream").content == bytes(
        range(256)
    )
    assert client.get("/binary/", HTTP_ACCEPT="text/html").content == b64encode(bytes(range(256)))


def test_other_sources_have_no_such_setting():
    client = LambdaClient(events="v2", binary_media_types=[])
    assert client.get("/binary/").content == bytes(range(256))


def test_a_malformed_media_type_is_refused():
    with pytest.raises(ConfigurationError, match="not 'type/subtype'"):
        LambdaClient(events="v1", binary_media_types=["png"])


# --- 24: lazy public imports ------------------------------------------------------


def test_clients_import_from_the_package():
    from django_lambda_bridge.testing import ContractDifference, LambdaAPIClient, LambdaClient
    from django_lambda_bridge.testing.clients import LambdaClient as direct
    from django_lambda_bridge.testing.contract import ContractDifference as difference
    from django_lambda_bridge.testing.drf_client import LambdaAPIClient as api_direct

    assert (LambdaClient, LambdaAPIClient, ContractDifference) == (direct, api_direct, difference)


def test_importing_the_package_imports_neither_drf_nor_the_clients():
    code = (
        "import sys, django_lambda_bridge.testing as t\n"
        "assert 'rest_framework' not in sys.modules\n"
        "assert 'django_lambda_bridge.testing.clients' not in sys.modules\n"
        "t.sqs_event('x')\n"
        "try:\n    t.Nope\nexcept AttributeError:\n    print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env(), capture_output=True, text=True
    )
    assert result.stdout.strip() == "ok", result.stderr


# --- 25: outside the stage --------------------------------------------------------


def test_outside_the_v1_stage_is_api_gateways_missing_token_403():
    client = LambdaClient(events="v1", stage="prod")
    response = client.get("https://testserver/elsewhere/")
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
