"""The sender against real receivers on 127.0.0.1, in process (no queue configured).

Each receiver verifies the Standard Webhooks signature of every request it gets.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from callbacks import sender, sweeper
from callbacks.models import Attempt, Callback, State
from tests.conftest import insert, refresh
from tests.receivers import BARRIER, DRIP, RESET, SLOW

pytestmark = pytest.mark.django_db


def inserted(client, url, capture, **kwargs):
    with capture(execute=True):
        reply = insert(client, url, **kwargs)
    assert reply.status_code == 201, reply.content
    return Callback.objects.get(pk=reply.json()["id"])


def make_due(callback):
    Callback.objects.filter(pk=callback.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def outcomes(callback):
    return [a.outcome for a in Attempt.objects.filter(callback=callback)]


def test_a_2xx_is_delivered_signed_and_recorded(
    acme, receiver, django_capture_on_commit_callbacks
):
    receiver.script("/hook", (200, {}, b'{"thanks": true}'))
    callback = inserted(acme[1], receiver.url("/hook"), django_capture_on_commit_callbacks,
                        payload={"order": "A-7"})  # fmt: skip
    assert refresh(callback).state == State.DELIVERED
    (hit,) = receiver.hits("/hook")
    assert hit.verified
    assert hit.headers["webhook-id"] == f"msg_{callback.pk.hex}"
    assert hit.headers["content-type"] == "application/json"
    assert hit.json == {
        "type": "order.created",
        "timestamp": callback.created_at.isoformat(),
        "data": {"order": "A-7"},
    }
    (attempt,) = Attempt.objects.filter(callback=callback)
    assert (attempt.number, attempt.outcome, attempt.status_code) == (1, "delivered", 200)
    assert attempt.response_snippet == '{"thanks": true}'
    assert attempt.latency_ms is not None and attempt.latency_ms < 1000
    assert callback.delivered_at is not None and callback.attempt_count == 1


def test_a_wrong_secret_fails_the_receivers_check(acme, receiver, django_capture_on_commit_callbacks):
    from callbacks.models import Subscription, new_secret

    Subscription.objects.filter(owner=acme[0]).update(secret=new_secret())
    callback = inserted(acme[1], receiver.url("/hook"), django_capture_on_commit_callbacks)
    (hit,) = receiver.hits()
    assert not hit.verified  # the receiver answered 401: a permanent failure
    assert refresh(callback).state == State.DEAD
    assert Attempt.objects.get(callback=callback).status_code == 401


def test_retries_keep_the_webhook_id_and_sign_each_attempt_afresh(
    acme, receiver, callback_settings, django_capture_on_commit_callbacks
):
    receiver.script("/flaky", (500, {}, b"down"), (503, {}, b"still down"), (200, {}, b"ok"))
    callback = inserted(acme[1], receiver.url("/flaky"), django_capture_on_commit_callbacks)
    assert refresh(callback).state == State.PENDING
    for _ in range(2):
        make_due(callback)
        sweeper.sweep()
    assert refresh(callback).state == State.DELIVERED
    hits = receiver.hits("/flaky")
    assert len(hits) == 3 and all(h.verified for h in hits)
    assert {h.headers["webhook-id"] for h in hits} == {callback.webhook_id}
    assert len({h.body for h in hits}) == 1  # the same body every time
    assert outcomes(callback) == ["retry", "retry", "delivered"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_4xx_is_a_permanent_failure(acme, receiver, status, django_capture_on_commit_callbacks):
    receiver.script("/no", (status, {}, b"go away"))
    callback = inserted(acme[1], receiver.url("/no"), django_capture_on_commit_callbacks)
    callback = refresh(callback)
    assert callback.state == State.DEAD
    assert callback.last_error == f"HTTP {status}: refused for good"
    assert outcomes(callback) == ["failed"]
    sweeper.sweep()
    assert len(receiver.hits("/no")) == 1  # dead stays dead


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses_leave_it_pending(acme, receiver, status, django_capture_on_commit_callbacks):
    receiver.script("/later", (status, {}, b""))
    callback = inserted(acme[1], receiver.url("/later"), django_capture_on_commit_callbacks)
    callback = refresh(callback)
    assert callback.state == State.PENDING and callback.attempt_count == 1
    assert callback.last_error == f"HTTP {status}"
    assert outcomes(callback) == ["retry"]


def test_retry_after_is_honoured(acme, receiver, django_capture_on_commit_callbacks):
    receiver.script("/busy", (429, {"Retry-After": "120"}, b"slow down"))
    before = timezone.now()
    callback = inserted(acme[1], receiver.url("/busy"), django_capture_on_commit_callbacks)
    callback = refresh(callback)
    assert callback.next_attempt_at >= before + timedelta(seconds=120)
    attempt = Attempt.objects.get(callback=callback)
    assert attempt.next_attempt_at == callback.next_attempt_at
    sweeper.sweep()  # not due yet: nothing is sent
    assert len(receiver.hits("/busy")) == 1


def test_a_slow_receiver_times_out_and_is_retried(
    acme, receiver, callback_settings, django_capture_on_commit_callbacks
):
    callback_settings(READ_TIMEOUT_SECONDS=0.3)
    receiver.script("/slow", SLOW(1.0))
    callback = inserted(acme[1], receiver.url("/slow"), django_capture_on_commit_callbacks)
    callback = refresh(callback)
    assert callback.state == State.PENDING
    attempt = Attempt.objects.get(callback=callback)
    assert attempt.status_code is None and "timed out" in attempt.error
    assert 250 <= attempt.latency_ms < 1000


def test_a_connection_reset_is_retried(acme, receiver, django_capture_on_commit_callbacks):
    receiver.script("/reset", RESET)
    callback = inserted(acme[1], receiver.url("/reset"), django_capture_on_commit_callbacks)
    assert refresh(callback).state == State.PENDING
    attempt = Attempt.objects.get(callback=callback)
    assert attempt.status_code is None and attempt.outcome == "retry"
    assert "Connection" in attempt.error or "reset" in attempt.error.lower(), attempt.error


def test_a_closed_port_is_retried(acme, callback_settings, django_capture_on_commit_callbacks):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    callback = inserted(acme[1], f"http://127.0.0.1:{port}/x", django_capture_on_commit_callbacks)
    assert refresh(callback).state == State.PENDING
    assert "refused" in Attempt.objects.get(callback=callback).error.lower()


def test_redirects_are_not_followed(acme, receiver, django_capture_on_commit_callbacks):
    receiver.script(
        "/moved", (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    )
    callback = inserted(acme[1], receiver.url("/moved"), django_capture_on_commit_callbacks)
    callback = refresh(callback)
    assert callback.state == State.DEAD
    assert "not followed" in callback.last_error and "169.254.169.254" in callback.last_error
    assert len(receiver.requests) == 1


def test_replies_are_read_up_to_a_cap(acme, receiver, callback_settings, django_capture_on_commit_callbacks):
    callback_settings(MAX_REPLY_BYTES=1000, SNIPPET_CHARS=50)
    receiver.script("/big", (200, {}, b"y" * 5_000_000))
    callback = inserted(acme[1], receiver.url("/big"), django_capture_on_commit_callbacks)
    assert refresh(callback).state == State.DELIVERED
    assert Attempt.objects.get(callback=callback).response_snippet == "y" * 50


def test_after_the_last_attempt_it_is_dead(
    acme, receiver, callback_settings, django_capture_on_commit_callbacks
):
    callback_settings(MAX_ATTEMPTS=3)
    receiver.script("/down", (500, {}, b"down"))
    callback = inserted(acme[1], receiver.url("/down"), django_capture_on_commit_callbacks)
    for _ in range(5):
        make_due(callback)
        sweeper.sweep()
    callback = refresh(callback)
    assert callback.state == State.DEAD and callback.attempt_count == 3
    assert callback.last_error == "HTTP 500; gave up after 3 attempts"
    assert outcomes(callback) == ["retry", "retry", "failed"]
    assert len(receiver.hits("/down")) == 3


def test_the_audit_trail_tells_the_whole_story(
    acme, receiver, callback_settings, django_capture_on_commit_callbacks
):
    callback_settings(MAX_ATTEMPTS=2)
    receiver.script(
        "/story",
        (503, {"Retry-After": "0"}, b"maintenance"),
        (404, {}, b"no such hook"),
        (200, {}, b"finally"),
    )
    client = acme[1]
    callback = inserted(client, receiver.url("/story"), django_capture_on_commit_callbacks)
    make_due(callback)
    sweeper.sweep()
    assert refresh(callback).state == State.DEAD
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/callbacks/{callback.pk}/retry/").status_code == 202
    body = client.get(f"/api/v1/callbacks/{callback.pk}/").json()
    assert body["state"] == "delivered" and body["attempt_count"] == 3
    story = [
        (a["number"], a["outcome"], a["status_code"], a["error"], a["response_snippet"])
        for a in body["attempts"]
    ]
    assert story == [
        (1, "retry", 503, "HTTP 503", "maintenance"),
        (2, "failed", 404, "HTTP 404: refused for good", "no such hook"),
        (3, "delivered", 200, "", "finally"),
    ]
    assert all(a["latency_ms"] is not None and a["at"] for a in body["attempts"])
    assert body["attempts"][0]["next_attempt_at"] is not None


def test_a_host_name_that_resolves_to_loopback_is_refused_at_send(
    acme, callback_settings, django_capture_on_commit_callbacks
):
    callback_settings(ALLOWED_NETWORKS=[])
    callback = inserted(acme[1], "http://localhost:9/hook", django_capture_on_commit_callbacks)
    callback = refresh(callback)
    assert callback.state == State.DEAD
    assert callback.last_error.startswith("refused: ") and "loopback" in callback.last_error


def test_the_batch_is_sent_concurrently(acme, receiver, callback_settings):
    """Five receivers' replies wait until all five requests are in flight at once."""
    from tests.conftest import make_callback

    callback_settings(SEND_CONCURRENCY=5)
    receiver.script("/together", BARRIER(5, timeout=3))
    callbacks = [make_callback(acme[0], receiver.url("/together")) for _ in range(5)]
    results = sender.deliver_now([(c.pk, 1) for c in callbacks])
    assert all(ok for _, ok in results)
    assert {refresh(c).state for c in callbacks} == {State.DELIVERED}
    assert {a.response_snippet for a in Attempt.objects.all()} == {"together"}


def test_sequential_sending_cannot_pass_the_barrier(acme, receiver, callback_settings):
    from tests.conftest import make_callback

    callback_settings(SEND_CONCURRENCY=1)
    receiver.script("/together", BARRIER(2, timeout=0.3))
    callbacks = [make_callback(acme[0], receiver.url("/together")) for _ in range(2)]
    sender.deliver_now([(c.pk, 1) for c in callbacks])
    assert {refresh(c).state for c in callbacks} == {State.PENDING}  # each waited alone: 503


def test_the_signature_verifies_with_the_reference_library(acme, receiver, django_capture_on_commit_callbacks):
    """What docs/callbacks.md tells receivers to run, on a request as it arrived."""
    inserted(acme[1], receiver.url("/hook"), django_capture_on_commit_callbacks)
    (hit,) = receiver.hits()
    payload = Webhook(receiver.secret).verify(hit.body, hit.headers)
    assert payload["data"] == {"order": "A-1"}
    tampered = json.dumps({**payload, "data": {"order": "B-2"}})
    with pytest.raises(Exception, match="signature"):
        Webhook(receiver.secret).verify(tampered, hit.headers)


def test_connections_are_pooled_across_invocations(acme, receiver):
    """A warm environment's second batch reuses the first one's keep-alive connection."""
    from callbacks import transport
    from tests.conftest import make_callback

    for _ in range(3):
        sender.deliver_now([(make_callback(acme[0], receiver.url("/hook")).pk, 1)])
    assert transport.pool_count() == 1
    ports = {hit.peer_port for hit in receiver.hits("/hook")}
    assert len(receiver.hits("/hook")) == 3 and len(ports) == 1


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_a_receiver_that_drips_cannot_hold_a_send_past_its_deadline(
    acme, receiver, callback_settings, headers
):
    """Socket timeouts bound each read; the total deadline bounds the whole exchange."""
    import time

    from tests.conftest import make_callback

    callback_settings(CONNECT_TIMEOUT_SECONDS=0.5, READ_TIMEOUT_SECONDS=0.5)
    receiver.script("/drip", DRIP(every=0.2, seconds=4, headers=headers))
    callback = make_callback(acme[0], receiver.url("/drip"))
    start = time.monotonic()
    sender.deliver_now([(callback.pk, 1)])
    took = time.monotonic() - start
    assert took < 2.0, f"the send took {took:.1f} s against a 1 s deadline"
    callback = refresh(callback)
    assert callback.state == State.PENDING
    assert "timed out" in Attempt.objects.get(callback=callback).error


@pytest.mark.parametrize("header", ["retry-after", "RETRY-AFTER"])
def test_retry_after_is_read_in_any_case(acme, receiver, header, django_capture_on_commit_callbacks):
    receiver.script("/busy", (503, {header: "120"}, b""))
    before = timezone.now()
    callback = inserted(acme[1], receiver.url("/busy"), django_capture_on_commit_callbacks)
    assert refresh(callback).next_attempt_at >= before + timedelta(seconds=120)


def test_a_hostile_retry_after_is_ignored_not_fatal(acme, receiver, django_capture_on_commit_callbacks):
    from tests.conftest import make_callback

    receiver.script("/odd", (503, {"Retry-After": "\u00b2"}, b""))
    odd = make_callback(acme[0], receiver.url("/odd"))
    fine = make_callback(acme[0], receiver.url("/hook"))
    results = sender.deliver_now([(odd.pk, 1), (fine.pk, 1)])
    assert all(ok for _, ok in results)
    assert refresh(odd).state == State.PENDING and refresh(odd).attempt_count == 1
    assert refresh(fine).state == State.DELIVERED


def test_an_unexpected_error_in_one_send_does_not_cost_the_batch(acme, receiver, monkeypatch):
    """Fault injection: the address check of one URL blows up; the others are recorded."""
    from callbacks import ssrf
    from tests.conftest import make_callback

    real = ssrf.destination

    def destination(url):
        if "/boom" in url:
            raise RuntimeError("unexpected")
        return real(url)

    monkeypatch.setattr(ssrf, "destination", destination)
    boom = make_callback(acme[0], receiver.url("/boom"))
    fine = [make_callback(acme[0], receiver.url("/hook")) for _ in range(3)]
    sender.deliver_now([(c.pk, 1) for c in [boom, *fine]])
    assert {refresh(c).state for c in fine} == {State.DELIVERED}
    boom = refresh(boom)
    assert boom.state == State.PENDING and boom.last_error == "sender error: RuntimeError"


def test_a_sender_that_dies_mid_send_uses_up_the_attempt(acme, receiver, callback_settings):
    """A lease that ran out is an attempt with an unknown outcome; after the last, dead."""
    import uuid

    from tests.conftest import make_callback

    callback_settings(MAX_ATTEMPTS=3)
    # Attempt 2 was claimed, and its sender was killed (the function timeout).
    lost = make_callback(acme[0], receiver.url("/hook"), state=State.DELIVERING, attempt_count=2,
                         lease_token=uuid.uuid4(),
                         lease_expires_at=timezone.now() - timedelta(seconds=1))  # fmt: skip
    sweeper.sweep()
    lost = refresh(lost)
    assert lost.state == State.DELIVERED and lost.attempt_count == 3
    trail = [(a.number, a.outcome, a.error) for a in Attempt.objects.filter(callback=lost)]
    assert trail == [(2, "retry", sender.LOST), (3, "delivered", "")]

    # The last attempt was lost too: no attempt is left, so it is dead, not retried for ever.
    last = make_callback(acme[0], receiver.url("/hook"), state=State.DELIVERING, attempt_count=3,
                         max_attempts=3, lease_token=uuid.uuid4(),
                         lease_expires_at=timezone.now() - timedelta(seconds=1))  # fmt: skip
    sweeper.sweep()
    last = refresh(last)
    assert last.state == State.DEAD and last.last_error.endswith("gave up after 3 attempts")
    assert [a.outcome for a in Attempt.objects.filter(callback=last)] == ["failed"]
    assert len(receiver.hits("/hook")) == 1


def test_a_second_success_is_refused_by_the_database(acme):
    from django.db import IntegrityError, transaction

    from tests.conftest import make_callback

    callback = make_callback(acme[0], "https://a.example.com/")
    Attempt.objects.create(callback=callback, number=1, started_at=timezone.now(),
                           outcome="delivered", status_code=200)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(callback=callback, number=2, started_at=timezone.now(),
                               outcome="delivered", status_code=200)  # fmt: skip
    Attempt.objects.create(callback=callback, number=2, started_at=timezone.now(),
                           outcome="retry", status_code=500)  # other outcomes are fine  # fmt: skip
