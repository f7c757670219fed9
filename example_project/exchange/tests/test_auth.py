"""JWT login as the existing clients use it, and what an unauthenticated caller gets."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, assert_problem

pytestmark = pytest.mark.django_db


def test_token_pair_then_refresh(partners):
    client = APIClient()
    reply = client.post("/api/v1/auth/token/", {"username": "acme", "password": PASSWORD})
    assert reply.status_code == 200
    tokens = reply.json()
    assert set(tokens) >= {"access", "refresh"}

    refreshed = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    access = refreshed.json()["access"]

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/messages/").status_code == 200


def test_wrong_password_is_a_401_problem(partners):
    reply = APIClient().post("/api/v1/auth/token/", {"username": "acme", "password": "nope"})
    assert_problem(reply, 401)


def test_no_token_is_refused(partners):
    reply = APIClient().get("/api/v1/messages/")
    assert_problem(reply, 401)


def test_forged_token_is_refused(partners):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert_problem(client.get("/api/v1/messages/"), 401)


def test_refresh_token_is_not_an_access_token(partners):
    tokens = APIClient().post(
        "/api/v1/auth/token/", {"username": "acme", "password": PASSWORD}
    ).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['refresh']}")
    assert_problem(client.get("/api/v1/messages/"), 401)


def test_a_user_without_a_partner_gets_403(partners, django_user_model):
    django_user_model.objects.create_user(username="staffer", password=PASSWORD)
    client = APIClient()
    tokens = client.post("/api/v1/auth/token/", {"username": "staffer", "password": PASSWORD})
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    body = assert_problem(client.get("/api/v1/messages/"), 403)
    assert "not a partner" in body["detail"]


def test_client_headers_are_not_identity(partners):
    """An authorizer-style header sent by the client itself names nobody."""
    client = APIClient()
    reply = client.get(
        "/api/v1/messages/",
        headers={"X-Forwarded-User": "acme", "X-Amzn-Oidc-Identity": "acme", "X-User": "acme"},
    )
    assert_problem(reply, 401)
