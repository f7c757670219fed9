"""LambdaClient / LambdaAPIClient: each request really travels as an event, and the
usual assertions work on what comes back."""

import hashlib
from base64 import b64decode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.response import Response

from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.http import lambda_info
from django_lambda_bridge.testing import decode_reply
from django_lambda_bridge.testing.client import LambdaClient
from django_lambda_bridge.testing.drf_client import LambdaAPIClient
from django_lambda_bridge.testing.events import FORMATS
from tests.sampleapp.tests.factories import make_catalogue, make_user

KINDS = {
    "v1": "apigateway-rest",
    "v2": "apigateway-http",
    "function-url": "apigateway-http",  # no lambda-url host: the client keeps the test's Host
    "alb": "alb",
    "alb-multi": "alb",
}


def stage_for(fmt):
    return "prod" if fmt in ("v1", "v2") else None


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_travels_as_an_event_and_the_reply_is_decoded(fmt):
    client = LambdaClient(events=fmt, stage=stage_for(fmt))
    response = client.get("/echo/", {"a": ["1", "2"], "b": "é ü+"}, HTTP_X_TRACE_ME="yes")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == KINDS[fmt]
    assert body["path_info"] == "/echo/"
    # An ALB without multi-value headers keeps only the last of a repeated
    # parameter: a real difference the client must show, not hide.
    expected_a = ["2"] if fmt == "alb" else ["1", "2"]
    assert body["query"] == {"a": expected_a, "b": ["é ü+"]}
    assert body["headers"]["X-Trace-Me"] == "yes"
    event = client.handler.last_event
    assert ("version" in event) == (fmt in ("v2", "function-url"))
    assert ("elb" in event.get("requestContext", {})) == fmt.startswith("alb")
    # The bytes and headers the test sees are the reply's, not Django's objects.
    reply = decode_reply(client.handler.last_reply)
    assert response.content == reply.body
    assert response["Content-Type"] == reply.header("Content-Type")


@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_stage_prefix_is_in_the_event_and_invisible_to_the_test(fmt):
    client = LambdaClient(events=fmt, stage="prod")
    response = client.get("/echo/")
    assert response.json()["script_name"] == "/prod"
    assert response.json()["absolute_uri"] == "https://testserver/prod/echo/"
    event = client.handler.last_event
    client_path = event["requestContext"]["path"] if fmt == "v1" else event["rawPath"]
    assert client_path == "/prod/echo/"
    # The handler's script prefix does not leak into the test's own reverse().
    assert reverse("echo") == "/echo/"

    followed = client.get("/redirect/", follow=True)
    assert followed.redirect_chain == [("/echo/", 302)]
    assert followed.status_code == 200
    assert followed.json()["path"] == "/prod/echo/"


def test_no_stage_means_no_prefix():
    client = LambdaClient(events="v1", stage="")
    assert client.get("/echo/").json()["script_name"] == ""
    assert client.get("/redirect/")["Location"] == "/echo/"


@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_urls_outside_the_stage_are_refused_like_api_gateway_does(fmt):
    client = LambdaClient(events=fmt, stage="prod")
    inside = client.get("https://testserver/prod/echo/")
    assert inside.status_code == 200
    assert inside.json()["path_info"] == "/echo/"
    client.handler.last_event = None
    outside = client.get("https://testserver/echo/")
    assert outside.status_code == (403 if fmt == "v1" else 404)
    assert client.handler.last_event is None  # the function never saw it
    # Another host is not the API's: like Django's client, only the path counts.
    assert client.get("https://elsewhere.example/echo/").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_set_cookie_reaches_the_jar_and_comes_back(fmt):
    client = LambdaClient(events=fmt, stage=stage_for(fmt))
    response = client.get("/cookies/")
    assert {name: m.value for name, m in response.cookies.items()} == {"first": "1", "second": "2"}
    assert client.cookies["second"].value == "2"
    echoed = client.get("/echo/").json()
    assert echoed["cookies"] == {"first": "1", "second": "2"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_client_ip_is_the_callers_not_a_forwarded_header(fmt):
    client = LambdaClient(events=fmt, stage=stage_for(fmt))
    body = client.get("/echo/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6").json()
    assert body["remote_addr"] == "198.51.100.7"


def test_head_and_exceptions_behave_as_in_process():
    client = LambdaClient(events="v2")
    head = client.head("/echo/")
    assert head.status_code == 200
    assert head.content == b""
    with pytest.raises(RuntimeError, match="boom"):
        client.get("/boom/")
    quiet = LambdaClient(events="v2", raise_request_exception=False)
    assert quiet.get("/boom/").status_code == 500


def test_a_reply_the_bridge_replaced_is_returned_as_such():
    client = LambdaClient(events="alb")
    response = client.get("/big/", {"bytes": 1_100_000})
    assert response.status_code == 502  # over the ALB's 1 MB limit
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["limit_bytes"] == 1024 * 1024


def test_middleware_overrides_reach_the_cached_handler():
    client = LambdaClient(events="v2")
    assert "X-Stamp" not in client.get("/echo/")
    with override_settings(
        MIDDLEWARE=[*settings.MIDDLEWARE, "tests.toolkit.middleware.StampMiddleware"]
    ):
        assert client.get("/echo/")["X-Stamp"] == "stamped"
    assert "X-Stamp" not in client.get("/echo/")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"events": "v3"}, "Unknown Lambda event format 'v3'"),
        ({"events": "alb", "stage": "prod"}, "only applies to v1 and v2"),
        ({"events": "v1", "stage": "a/b"}, "one path segment"),
        ({"handler": "tests.nowhere:handler"}, "Cannot load the Lambda handler"),
    ],
)
def test_bad_options_say_what_to_do(options, message):
    with pytest.raises(ConfigurationError, match=message):
        LambdaClient(**options).get("/echo/")


# --- DRF, sessions, files, templates (through the sample app) -------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
@pytest.mark.parametrize("fmt", ["v1", "v2", "alb"])
def test_session_login_with_csrf_checks(fmt):
    make_user("sam", "pw-123456")
    client = LambdaAPIClient(enforce_csrf_checks=True, events=fmt, stage=stage_for(fmt))
    creds = {"username": "sam", "password": "pw-123456"}
    assert client.post(reverse("sample:login"), creds, format="json").status_code == 403
    token = client.get(reverse("sample:csrf")).json()["csrfToken"]
    assert client.cookies["csrftoken"].value
    response = client.post(reverse("sample:login"), creds, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert client.get(reverse("sample:me")).data["auth"] == "session"
    cookie_header = dict(
        (k.lower(), v) for k, v in (client.handler.last_event.get("headers") or {}).items()
    ).get("cookie") or "; ".join(client.handler.last_event.get("cookies", []))
    assert "sessionid=" in cookie_header


@pytestmark_db
def test_without_csrf_checks_posts_pass_as_in_process():
    make_user("sam", "pw-123456")
    client = LambdaAPIClient(events="v1")
    response = client.post(reverse("sample:login"), {"username": "sam", "password": "pw-123456"})
    assert response.status_code == 200


@pytestmark_db
def test_force_authenticate_login_and_credentials():
    user = make_user("fay", "pw-123456")
    client = LambdaAPIClient(events="v1")
    client.force_authenticate(user)
    assert client.get(reverse("sample:me")).data["username"] == "fay"
    client.force_authenticate(None)
    assert client.get(reverse("sample:me")).status_code == 401
    client.force_login(user)
    assert client.get(reverse("sample:me")).data["auth"] == "session"
    client.logout()
    assert client.login(username="fay", password="pw-123456")
    assert client.get(reverse("sample:me")).data["username"] == "fay"
    client.logout()
    token = client.post(reverse("sample:token"), {"username": "fay", "password": "pw-123456"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.data['token']}")
    assert client.get(reverse("sample:me")).data["auth"] == "token"


@pytestmark_db
def test_data_is_drfs_pre_render_value_and_the_class_is_kept():
    make_catalogue()
    response = LambdaAPIClient(events="v2").get(reverse("sample:stats"))
    assert isinstance(response, Response)
    assert response.data == {"books": 5, "authors": 2, "reviews": 0}
    assert response.json() == {"result": response.data}
    assert response.status_text == "OK"


@pytestmark_db
def test_templates_context_resolver_match_and_wsgi_request():
    make_catalogue()
    client = LambdaClient(events="v1", stage="prod")
    response = client.get(reverse("sample:catalogue"))
    assert [t.name for t in response.templates] == ["sampleapp/catalogue.html"]
    assert response.context["count"] == 5
    assert response.resolver_match.view_name == "sample:catalogue"
    request = response.wsgi_request
    assert request.path == "/prod/sample/catalogue/"  # what Django saw inside the handler
    assert lambda_info(request).kind.value == "apigateway-rest"


@pytestmark_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_multipart_upload_and_binary_download_are_exact(fmt):
    user = make_user()
    book = make_catalogue()["books"][0]
    payload = bytes(range(256)) * 64 + b"\r\n--not-a-boundary\r\n"
    client = LambdaAPIClient(events=fmt, stage=stage_for(fmt))
    client.force_authenticate(user)
    upload = SimpleUploadedFile("blob.bin", payload, content_type="application/octet-stream")
    response = client.post(reverse("sample:book-attachments", args=[book.pk]), {"file": upload})
    assert response.status_code == 201
    assert client.handler.last_event["isBase64Encoded"] is True
    assert response.data["sha256"] == hashlib.sha256(payload).hexdigest()

    download = client.get(response.data["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == payload
    reply = client.handler.last_reply
    assert reply["isBase64Encoded"] is True
    assert b64decode(reply["body"]) == payload
    assert download["Content-Disposition"] == 'attachment; filename="blob.bin"'


@pytestmark_db
def test_json_bodies_travel_as_text():
    client = LambdaAPIClient(events="v2")
    client.force_authenticate(make_user())
    client.post(reverse("sample:review-list"), {"book": 0, "rating": 3}, format="json")
    assert client.handler.last_event["isBase64Encoded"] is False
    assert client.handler.last_event["body"] == '{"book":0,"rating":3}'
