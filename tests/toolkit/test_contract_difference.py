"""The toolkit catches real contract differences.

Two kinds: what the bridge does behind AWS (checked below against a bare
apig-wsgi handler), and a reply that no longer says what Django said (the wire
check, ``ContractDifference``, at the end).

Each check below is an ordinary client-side test of an app whose reply depends
on something a bare apig-wsgi handler gets wrong behind AWS: the stage prefix
in pagination links and redirects, the client IP, a second Set-Cookie through
an ALB. (apig-wsgi gets the v2 client IP and v1/v2 cookies right, so those
are not claimed here.) Every check fails through ``apig_wsgi.make_lambda_handler`` and passes
through this library's handler, with the same client and the same events.
"""

import pytest
from django.test import SimpleTestCase
from django.urls import reverse

from django_lambda_bridge.testing.client import ContractDifference, LambdaClient
from django_lambda_bridge.testing.drf_client import LambdaAPIClient
from tests.sampleapp.tests.factories import make_catalogue
from tests.toolkit import bare_apig_wsgi

BARE = bare_apig_wsgi.handler
OURS = None  # the project's own handler, built by make_handler()


def check_next_link_is_followable(client):
    first = client.get(reverse("sample:book-list"))
    assert first.status_code == 200
    second = client.get(first.data["next"])
    assert second.status_code == 200, second.content
    assert second.data["previous"] is not None


def check_redirect_stays_inside_the_api(client):
    response = client.get("/redirect/")
    SimpleTestCase().assertRedirects(response, "/echo/", fetch_redirect_response=False)


def check_client_ip_is_not_spoofable(client):
    response = client.get("/echo/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert response.json()["remote_addr"] == "198.51.100.7"


def check_both_cookies_arrive(client):
    response = client.get("/cookies/")
    assert sorted(response.cookies) == ["first", "second"]


CASES = [
    pytest.param(check_next_link_is_followable, "v1", "prod", id="stage-in-pagination-link"),
    pytest.param(check_redirect_stays_inside_the_api, "v1", "prod", id="stage-in-redirect-v1"),
    pytest.param(check_redirect_stays_inside_the_api, "v2", "prod", id="stage-in-route-v2"),
    pytest.param(check_client_ip_is_not_spoofable, "v1", None, id="client-ip-v1"),
    pytest.param(check_both_cookies_arrive, "alb", None, id="second-set-cookie-alb"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("check", "fmt", "stage"), CASES)
def test_passes_through_our_handler(check, fmt, stage):
    make_catalogue()
    check(LambdaAPIClient(events=fmt, stage=stage, handler=OURS))


@pytest.mark.django_db
@pytest.mark.parametrize(("check", "fmt", "stage"), CASES)
def test_fails_through_bare_apig_wsgi(check, fmt, stage):
    make_catalogue()
    with pytest.raises(AssertionError):
        check(LambdaAPIClient(events=fmt, stage=stage, handler=BARE))


@pytest.mark.django_db
def test_the_checks_pass_in_process_too():
    """The checks are ordinary tests: Django's own client passes them (no false alarms)."""
    from rest_framework.test import APIClient

    make_catalogue()
    client = APIClient()
    check_next_link_is_followable(client)
    check_redirect_stays_inside_the_api(client)
    check_client_ip_is_not_spoofable(client)
    check_both_cookies_arrive(client)


def test_bare_redirect_leaves_the_stage():
    """What the failure looks like: the Location points outside the API."""
    response = LambdaClient(events="v1", stage="prod", handler=BARE).get("/redirect/")
    assert response["Location"] == "https://testserver/echo/"
    followed = LambdaClient(events="v1", stage="prod", handler=BARE).get(response["Location"])
    assert followed.status_code == 403
    assert followed.json() == {"message": "Missing Authentication Token"}


# --- the wire check: the reply must say what Django said -----------------------


def _altered(change):
    """The project's handler behind a wrapper that tampers with its reply."""
    from django_lambda_bridge.testing.client import get_project_handler

    real = get_project_handler()

    def handler(event, context):
        reply = real(event, context)
        change(reply)
        return reply

    return handler, real.wsgi_app


def _set_header(name, value):
    def change(reply):
        if "multiValueHeaders" in reply:
            reply["multiValueHeaders"][name] = [value]
        else:
            reply["headers"][name] = value

    return change


def _flip_last_body_byte(reply):
    assert not reply["isBase64Encoded"]
    body = reply["body"]
    reply["body"] = body[:-1] + ("X" if body[-1] != "X" else "Y")


def _drop_cookies(reply):
    reply.pop("cookies", None)
    for headers in (reply.get("multiValueHeaders") or {}, reply.get("headers") or {}):
        for name in [n for n in headers if n.lower() == "set-cookie"]:
            del headers[name]


def _status(reply):
    reply["statusCode"] = 201


BROKEN = [
    pytest.param(
        _set_header("Content-Type", "text/plain"),
        "/echo/",
        "header 'content-type'",
        id="altered-header",
    ),
    pytest.param(_set_header("X-Added", "1"), "/echo/", "header 'x-added'", id="added-header"),
    pytest.param(_flip_last_body_byte, "/echo/", "body:", id="body-byte"),
    pytest.param(_drop_cookies, "/cookies/", "Set-Cookie", id="dropped-cookie"),
    pytest.param(_status, "/echo/", "status: Django answered 200", id="status"),
]


@pytest.mark.parametrize("fmt", ["v1", "v2", "alb", "alb-multi"])
@pytest.mark.parametrize(("change", "path", "named"), BROKEN)
def test_a_reply_that_differs_from_django_fails_naming_the_difference(fmt, change, path, named):
    handler, app = _altered(change)
    client = LambdaClient(events=fmt, handler=handler, wsgi_app=app)
    with pytest.raises(ContractDifference) as caught:
        client.get(path)
    assert isinstance(caught.value, AssertionError)
    assert any(d.startswith(named) for d in caught.value.differences), caught.value.differences
    assert f"GET {path}" in str(caught.value)


@pytest.mark.django_db
def test_drf_data_cannot_hide_a_broken_body():
    """A DRF test asserting only on .data would pass; the wire check makes it fail."""
    make_catalogue()
    handler, app = _altered(_flip_last_body_byte)
    client = LambdaAPIClient(events="v2", handler=handler, wsgi_app=app)
    with pytest.raises(ContractDifference, match="they differ from byte"):
        client.get(reverse("sample:stats"))


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url", "alb", "alb-multi"])
def test_expected_aws_differences_pass(fmt):
    """Header case and joins, cookie formatting, HEAD bodies: no false alarms."""
    client = LambdaClient(events=fmt)
    assert sorted(client.get("/cookies/").cookies) == ["first", "second"]
    assert client.head("/echo/").content == b""
    assert client.get("/binary/").content == bytes(range(256))
    assert client.get("/gzipped/")["Content-Encoding"] == "gzip"
    assert client.get("/big/", {"bytes": 7_000_000}).status_code == 502  # the size guard


def test_the_difference_lists_every_mismatch():
    from django.http import HttpResponse

    from django_lambda_bridge.testing.contract import differences
    from django_lambda_bridge.testing.replies import DecodedReply

    django = HttpResponse(b"abc", content_type="text/plain", headers={"Vary": "Cookie, Accept"})
    django.set_cookie("a", "1")
    same = DecodedReply(
        200,
        [
            ("content-type", "text/plain"),
            ("vary", "Cookie"),
            ("VARY", "Accept"),
            ("Content-Length", "3"),
            ("Set-Cookie", "a=1; Path=/"),
        ],
        b"abc",
    )
    assert differences(same, django, "GET") == []
    broken = DecodedReply(404, [("content-type", "text/html")], b"abd")
    found = differences(broken, django, "GET")
    assert [d.split(":")[0] for d in found] == [
        "status",
        "header 'content-type'",
        "header 'vary'",
        "Set-Cookie",
        "body",
    ]
