"""The callme API: inserts, idempotency, reads, filters, re-drive, auth and bad input."""

import pytest
from django.utils import timezone

from callbacks.models import Callback, State, Subscription
from tests.conftest import insert, make_callback

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_is_sent(callback_settings, monkeypatch):
    # These tests are about the API: the in-process first attempt is not run.
    monkeypatch.setattr("callbacks.outbox.after_insert", lambda callback_id: None)


def test_insert_returns_the_pending_callback(acme):
    user, client = acme
    reply = insert(client, "https://hooks.example.com/in?x=1", key="k-1", payload={"a": 1})
    assert reply.status_code == 201, reply.content
    body = reply.json()
    callback = Callback.objects.get()
    assert body["id"] == str(callback.pk)
    assert body["state"] == "pending" and body["attempts"] == [] and body["attempt_count"] == 0
    assert body["url"] == "https://hooks.example.com/in?x=1"
    assert body["payload"] == {"a": 1} and body["event_type"] == "order.created"
    assert body["webhook_id"] == f"msg_{callback.pk.hex}"
    assert body["max_attempts"] == 10
    assert callback.owner == user
    subscription = Subscription.objects.get()
    assert subscription.origin == "https://hooks.example.com:443"
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 40


def test_the_first_insert_is_enqueued_after_commit_only(acme, monkeypatch, django_capture_on_commit_callbacks):
    seen = []
    monkeypatch.setattr("callbacks.outbox.after_insert", seen.append)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        reply = insert(acme[1], "https://hooks.example.com/in", key="k")
    assert reply.status_code == 201
    assert seen == [] and len(pending) == 1  # nothing left before the commit
    pending[0]()
    assert [str(i) for i in seen] == [reply.json()["id"]]


def test_the_same_key_returns_the_same_callback_and_inserts_nothing(acme):
    client = acme[1]
    first = insert(client, "https://hooks.example.com/in", key="same")
    again = insert(client, "https://hooks.example.com/in", key="same")
    assert first.status_code == 201 and again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Callback.objects.count() == 1


def test_a_key_reused_with_another_body_is_refused(acme):
    client = acme[1]
    insert(client, "https://hooks.example.com/in", key="same", payload={"n": 1})
    reply = insert(client, "https://hooks.example.com/in", key="same", payload={"n": 2})
    assert reply.status_code == 422
    assert "different body" in reply.json()["detail"]
    assert Callback.objects.count() == 1


def test_keys_are_per_client(acme, make_client):
    insert(acme[1], "https://hooks.example.com/in", key="shared")
    _, other = make_client("globex")
    reply = insert(other, "https://hooks.example.com/in", key="shared")
    assert reply.status_code == 201
    assert Callback.objects.count() == 2


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 256, "bad\nkey"])
def test_the_idempotency_key_is_required_and_checked(acme, key):
    headers = {} if key is None else {"Idempotency-Key": key}
    body = {"url": "https://hooks.example.com/in", "event_type": "a", "payload": {}}
    reply = acme[1].post("/api/v1/callbacks/", body, format="json", headers=headers)
    assert reply.status_code == 400
    assert "Idempotency-Key" in reply.json()
    assert Callback.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"event_type": "a", "payload": {}}, "url"),
        ({"url": "not a url", "event_type": "a", "payload": {}}, "url"),
        ({"url": "https://h.example.com/", "payload": {}}, "event_type"),
        ({"url": "https://h.example.com/", "event_type": "no spaces", "payload": {}}, "event_type"),
        ({"url": "https://h.example.com/", "event_type": "a"}, "payload"),
        ({"url": "https://h.example.com/", "event_type": "a", "payload": [1, 2]}, "payload"),
        ({"url": "https://h.example.com/", "event_type": "a", "payload": "text"}, "payload"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(acme, body, field):
    reply = acme[1].post(
        "/api/v1/callbacks/", body, format="json", headers={"Idempotency-Key": "k"}
    )
    assert reply.status_code == 400, reply.content
    assert field in reply.json()
    assert Callback.objects.count() == 0


def test_a_payload_over_the_limit_is_refused(acme, callback_settings):
    callback_settings(MAX_PAYLOAD_BYTES=100)
    reply = insert(acme[1], "https://h.example.com/", payload={"blob": "x" * 200})
    assert reply.status_code == 400
    assert "limit is 100" in reply.json()["payload"][0]


def test_a_body_that_is_not_json_is_400(acme):
    reply = acme[1].generic(
        "POST", "/api/v1/callbacks/", "{not json", content_type="application/json",
        headers={"Idempotency-Key": "k"},
    )  # fmt: skip
    assert reply.status_code == 400
    assert Callback.objects.count() == 0


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://hooks.example.com/in", "scheme must be https"),
        ("ftp://hooks.example.com/in", "scheme must be https"),
        ("https://127.0.0.1/in", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.1.2.3/in", "private"),
        ("https://192.168.0.10/in", "private"),
        ("https://[::1]/in", "loopback"),
        ("https://[::ffff:127.0.0.1]/in", "loopback"),
        ("https://[::ffff:169.254.169.254]/in", "link-local"),
        ("https://[fe80::1]/in", "link-local"),
        ("https://224.0.0.1/in", "multicast"),
        ("https://0.0.0.0/in", "0.0.0.0"),
        ("https://user:pw@hooks.example.com/in", "credentials"),
    ],
)
def test_urls_refused_by_their_literal_form_are_400_at_insert(acme, url, reason):
    settings_allow_nothing(acme)
    reply = insert(acme[1], url)
    assert reply.status_code == 400, reply.content
    assert reason in reply.json()["url"][0]
    assert Callback.objects.count() == 0


def settings_allow_nothing(acme):
    from django.conf import settings

    settings.CALLBACK = {**settings.CALLBACK, "ALLOW_HTTP": False, "ALLOWED_NETWORKS": []}


def test_a_host_name_is_accepted_at_insert_and_checked_at_send(acme):
    settings_allow_nothing(acme)
    reply = insert(acme[1], "https://localhost/in")
    assert reply.status_code == 201  # names are resolved at send time (test_sending)


def test_read_your_callback_and_only_yours(acme, make_client):
    user, client = acme
    mine = make_callback(user, "https://hooks.example.com/a")
    other_user, other = make_client("globex")
    theirs = make_callback(other_user, "https://hooks.example.com/b")
    assert client.get(f"/api/v1/callbacks/{mine.pk}/").json()["id"] == str(mine.pk)
    assert client.get(f"/api/v1/callbacks/{theirs.pk}/").status_code == 404
    assert other.post(f"/api/v1/callbacks/{mine.pk}/retry/").status_code == 404
    listed = [c["id"] for c in client.get("/api/v1/callbacks/").json()["results"]]
    assert listed == [str(mine.pk)]


def test_list_filters(acme):
    user, client = acme
    delivered = make_callback(user, "https://a.example.com/", state=State.DELIVERED)
    dead = make_callback(user, "https://b.example.com/", state=State.DEAD, event_type="x.failed")
    pending = make_callback(user, "https://a.example.com/other")

    def ids(query):
        reply = client.get(f"/api/v1/callbacks/?{query}")
        assert reply.status_code == 200, reply.content
        return {c["id"] for c in reply.json()["results"]}

    assert ids("state=dead") == {str(dead.pk)}
    assert ids("state=dead&state=delivered") == {str(dead.pk), str(delivered.pk)}
    assert ids("event_type=x.failed") == {str(dead.pk)}
    assert ids("url_prefix=https://a.example.com/") == {str(delivered.pk), str(pending.pk)}
    later = timezone.now().isoformat().replace("+00:00", "Z")
    assert ids(f"created_after={later}") == set()
    assert len(ids(f"created_before={later}")) == 3
    assert client.get("/api/v1/callbacks/?state=lost").status_code == 400


def test_list_pages_with_a_cursor(acme):
    user, client = acme
    for _ in range(5):
        make_callback(user, "https://a.example.com/")
    first = client.get("/api/v1/callbacks/?page_size=2").json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 2
    assert not {c["id"] for c in first["results"]} & {c["id"] for c in second["results"]}


def test_retry_redrives_a_dead_callback_with_a_fresh_budget(
    acme, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = []
    monkeypatch.setattr("callbacks.views._redrive", lambda pk, attempt: enqueued.append(attempt))
    user, client = acme
    dead = make_callback(user, "https://a.example.com/", state=State.DEAD, attempt_count=8,
                         last_error="HTTP 500; gave up after 8 attempts")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(f"/api/v1/callbacks/{dead.pk}/retry/")
    assert reply.status_code == 202, reply.content
    body = reply.json()
    assert body["state"] == "pending" and body["max_attempts"] == 18 and body["last_error"] == ""
    assert enqueued == [9]


@pytest.mark.parametrize("state", [State.PENDING, State.DELIVERING, State.DELIVERED])
def test_only_dead_callbacks_can_be_retried(acme, state):
    user, client = acme
    callback = make_callback(user, "https://a.example.com/", state=state)
    reply = client.post(f"/api/v1/callbacks/{callback.pk}/retry/")
    assert reply.status_code == 409
    assert reply.json()["state"] == state
    callback.refresh_from_db()
    assert callback.state == state


@pytest.mark.parametrize("header", [None, "Token wrong-token", "Bearer x"])
def test_every_route_but_health_needs_a_token(acme, header):
    from rest_framework.test import APIClient

    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/callbacks/").status_code == 401
    assert insert(client, "https://a.example.com/").status_code == 401
    assert Callback.objects.count() == 0
    health = client.get("/api/v1/health/")
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok"}


def test_register_a_receiver_and_read_its_secret(acme, make_client):
    user, client = acme
    reply = client.post("/api/v1/subscriptions/", {"url": "https://hooks.example.com/in/x"})
    assert reply.status_code == 201, reply.content
    body = reply.json()
    assert body["origin"] == "https://hooks.example.com:443"
    assert body["secret"].startswith("whsec_")
    again = client.post("/api/v1/subscriptions/", {"url": "https://hooks.example.com/other"})
    assert again.status_code == 200 and again.json()["secret"] == body["secret"]
    # A callback to that origin is signed with that secret; others cannot see it.
    insert(client, "https://hooks.example.com/in")
    callback = Callback.objects.get()
    assert callback.subscription.secret == body["secret"]
    _, other = make_client("globex")
    assert other.get("/api/v1/subscriptions/").json()["results"] == []
    assert other.get(f"/api/v1/subscriptions/{body['id']}/").status_code == 404
    assert [s["secret"] for s in client.get("/api/v1/subscriptions/").json()["results"]] == [
        body["secret"]
    ]


def test_a_receiver_url_is_checked_like_a_callback_url(acme):
    settings_allow_nothing(acme)
    reply = acme[1].post("/api/v1/subscriptions/", {"url": "https://169.254.169.254/"})
    assert reply.status_code == 400 and "link-local" in reply.json()["url"][0]
