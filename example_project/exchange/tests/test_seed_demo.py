"""``manage.py seed_demo``: refuses in production, seeds once, logs in for real."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from messaging.models import ExchangeMessage, MessageEvent, Partner

pytestmark = pytest.mark.django_db

PARTNERS = {"acme", "globex", "initech"}
DEMO_PASSWORD = "demo-password"


def counts():
    return {
        "users": get_user_model().objects.count(),
        "partners": Partner.objects.count(),
        "messages": ExchangeMessage.objects.count(),
        "events": MessageEvent.objects.count(),
    }


def token_for(username, password=DEMO_PASSWORD):
    reply = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert reply.status_code == 200, (username, reply.content)
    return reply.json()["access"]


def test_refuses_with_debug_off_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert counts() == {"users": 0, "partners": 0, "messages": 0, "events": 0}


def test_force_creates_partners_and_admin_that_can_log_in(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert set(Partner.objects.values_list("name", flat=True)) == PARTNERS
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert ExchangeMessage.objects.exists()
    for name in [*sorted(PARTNERS), "admin"]:
        assert token_for(name)
    # A partner's token works on the API and sees its seeded traffic.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for('acme')}")
    reply = client.get("/api/v1/messages/")
    assert reply.status_code == 200, reply.content


def test_second_run_changes_nothing(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force", stdout=io.StringIO())
    first = counts()
    message_ids = set(ExchangeMessage.objects.values_list("pk", flat=True))
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert counts() == first
    assert set(ExchangeMessage.objects.values_list("pk", flat=True)) == message_ids
    assert first["partners"] == 3
    assert first["users"] == 4  # three partners and the admin
    for name in PARTNERS:
        assert token_for(name)


def test_runs_without_force_when_debug_is_on(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert set(Partner.objects.values_list("name", flat=True)) == PARTNERS
    assert token_for("admin")
