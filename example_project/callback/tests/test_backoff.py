"""The retry schedule: exponential ceilings, full jitter, Retry-After as a floor."""

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from callbacks import backoff


def test_ceilings_double_up_to_the_cap():
    assert [backoff.ceiling(n, 30, 3600) for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600
    ]  # fmt: skip


def test_full_jitter_spreads_delays_over_the_whole_range():
    rng = random.Random(7)
    delays = [backoff.delay(4, 30, 3600, rng=rng) for _ in range(2000)]
    assert min(delays) >= 0 and max(delays) <= 240
    assert min(delays) < 24 and max(delays) > 216  # not clustered at the ceiling
    assert 100 < sum(delays) / len(delays) < 140  # uniform: the mean is half the ceiling


def test_retry_after_is_a_floor_with_a_cap():
    rng = random.Random(1)
    assert backoff.delay(1, 30, 3600, retry_after=600, rng=rng) >= 600
    assert backoff.delay(1, 30, 3600, retry_after=10**9, rng=rng) == backoff.MAX_RETRY_AFTER_SECONDS


def test_parse_retry_after():
    now = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    assert backoff.parse_retry_after("120") == 120.0
    assert backoff.parse_retry_after(format_datetime(now + timedelta(minutes=5), usegmt=True),
                                     now) == 300.0  # fmt: skip
    assert backoff.parse_retry_after(format_datetime(now - timedelta(minutes=5), usegmt=True),
                                     now) == 0.0  # fmt: skip


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3"])
def test_unusable_retry_after_is_ignored(value):
    assert backoff.parse_retry_after(value) is None
