"""Fixtures for the exchange service's own tests.

The tests use DRF's ``APIClient`` the way the team always has. Run with
``--lambda-events=v1 --lambda-stage=prod`` (or ``v2``) and every request goes
through ``exchange_service.lambda_function.handler`` as an API Gateway event.
"""

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from messaging.models import ExchangeMessage, MessageEvent, Partner
from messaging.states import State

# The Lambda path calls the function's real entry point, as deployed.
os.environ.setdefault("DJANGO_LAMBDA_HANDLER", "exchange_service.lambda_function:handler")

PASSWORD = "test-password-123"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per login; the tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_partner(db):
    def make(name, webhook_url="http://127.0.0.1:9/hook", **fields):
        user = get_user_model().objects.create_user(username=name, password=PASSWORD)
        return Partner.objects.create(user=user, name=name, webhook_url=webhook_url, **fields)

    return make


@pytest.fixture
def partners(make_partner):
    return {name: make_partner(name) for name in ("acme", "globex", "initech")}


@pytest.fixture
def login(partners):
    """``login("acme")``: an APIClient holding a JWT obtained from the token endpoint."""

    def log_in(name, password=PASSWORD):
        client = APIClient()
        reply = client.post("/api/v1/auth/token/", {"username": name, "password": password})
        assert reply.status_code == 200, reply.content
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {reply.json()['access']}")
        return client

    return log_in


@pytest.fixture
def acme(login):
    return login("acme")


@pytest.fixture
def globex(login):
    return login("globex")


@pytest.fixture
def initech(login):
    return login("initech")


@pytest.fixture
def exchange_settings(settings):
    """``exchange_settings(CALLME_URL=...)`` changes ``settings.EXCHANGE`` for one test."""

    def change(**values):
        settings.EXCHANGE = {**settings.EXCHANGE, **values}
        if "WORK_QUEUE_URL" in values:  # TASKS is built from it when settings load
            from django_lambda_bridge.tasks import sqs

            sqs.reset_clients()
            url = values["WORK_QUEUE_URL"]
            options = {"QUEUE_URLS": {"default": url}} if url else {"MODE": "immediate"}
            settings.TASKS = {"default": {**settings.TASKS["default"], "OPTIONS": options}}
        return settings.EXCHANGE

    return change


@pytest.fixture
def make_message(partners):
    """A message stored directly in a given state, with its audit trail."""

    def make(sender="acme", recipient="globex", state=State.RECEIVED, **fields):
        fields.setdefault("type", "order.created")
        fields.setdefault("payload", {"order": "A-1"})
        message = ExchangeMessage.objects.create(
            sender=partners[sender], recipient=partners[recipient], state=state, **fields
        )
        MessageEvent.objects.create(message=message, to_state=state, reason="fixture")
        return message

    return make


def submit(client, recipient="globex", key=None, **body):
    body = {"recipient": recipient, "type": "order.created", "payload": {"order": "A-1"}, **body}
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/messages/", body, format="json", headers=headers)


def assert_problem(reply, status):
    assert reply.status_code == status, reply.content
    assert reply["Content-Type"].startswith("application/problem+json"), reply["Content-Type"]
    body = reply.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body
