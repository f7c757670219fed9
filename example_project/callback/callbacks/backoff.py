"""When to try again: exponential backoff with full jitter, and the receiver's Retry-After.

Full jitter (a uniform delay between 0 and the exponential ceiling) spreads the
retries of a receiver that failed many callbacks at once, so they do not all
come back in the same second. A ``Retry-After`` from the receiver is a floor.
"""

import random
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

#: The longest Retry-After we honour; a receiver cannot park a callback for days.
MAX_RETRY_AFTER_SECONDS = 6 * 3600


def ceiling(attempt, base, cap):
    """The most attempt ``attempt`` (1-based, the one that just failed) waits."""
    return min(cap, base * 2 ** (attempt - 1))


def delay(attempt, base, cap, retry_after=None, rng=random):
    """Seconds to wait before the attempt after ``attempt``."""
    seconds = rng.uniform(0, ceiling(attempt, base, cap))
    if retry_after is not None:
        seconds = max(seconds, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return seconds


def parse_retry_after(value, now=None):
    """``Retry-After`` as seconds from now (delta-seconds or an HTTP date); ``None`` if unusable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,10}", value):  # str.isdigit() also accepts "²"
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
