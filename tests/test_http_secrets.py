"""Credentials never reach Django's error reports (the DEBUG page, admin error emails).

Django redacts ``HTTP_AUTHORIZATION``, ``HTTP_COOKIE`` and the session cookie
in ``request.META``, but prints every other META value's repr. The Lambda
details we keep there (``LambdaInfo``, the ``Authorizer``) must therefore not
print the event, which holds the raw headers, and no translation leftovers
(apig-wsgi's ``apig_wsgi.full_event``) may sit in the environ.
"""

from __future__ import annotations

import logging
import sys

import pytest
from django.core import mail
from django.core.signals import got_request_exception
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter

from django_lambda_bridge.http import lambda_info
from django_lambda_bridge.testing.events import http_event
from tests.http_lattice import lattice_event
from tests.http_support import (
    ALL_FORMATS,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2VuLXZhbHVl.Zm9vYmFy"
SESSION = "s3ss10nc00k1ev4lu3x9z8y7w6v5u4t3"
SECRETS = (TOKEN, SESSION)
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Cookie": f"sessionid={SESSION}; theme=dark"}


def _events():
    for fmt in ALL_FORMATS:
        yield pytest.param(http_event(fmt, "GET", "/boom/", headers=HEADERS), id=fmt)
    yield pytest.param(
        lattice_event(2, "GET", "/boom/", headers=list(HEADERS.items())), id="lattice"
    )


@pytest.fixture
def reports():
    """Django's own renderings of each view exception, as the DEBUG page and email make them."""
    rendered = []

    def render(sender, request=None, **kwargs):
        reporter = ExceptionReporter(request, *sys.exc_info())
        rendered.append(reporter.get_traceback_html())
        rendered.append(reporter.get_traceback_text())
        info = lambda_info(request)
        rendered.append(repr(info))
        rendered.append(repr(reporter.filter.get_safe_request_meta(request)))
        rendered.append(str(info))

    got_request_exception.connect(render, dispatch_uid="test-secrets")
    yield rendered
    got_request_exception.disconnect(dispatch_uid="test-secrets")


class LoudAdminEmailHandler(AdminEmailHandler):
    """Django's handler, but a failure to send fails the test instead of passing silently."""

    def send_mail(self, subject, message, *args, **kwargs):
        kwargs["fail_silently"] = False
        super().send_mail(subject, message, *args, **kwargs)


@pytest.fixture
def debug_handler(settings):
    settings.DEBUG = True
    return make_handler()  # before admin_email: django.setup() reconfigures logging


@pytest.fixture
def admin_email(settings, debug_handler):
    settings.ADMINS = [("Ops", "ops@example.com")]
    handler = LoudAdminEmailHandler(include_html=True)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)


def _assert_clean(text):
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("event", list(_events()))
def test_debug_page_and_error_email_carry_no_credentials(
    debug_handler, reports, admin_email, event
):
    reply = call(debug_handler, event)
    assert reply.status == 500
    page = reply.body.decode()
    assert "RuntimeError" in page  # it is the technical 500 page
    assert "boom" in page
    _assert_clean(page)
    assert len(reports) == 5
    for text in reports:
        _assert_clean(text)
    assert "LambdaInfo(" in reports[2]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    _assert_clean(message.body)
    assert "RuntimeError" in message.body
    for alternative in message.alternatives:
        _assert_clean(str(alternative[0]))


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_the_event_is_still_reachable_and_nothing_else_is_kept(fmt, settings):
    captured = {}

    def grab(sender, request=None, **kwargs):
        captured["request"] = request

    got_request_exception.connect(grab, dispatch_uid="test-secrets-grab")
    try:
        event = http_event(fmt, "GET", "/boom/", headers=HEADERS)
        call(make_handler(), event)
    finally:
        got_request_exception.disconnect(dispatch_uid="test-secrets-grab")
    request = captured["request"]
    assert lambda_info(request).event is event  # code that asks still gets the raw event
    assert not [key for key in request.META if key.startswith("apig_wsgi.")]
    cleaned_keys = {"HTTP_AUTHORIZATION", "HTTP_COOKIE"}
    for key, value in request.META.items():
        if key not in cleaned_keys:
            _assert_clean(repr(value))


def test_authorizer_repr_names_claims_without_values():
    seen = echo(
        make_handler(),
        http_event(
            "v1", "GET", "/echo/", authorizer={"principalId": "alice", "upstreamToken": TOKEN}
        ),
    )
    assert seen["authorizer"]["claims"]["upstreamToken"] == TOKEN  # the claims themselves are kept
    from django_lambda_bridge.http.authorizer import Authorizer

    text = repr(Authorizer("lambda", "alice", {"principalId": "alice", "upstreamToken": TOKEN}))
    assert "upstreamToken" in text
    assert "alice" in text
    _assert_clean(text)
