"""Per-partner throttling: one partner's burst does not spend another's budget."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(exchange_settings):
    exchange_settings(THROTTLE_RATE="3/min")


def test_fourth_request_is_429_with_retry_after(acme, three_per_minute):
    for _ in range(3):
        assert acme.get("/api/v1/messages/").status_code == 200
    body = assert_problem(acme.get("/api/v1/messages/"), 429)
    retry_after = int(acme.get("/api/v1/messages/")["Retry-After"])
    assert 0 < retry_after <= 60
    assert 0 < body["retry_after_seconds"] <= 61


def test_partners_have_separate_budgets(acme, globex, three_per_minute):
    for _ in range(3):
        acme.get("/api/v1/messages/")
    assert acme.get("/api/v1/messages/").status_code == 429
    assert globex.get("/api/v1/messages/").status_code == 200


def test_forwarded_for_does_not_buy_a_new_login_budget(partners, three_per_minute):
    """Before login, callers are counted by peer address, which a header cannot change."""
    client = APIClient()
    codes = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "acme", "password": f"guess-{i}"},
            headers={"X-Forwarded-For": f"10.0.0.{i}"},
        ).status_code
        for i in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]


def test_health_is_never_throttled(acme, three_per_minute):
    codes = {acme.get("/api/v1/health/").status_code for _ in range(6)}
    assert codes == {200}
