"""The sender: claim each callback, send the batch concurrently, record every attempt.

Three phases, so the database work stays on the invocation's one connection
and only the slow part, HTTP, runs on threads:

1. **Claim** (main thread): a conditional UPDATE moves the row from ``pending``
   (or a ``delivering`` whose lease ran out) to ``delivering`` with a fresh
   lease token, only if its attempt count is the one the message is for. A
   duplicate message, or a second Lambda with the same message, matches no row
   and sends nothing.
2. **Send** (thread pool, no ORM): resolve and check the address, sign, POST.
3. **Record** (main thread, one transaction per callback): the Attempt row and
   the state change, the latter only if our lease token is still on the row;
   then (after commit) the retry message or the DLQ copy.
"""

import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from callbacks import backoff, breaker, outbox, signing, ssrf, transport
from callbacks.models import Attempt, Callback, Outcome, State

logger = logging.getLogger("callbacks.sender")

#: 4xx statuses that mean "later", not "never".
RETRYABLE_4XX = frozenset({408, 409, 429})
#: Failures that say the receiver is unwell (they feed the circuit breaker).
UNHEALTHY_4XX = frozenset({408})
#: A message may arrive this early (SQS rounds delays) and still be on time.
EARLY_TOLERANCE = timedelta(seconds=1)
USER_AGENT = "callback-service/1.0"

DELIVERED, RETRY, PERMANENT = "delivered", "retry", "permanent"


@dataclass(frozen=True)
class Job:
    """A claimed attempt: everything the HTTP thread needs, and no ORM object."""

    key: object
    callback_id: uuid.UUID
    attempt: int
    max_attempts: int
    token: uuid.UUID
    url: str
    origin: str
    webhook_id: str
    secret: str = field(repr=False)  # never in a log line or an error report
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Result:
    kind: str
    started_at: object
    status: int | None = None
    latency_ms: int | None = None
    error: str = ""
    snippet: str = ""
    retry_after: float | None = None
    unhealthy: bool = False
    #: False when nothing was sent (the URL was refused): the breaker learns nothing.
    contacted: bool = True


# ----- entry points


def handle_batch(records, lambda_context=None):
    """The SQS batch route: the records that failed and must come back."""
    failed, items = [], []
    for record in records:
        try:
            callback_id, attempt = outbox.parse(record.body)
        except outbox.MalformedMessage as exc:
            logger.error("SQS message %s refused: %s", record.message_id, exc)
            failed.append(record)
            continue
        items.append((record, callback_id, attempt))
    if items and not _time_left_for_a_send(lambda_context):
        logger.warning("too little time left to send; %d records go back", len(items))
        return failed + [record for record, _, _ in items]
    failed += [key for key, ok in run(items) if not ok]
    return failed


def deliver_now(items):
    """Attempt ``[(callback_id, attempt)]`` in this process (no queue configured)."""
    return run([(None, callback_id, attempt) for callback_id, attempt in items])


def run(items):
    """``[(key, callback_id, attempt)]`` → ``[(key, ok)]``; not ok means "deliver it again"."""
    now = timezone.now()
    done, jobs = [], []
    for key, callback_id, attempt in items:
        try:
            job = _claim(key, callback_id, attempt, now)
        except Exception:
            logger.exception("could not claim callback %s", callback_id)
            done.append((key, False))
            continue
        if job is None:
            done.append((key, True))
        else:
            jobs.append(job)
    # Each result is recorded as soon as it arrives, so a batch cut short by the
    # function timeout keeps what it finished.
    for job, result in _send_all(jobs):
        try:
            _record(job, result)
            done.append((job.key, True))
        except Exception:
            logger.exception("could not record attempt %d of %s", job.attempt, job.callback_id)
            done.append((job.key, False))
    return done


def _time_left_for_a_send(lambda_context):
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return True
    config = settings.CALLBACK
    budget_ms = (config["CONNECT_TIMEOUT_SECONDS"] + config["READ_TIMEOUT_SECONDS"] + 2) * 1000
    return remaining() > budget_ms


# ----- 1. claim


def _claim(key, callback_id, attempt, now):
    """The Job to send, or ``None`` when this message has nothing (more) to do."""
    callback = Callback.objects.select_related("subscription").filter(pk=callback_id).first()
    if callback is None:
        logger.warning("no callback %s; message dropped", callback_id)
        return None
    if callback.state in (State.DELIVERED, State.DEAD) or callback.attempt_count != attempt - 1:
        logger.info(
            "callback %s is %s after %d attempts; the message for attempt %d is stale",
            callback_id, callback.state, callback.attempt_count, attempt,
        )  # fmt: skip
        return None
    lease_live = callback.lease_expires_at is not None and callback.lease_expires_at >= now
    if callback.state == State.DELIVERING and lease_live:
        logger.info("callback %s is being sent by another worker", callback_id)
        return None
    if callback.state == State.PENDING and callback.next_attempt_at > now + EARLY_TOLERANCE:
        _send_on(callback_id, attempt, (callback.next_attempt_at - now).total_seconds())
        return None
    blocked = breaker.blocked_until(callback.origin, now)
    if blocked is not None:
        Callback.objects.filter(
            pk=callback_id, attempt_count=attempt - 1, state__in=[State.PENDING, State.DELIVERING]
        ).filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)).update(
            state=State.PENDING,
            next_attempt_at=blocked,
            lease_token=None,
            lease_expires_at=None,
            last_error=f"circuit open for {callback.origin} until {blocked.isoformat()}",
            updated_at=now,
        )
        _send_on(callback_id, attempt, (blocked - now).total_seconds())
        return None
    if attempt > callback.max_attempts:  # only after lost attempts: a sender died in each
        _give_up_after_lost_attempts(callback, attempt, now)
        return None
    token = uuid.uuid4()
    claimable = Q(state=State.PENDING, next_attempt_at__lte=now + EARLY_TOLERANCE) | Q(
        state=State.DELIVERING, lease_expires_at__lt=now
    )
    # The attempt is counted when it is claimed, so a sender that dies mid-send
    # (the function timeout, a crash) still uses up an attempt, and a receiver that
    # kills every sender ends dead instead of being retried for ever.
    won = (
        Callback.objects.filter(claimable, pk=callback_id, attempt_count=attempt - 1)
        .update(
            state=State.DELIVERING,
            attempt_count=attempt,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=settings.CALLBACK["LEASE_SECONDS"]),
            updated_at=now,
        )
    )  # fmt: skip
    if not won:
        logger.info("callback %s was claimed by another worker first", callback_id)
        return None
    if callback.state == State.DELIVERING:
        _note_lost_attempt(callback, now)
    body = json.dumps(
        {"type": callback.event_type, "timestamp": callback.created_at.isoformat(),
         "data": callback.payload},
        separators=(",", ":"),
    )  # fmt: skip
    return Job(
        key=key,
        callback_id=callback.pk,
        attempt=attempt,
        max_attempts=callback.max_attempts,
        token=token,
        url=callback.url,
        origin=callback.origin,
        webhook_id=callback.webhook_id,
        secret=callback.subscription.secret,
        body=body.encode(),
    )


LOST = "no result recorded: the sender stopped during this attempt (its lease expired)"


def _note_lost_attempt(callback, now, outcome=Outcome.RETRY):
    """A lease ran out: that attempt's outcome is unknown; say so in the audit trail.

    Only the worker that won the row (by claim or by giving up) writes this."""
    Attempt.objects.create(
        callback=callback,
        number=callback.attempt_count,
        started_at=callback.lease_expires_at or now,
        outcome=outcome,
        error=LOST,
    )


def _give_up_after_lost_attempts(callback, attempt, now):
    error = f"{LOST}; gave up after {callback.attempt_count} attempts"
    won = Callback.objects.filter(
        pk=callback.pk, attempt_count=attempt - 1, state__in=[State.PENDING, State.DELIVERING]
    ).update(state=State.DEAD, lease_token=None, lease_expires_at=None, last_error=error,
             updated_at=now)  # fmt: skip
    if won:
        if callback.state == State.DELIVERING:
            _note_lost_attempt(callback, now, Outcome.FAILED)
        dead_letter(callback.pk, callback.attempt_count, error)


def dead_letter(callback_id, attempt, reason):
    """Copy a dead callback's message to the DLQ and note it; the sweeper retries a failure."""
    try:
        outbox.dead_letter(callback_id, attempt, reason)
    except Exception:
        logger.exception("DLQ copy of dead callback %s not sent; the sweeper retries", callback_id)
        return
    Callback.objects.filter(pk=callback_id).update(dead_lettered_at=timezone.now())


def _send_on(callback_id, attempt, delay_seconds):
    """The row is not due yet: send its message on (no queue: the sweeper will find it)."""
    if outbox.queue_configured():
        outbox.enqueue(callback_id, attempt, delay_seconds)


# ----- 2. send


_executors = {}
_executor_lock = threading.Lock()


def _executor(size):
    """One thread pool per size, kept for the life of the environment (warm invocations)."""
    with _executor_lock:
        if size not in _executors:
            _executors[size] = ThreadPoolExecutor(size, thread_name_prefix="callback-send")
        return _executors[size]


def _send_all(jobs):
    """``(job, result)`` pairs, in the order the sends finish."""
    if not jobs:
        return
    size = max(1, settings.CALLBACK["SEND_CONCURRENCY"])
    if size == 1 or len(jobs) == 1:
        for job in jobs:
            yield job, send(job)
        return
    futures = {_executor(size).submit(send, job): job for job in jobs}
    for future in as_completed(futures):
        yield futures[future], future.result()


def send(job):
    """One signed POST; never raises (every failure is a Result for the audit trail)."""
    started = timezone.now()
    try:
        return _send(job, started)
    except Exception as exc:  # a receiver must not be able to crash the batch
        logger.exception("sending attempt %d of %s failed unexpectedly", job.attempt, job.callback_id)
        return Result(RETRY, started, error=f"sender error: {type(exc).__name__}")


def _send(job, started):
    config = settings.CALLBACK
    clock = time.monotonic()

    def elapsed():
        return int((time.monotonic() - clock) * 1000)

    try:
        dest = ssrf.destination(job.url)
    except ssrf.RefusedURL as exc:
        return Result(PERMANENT, started, error=f"refused: {exc}", contacted=False)
    except OSError as exc:  # DNS: the receiver cannot be reached, as far as we can tell
        return Result(RETRY, started, latency_ms=elapsed(), error=str(exc), unhealthy=True)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.headers(job.secret, job.webhook_id, started, job.body.decode()),
    }
    try:
        reply = transport.post(
            dest,
            job.body,
            headers,
            connect_timeout=config["CONNECT_TIMEOUT_SECONDS"],
            read_timeout=config["READ_TIMEOUT_SECONDS"],
            max_bytes=config["MAX_REPLY_BYTES"],
            maxsize=max(1, config["SEND_CONCURRENCY"]),
        )
    except transport.TransportError as exc:
        return Result(RETRY, started, latency_ms=elapsed(), error=str(exc), unhealthy=True)
    return _classify(reply, started, elapsed())


def _classify(reply, started, latency_ms):
    status = reply.status
    snippet = reply.body.decode("utf-8", "replace")[: settings.CALLBACK["SNIPPET_CHARS"]]
    common = {"status": status, "latency_ms": latency_ms, "snippet": snippet}
    if 200 <= status < 300:
        return Result(DELIVERED, started, **common)
    if 300 <= status < 400:
        location = reply.headers.get("Location", "")[:300]
        error = f"redirect ({status}) to {location!r} not followed"
        return Result(PERMANENT, started, error=error, **common)
    if status >= 500 or status in RETRYABLE_4XX or status < 200:
        retry_after = backoff.parse_retry_after(reply.headers.get("Retry-After"))  # any case
        return Result(
            RETRY,
            started,
            error=f"HTTP {status}",
            retry_after=retry_after,
            unhealthy=status >= 500 or status in UNHEALTHY_4XX,
            **common,
        )
    return Result(PERMANENT, started, error=f"HTTP {status}: refused for good", **common)


# ----- 3. record


def _record(job, result):
    config = settings.CALLBACK
    now = timezone.now()
    follow_up = None
    with transaction.atomic():
        fields = {"lease_token": None, "lease_expires_at": None}
        next_at = None
        if result.kind == DELIVERED:
            fields.update(state=State.DELIVERED, delivered_at=now, last_error="")
            outcome = Outcome.DELIVERED
        elif result.kind == RETRY and job.attempt < job.max_attempts:
            wait = backoff.delay(
                job.attempt,
                config["BACKOFF_BASE_SECONDS"],
                config["BACKOFF_CAP_SECONDS"],
                result.retry_after,
            )
            next_at = now + timedelta(seconds=wait)
            fields.update(state=State.PENDING, next_attempt_at=next_at, last_error=result.error)
            outcome = Outcome.RETRY
            follow_up = ("retry", wait)
        else:
            if result.kind == RETRY:
                error = f"{result.error}; gave up after {job.attempt} attempts"
            else:
                error = result.error
            fields.update(state=State.DEAD, last_error=error)
            outcome = Outcome.FAILED
            follow_up = ("dead", error)
        won = Callback.objects.filter(
            pk=job.callback_id, lease_token=job.token, state=State.DELIVERING
        ).update(updated_at=now, **fields)
        if not won:
            logger.warning(
                "attempt %d of %s finished after its lease; another worker owns it",
                job.attempt, job.callback_id,
            )  # fmt: skip
            outcome, follow_up, next_at = Outcome.SUPERSEDED, None, None
        Attempt.objects.create(
            callback_id=job.callback_id,
            number=job.attempt,
            started_at=result.started_at,
            outcome=outcome,
            status_code=result.status,
            latency_ms=result.latency_ms,
            error=result.error,
            response_snippet=result.snippet,
            next_attempt_at=next_at,
        )
        if result.contacted:
            # Any answer (2xx, 4xx, 429) says the receiver is alive; 5xx, 408,
            # timeouts and unreachable ones count towards opening the circuit.
            breaker.record(job.origin, now, failed=result.unhealthy)
    if follow_up is not None:
        _follow_up(job, *follow_up)


def _follow_up(job, what, detail):
    """After commit: the next attempt's message, or the DLQ copy. A failure here is
    logged, not raised: the row already says what happens next, and the sweeper
    re-enqueues a pending row whose message went missing, or a missing DLQ copy."""
    if what == "dead":
        dead_letter(job.callback_id, job.attempt, detail)
        return
    try:
        _send_on(job.callback_id, job.attempt + 1, detail)
    except Exception:
        logger.exception("retry message for callback %s not sent; the sweeper will", job.callback_id)
