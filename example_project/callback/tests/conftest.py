"""Fixtures for the callback service's own tests.

The API tests use DRF's ``APIClient``; run with ``--lambda-events=v1
--lambda-stage=prod`` (or ``v2``) and every request goes through
``callback_service.lambda_function.handler`` as an API Gateway event. The
sender and the sweeper are always driven through that same handler with real
SQS and schedule events where a test says "through Lambda".
"""

import json
import os
import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from callbacks import outbox, transport
from callbacks.models import Callback, Subscription, new_secret
from tests.receivers import Receiver

os.environ.setdefault("DJANGO_LAMBDA_HANDLER", "callback_service.lambda_function:handler")


@pytest.fixture
def callback_settings(settings):
    """``callback_settings(MAX_ATTEMPTS=3)`` changes ``settings.CALLBACK`` for one test.

    Tests send to receivers on 127.0.0.1 over plain HTTP, which the defaults refuse;
    only this one address is let through, so the SSRF rules still hold for the rest.
    """

    def change(**values):
        settings.CALLBACK = {**settings.CALLBACK, **values}
        if "QUEUE_URL" in values:  # TASKS is built from it when settings load
            from django_lambda_bridge.tasks import sqs

            sqs.reset_clients()
            url = values["QUEUE_URL"]
            options = {"QUEUE_URLS": {"default": url}} if url else {"MODE": "immediate"}
            settings.TASKS = {"default": {**settings.TASKS["default"], "OPTIONS": options}}
        return settings.CALLBACK

    change(
        ALLOW_HTTP=True,
        ALLOWED_NETWORKS=["127.0.0.1/32"],
        BACKOFF_BASE_SECONDS=0,
        READ_TIMEOUT_SECONDS=1.0,
        CONNECT_TIMEOUT_SECONDS=1.0,
        # Every receiver of a test shares one origin (127.0.0.1:port), so a test's failing
        # paths would trip the breaker for its healthy ones; test_breaker sets its own.
        BREAKER_THRESHOLD=10_000,
    )
    return change


@pytest.fixture(autouse=True)
def _fresh_pools():
    yield
    transport.close_all()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # For boto3 on its way to the moto server: a machine-wide HTTPS_PROXY must not capture
    # loopback traffic. (The sender itself never uses proxies: urllib3 pools ignore them.)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def make_client(db):
    """``make_client("acme")``: ``(user, APIClient with its token)``."""

    def make(name):
        user = get_user_model().objects.create_user(username=name)
        token = Token.objects.create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return user, client

    return make


@pytest.fixture
def acme(make_client):
    return make_client("acme")


@pytest.fixture
def receiver(db, acme, callback_settings):
    """A receiver whose origin is subscribed by acme with a known secret."""
    secret = new_secret()
    server = Receiver(secret)
    Subscription.objects.create(owner=acme[0], origin=server.origin, secret=secret)
    yield server
    server.close()


def insert(client, url, key=None, event_type="order.created", payload=None, **extra):
    body = {"url": url, "event_type": event_type, "payload": payload or {"order": "A-1"}}
    return client.post(
        "/api/v1/callbacks/",
        body,
        format="json",
        headers={"Idempotency-Key": key or f"key-{uuid.uuid4().hex}"},
        **extra,
    )


def make_callback(owner, url, **fields):
    """A callback row stored directly (no enqueue): what a crash after the insert leaves."""
    from django.utils import timezone

    from callbacks.models import origin_of

    subscription, _ = Subscription.objects.get_or_create(owner=owner, origin=origin_of(url))
    fields.setdefault("max_attempts", 8)
    fields.setdefault("next_attempt_at", timezone.now())
    return Callback.objects.create(
        owner=owner,
        subscription=subscription,
        idempotency_key=fields.pop("idempotency_key", uuid.uuid4().hex),
        request_hash="-",
        url=url,
        event_type=fields.pop("event_type", "order.created"),
        payload=fields.pop("payload", {"order": "A-1"}),
        **fields,
    )


def refresh(callback):
    callback.refresh_from_db()
    return callback


def message(callback_id, attempt=1):
    return outbox.message_body(callback_id, attempt)


def lambda_handler():
    from callback_service.lambda_function import handler

    return handler


def body_of(reply):
    return json.loads(reply.content)
