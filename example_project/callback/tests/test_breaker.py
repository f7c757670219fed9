"""The per-target circuit breaker: state in the database, so every sender shares it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks import breaker, sender
from callbacks.models import Attempt, Callback, State, Target, origin_of
from tests.conftest import make_callback, refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def tripped(acme, receiver, callback_settings):
    callback_settings(BREAKER_THRESHOLD=3, BREAKER_COOLDOWN_SECONDS=60)
    receiver.script("/down", (503, {}, b""))
    for _ in range(3):
        sender.deliver_now([(make_callback(acme[0], receiver.url("/down")).pk, 1)])
    return Target.objects.get(origin=origin_of(receiver.url("/")))


def test_failures_in_a_row_open_the_circuit(tripped, receiver):
    assert tripped.consecutive_failures == 3
    assert tripped.opened_until > timezone.now() + timedelta(seconds=55)
    assert len(receiver.hits("/down")) == 3


def test_an_open_circuit_sends_nothing_and_counts_no_attempt(tripped, acme, receiver):
    callback = make_callback(acme[0], receiver.url("/fine"))
    sender.deliver_now([(callback.pk, 1)])
    callback = refresh(callback)
    assert receiver.hits("/fine") == []
    assert callback.state == State.PENDING and callback.attempt_count == 0
    assert callback.next_attempt_at == tripped.opened_until
    assert "circuit open" in callback.last_error
    assert not Attempt.objects.filter(callback=callback).exists()


def test_other_targets_are_not_affected(tripped, acme, make_client, callback_settings):
    from tests.receivers import Receiver

    other = Receiver("whsec_" + "A" * 43)
    try:
        from callbacks.models import Subscription

        Subscription.objects.create(owner=acme[0], origin=other.origin, secret=other.secret)
        callback = make_callback(acme[0], other.url("/hook"))
        sender.deliver_now([(callback.pk, 1)])
        assert refresh(callback).state == State.DELIVERED
    finally:
        other.close()


def test_after_the_cooldown_one_probe_goes_and_its_success_closes_it(tripped, acme, receiver):
    Target.objects.filter(pk=tripped.pk).update(opened_until=timezone.now() - timedelta(seconds=1))
    first, second = (make_callback(acme[0], receiver.url("/fine")) for _ in range(2))
    # Two senders arrive after the cooldown: the first takes the probe, the second waits.
    assert breaker.blocked_until(tripped.origin, timezone.now()) is None
    assert breaker.blocked_until(tripped.origin, timezone.now()) is not None
    Target.objects.filter(pk=tripped.pk).update(opened_until=timezone.now() - timedelta(seconds=1))
    sender.deliver_now([(first.pk, 1)])
    assert refresh(first).state == State.DELIVERED
    target = refresh(tripped)
    assert target.consecutive_failures == 0 and target.opened_until is None
    sender.deliver_now([(second.pk, 1)])
    assert refresh(second).state == State.DELIVERED


def test_a_failed_probe_opens_it_again(tripped, acme, receiver):
    Target.objects.filter(pk=tripped.pk).update(opened_until=timezone.now() - timedelta(seconds=1))
    probe = make_callback(acme[0], receiver.url("/down"))
    sender.deliver_now([(probe.pk, 1)])
    assert refresh(probe).state == State.PENDING and refresh(probe).attempt_count == 1
    target = refresh(tripped)
    assert target.consecutive_failures == 4 and target.opened_until > timezone.now()


def test_4xx_replies_do_not_trip_it(acme, receiver, callback_settings):
    callback_settings(BREAKER_THRESHOLD=2)
    receiver.script("/nope", (404, {}, b""))
    for _ in range(4):
        sender.deliver_now([(make_callback(acme[0], receiver.url("/nope")).pk, 1)])
    assert not Target.objects.filter(consecutive_failures__gt=0).exists()
    assert Callback.objects.filter(state=State.DEAD).count() == 4


def test_a_probe_that_gets_any_answer_closes_it(tripped, acme, receiver):
    """A 404 is a live receiver saying no: the circuit closes, the callback is dead."""
    Target.objects.filter(pk=tripped.pk).update(opened_until=timezone.now() - timedelta(seconds=1))
    receiver.script("/no", (404, {}, b""))
    probe = make_callback(acme[0], receiver.url("/no"))
    sender.deliver_now([(probe.pk, 1)])
    assert refresh(probe).state == State.DEAD
    target = refresh(tripped)
    assert target.consecutive_failures == 0 and target.opened_until is None
