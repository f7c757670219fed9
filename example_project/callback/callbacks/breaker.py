"""A circuit breaker per target origin, kept in the database so every sender sees it.

``BREAKER_THRESHOLD`` retryable failures in a row open the circuit for
``BREAKER_COOLDOWN_SECONDS``: callbacks to that origin are not sent (and not
counted as attempts) until then. After the cooldown one sender wins a
conditional update and sends a probe; its success closes the circuit and its
failure opens it again. Every change is one UPDATE with a condition, so racing
Lambdas cannot both take the probe or lose a count.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F

from callbacks.models import Target


def _config():
    config = settings.CALLBACK
    return config["BREAKER_THRESHOLD"], timedelta(seconds=config["BREAKER_COOLDOWN_SECONDS"])


def blocked_until(origin, now):
    """``None`` if a callback to ``origin`` may be sent now, else when to try again."""
    threshold, cooldown = _config()
    target = Target.objects.filter(origin=origin).first()
    if target is None or target.consecutive_failures < threshold:
        return None
    if target.opened_until is not None and target.opened_until > now:
        return target.opened_until
    # Half-open: the first sender to move opened_until on sends the probe.
    won = Target.objects.filter(pk=target.pk, opened_until=target.opened_until).update(
        opened_until=now + cooldown
    )
    return None if won else now + cooldown


def record(origin, now, *, failed):
    """Count a retryable failure (``failed=True``) or reset the count on a success."""
    if not failed:
        Target.objects.filter(origin=origin).exclude(consecutive_failures=0).update(
            consecutive_failures=0, opened_until=None
        )
        return
    threshold, cooldown = _config()
    target, _ = Target.objects.get_or_create(origin=origin)
    Target.objects.filter(pk=target.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now
    )
    Target.objects.filter(pk=target.pk, consecutive_failures__gte=threshold).update(
        opened_until=now + cooldown
    )
