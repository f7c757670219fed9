"""Submitting, reading and filtering messages; each partner sees only its own."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import ExchangeMessage, MessageEvent
from messaging.states import State
from tests.conftest import assert_problem, submit

pytestmark = pytest.mark.django_db


def test_submit_names_the_sender_and_starts_the_trail(acme):
    reply = submit(acme, "globex", type="order.created", payload={"order": "A-7"},
                   correlation_id="corr-7")
    assert reply.status_code == 201, reply.content
    body = reply.json()
    uuid.UUID(body["id"])
    assert body["sender"] == "acme" and body["recipient"] == "globex"
    assert body["payload"] == {"order": "A-7"} and body["correlation_id"] == "corr-7"
    assert body["state"] == State.RECEIVED

    stored = ExchangeMessage.objects.get(pk=body["id"])
    assert stored.sender.name == "acme"
    first = stored.events.first()
    assert (first.from_state, first.to_state, first.actor.name) == ("", "received", "acme")


def test_sender_cannot_be_chosen_by_the_client(acme):
    reply = submit(acme, "globex", sender="initech")
    assert reply.status_code == 201
    assert ExchangeMessage.objects.get(pk=reply.json()["id"]).sender.name == "acme"


def test_state_cannot_be_chosen_by_the_client(acme):
    reply = submit(acme, "globex", state="delivered")
    assert reply.status_code == 201
    assert ExchangeMessage.objects.get(pk=reply.json()["id"]).state == State.RECEIVED


def test_retrieve_by_sender_and_recipient(acme, globex, make_message):
    message = make_message("acme", "globex")
    for client in (acme, globex):
        reply = client.get(f"/api/v1/messages/{message.pk}/")
        assert reply.status_code == 200
        assert reply.json()["id"] == str(message.pk)


def test_other_partners_messages_are_404(initech, make_message):
    message = make_message("acme", "globex")
    for url in (
        f"/api/v1/messages/{message.pk}/",
        f"/api/v1/messages/{message.pk}/events/",
    ):
        assert_problem(initech.get(url), 404)
    for action in ("acknowledge", "reject"):
        assert_problem(initech.post(f"/api/v1/messages/{message.pk}/{action}/", {}), 404)
    message.refresh_from_db()
    assert message.state == State.RECEIVED
    assert message.events.count() == 1


def test_list_shows_only_own_messages(acme, initech, make_message):
    mine = {str(make_message("acme", "globex").pk), str(make_message("initech", "acme").pk)}
    make_message("globex", "initech")
    listed = {m["id"] for m in acme.get("/api/v1/messages/").json()["results"]}
    assert listed == mine
    assert len(initech.get("/api/v1/messages/").json()["results"]) == 2


def test_filters(acme, make_message):
    old = make_message("acme", "globex", type="invoice.issued", state=State.FAILED)
    ExchangeMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    delivered = make_message("acme", "initech", state=State.DELIVERED)
    received = make_message("globex", "acme")

    def ids(query):
        reply = acme.get("/api/v1/messages/", query)
        assert reply.status_code == 200, reply.content
        return {m["id"] for m in reply.json()["results"]}

    assert ids({"state": "delivered"}) == {str(delivered.pk)}
    assert ids({"state": ["delivered", "received"]}) == {str(delivered.pk), str(received.pk)}
    assert ids({"partner": "initech"}) == {str(delivered.pk)}
    assert ids({"partner": "globex"}) == {str(old.pk), str(received.pk)}
    assert ids({"type": "invoice.issued"}) == {str(old.pk)}
    cutoff = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids({"created_before": cutoff}) == {str(old.pk)}
    assert ids({"created_after": cutoff}) == {str(delivered.pk), str(received.pk)}


@pytest.mark.parametrize(
    "query",
    [{"state": "lost"}, {"created_after": "yesterday"}, {"created_before": "2026-13-45"}],
)
def test_bad_filter_values_are_400(acme, query):
    body = assert_problem(acme.get("/api/v1/messages/", query), 400)
    assert set(body["errors"]) == set(query)


def test_cursor_pagination_walks_every_message_once(acme, make_message):
    made = {str(make_message("acme", "globex", correlation_id=f"c{i}").pk) for i in range(7)}
    seen, url, pages = [], "/api/v1/messages/?page_size=3", 0
    while url:
        reply = acme.get(url)
        assert reply.status_code == 200
        body = reply.json()
        assert "count" not in body  # cursor pages never count the table
        seen += [m["id"] for m in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made


def test_events_are_the_audit_trail(acme, globex, make_message):
    message = make_message("acme", "globex", state=State.DELIVERED)
    globex.post(f"/api/v1/messages/{message.pk}/acknowledge/", {"reason": "got it"})
    events = acme.get(f"/api/v1/messages/{message.pk}/events/").json()
    assert [(e["from_state"], e["to_state"]) for e in events] == [
        ("", "delivered"),
        ("delivered", "acknowledged"),
    ]
    assert events[1]["actor"] == "globex" and events[1]["reason"] == "got it"
    assert all(e["created_at"] for e in events)


def test_events_cannot_be_rewritten(make_message):
    event = make_message().events.get()
    event.reason = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert MessageEvent.objects.get(pk=event.pk).reason == "fixture"
