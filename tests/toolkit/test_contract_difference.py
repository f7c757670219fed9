"""The toolkit catches real contract differences.

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

from django_lambda_bridge.testing.client import LambdaClient
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
