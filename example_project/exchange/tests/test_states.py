"""The state machine: legal steps move and are recorded; illegal ones are a 409 problem."""

import pytest

from messaging.models import ExchangeMessage
from messaging.states import TERMINAL, TRANSITIONS, IllegalTransition, State, allowed
from tests.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_recipient_acknowledges_a_delivered_message(globex, make_message):
    message = make_message(state=State.DELIVERED)
    reply = globex.post(f"/api/v1/messages/{message.pk}/acknowledge/", {"reason": "thanks"})
    assert reply.status_code == 200, reply.content
    assert reply.json()["state"] == State.ACKNOWLEDGED
    event = message.events.last()
    assert (event.from_state, event.to_state, event.actor.name, event.reason) == (
        "delivered", "acknowledged", "globex", "thanks",
    )


def test_recipient_rejects_a_delivered_message(globex, make_message):
    message = make_message(state=State.DELIVERED)
    reply = globex.post(f"/api/v1/messages/{message.pk}/reject/", {"reason": "wrong order"})
    assert reply.status_code == 200
    assert ExchangeMessage.objects.get(pk=message.pk).state == State.REJECTED


@pytest.mark.parametrize("state", [State.RECEIVED, State.VALIDATED, State.ROUTED, State.FAILED])
def test_acknowledge_before_delivery_is_409(globex, make_message, state):
    message = make_message(state=state)
    body = assert_problem(globex.post(f"/api/v1/messages/{message.pk}/acknowledge/", {}), 409)
    assert body["type"] == "urn:exchange:problem:illegal-transition"
    assert body["state"] == state and body["requested"] == "acknowledged"
    assert body["allowed"] == sorted(str(s) for s in TRANSITIONS[state])
    assert ExchangeMessage.objects.get(pk=message.pk).state == state
    assert message.events.count() == 1  # nothing was recorded


@pytest.mark.parametrize("action", ["acknowledge", "reject"])
def test_terminal_states_refuse_everything(globex, make_message, action):
    for state in TERMINAL:
        message = make_message(state=state)
        body = assert_problem(globex.post(f"/api/v1/messages/{message.pk}/{action}/", {}), 409)
        assert body["allowed"] == []


def test_acknowledging_twice_is_409_the_second_time(globex, make_message):
    message = make_message(state=State.DELIVERED)
    url = f"/api/v1/messages/{message.pk}/acknowledge/"
    assert globex.post(url, {}).status_code == 200
    assert assert_problem(globex.post(url, {}), 409)["state"] == "acknowledged"
    assert message.events.count() == 2


@pytest.mark.parametrize("action", ["acknowledge", "reject"])
def test_only_the_recipient_decides(acme, make_message, action):
    message = make_message("acme", "globex", state=State.DELIVERED)
    body = assert_problem(acme.post(f"/api/v1/messages/{message.pk}/{action}/", {}), 403)
    assert body["type"] == "urn:exchange:problem:not-recipient"
    assert ExchangeMessage.objects.get(pk=message.pk).state == State.DELIVERED


def test_reason_must_be_text_of_bounded_length(globex, make_message):
    message = make_message(state=State.DELIVERED)
    url = f"/api/v1/messages/{message.pk}/reject/"
    body = assert_problem(globex.post(url, {"reason": "x" * 2001}, format="json"), 400)
    assert "reason" in body["errors"]
    assert assert_problem(globex.post(url, {"reason": {"a": 1}}, format="json"), 400)
    assert ExchangeMessage.objects.get(pk=message.pk).state == State.DELIVERED


def test_model_refuses_illegal_steps_and_keeps_the_row(make_message):
    message = make_message(state=State.ROUTED)
    with pytest.raises(IllegalTransition) as refused:
        message.transition(State.VALIDATED)
    assert refused.value.current == "routed"
    assert ExchangeMessage.objects.get(pk=message.pk).state == State.ROUTED


def test_transition_table_is_closed():
    """Every state appears, every target is a state, and terminal states lead nowhere."""
    assert set(TRANSITIONS) == set(State)
    for source, targets in TRANSITIONS.items():
        assert targets <= set(State)
        assert source not in targets
    assert TERMINAL == {State.ACKNOWLEDGED, State.REJECTED, State.FAILED}
    assert allowed("delivered", "acknowledged") and not allowed("received", "delivered")
