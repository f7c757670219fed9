"""Database connection hygiene for work that does not come through Django's request cycle.

Django closes stale connections on ``request_started``/``request_finished``.
Queue records, schedules and direct invocations fire neither signal, so without
this a connection killed while the container was frozen, or left in a broken
transaction by a failed record, would fail every record after it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections

logger = logging.getLogger("django_lambda_bridge.db")


def close_old_connections() -> None:
    """Django's ``close_old_connections``, minus connections inside ``atomic``.

    So ``CONN_MAX_AGE`` and ``CONN_HEALTH_CHECKS`` behave exactly as on the HTTP
    path. A connection inside a transaction belongs to whoever opened it (a
    test case, or the proxy view's caller), and closing it would break that.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def reset_after_failure() -> None:
    """Make sure the next record starts on a clean connection after one failed.

    Django only re-checks a connection after errors it saw, and not after a
    ``DataError`` or ``IntegrityError``; a failed record may also have left a
    transaction open with raw SQL. So every open connection outside ``atomic``
    is probed, and closed (to reconnect on next use) unless it is healthy.
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is None or conn.in_atomic_block:
            continue
        try:
            healthy = conn.get_autocommit() == conn.settings_dict["AUTOCOMMIT"] and (
                conn.is_usable()
            )
        except DatabaseError:
            healthy = False
        if healthy:
            conn.errors_occurred = False
            continue
        logger.info("Closing database connection %r after a failed record", conn.alias)
        try:
            conn.close()
        except DatabaseError:
            conn.connection = None  # already broken; forget it so the next use reconnects


@contextmanager
def hygiene() -> Iterator[None]:
    """Around one invocation's work (a whole event or a whole batch, not each record):
    stale connections closed before and after, reset on failure.

    Once per batch, so a batch under ``CONN_MAX_AGE=0`` opens one connection, not
    one per record; ``reset_on_failure`` guards each record inside it.
    """
    close_old_connections()
    try:
        yield
    except BaseException:
        reset_after_failure()
        raise
    finally:
        close_old_connections()


@contextmanager
def reset_on_failure() -> Iterator[None]:
    """Around one record of a batch: a failed record leaves no broken connection behind."""
    try:
        yield
    except BaseException:
        reset_after_failure()
        raise
