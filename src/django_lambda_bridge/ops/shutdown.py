"""SIGTERM: the environment is going away; leave nothing half-open behind.

Lambda sends SIGTERM to the runtime before shutting an environment down
only when an extension is registered (Lambda Insights, a telemetry layer),
and then allows about 500 ms. The server is told the connection is closing
(rather than finding a dead socket later), and metrics still pending are
written.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

logger = logging.getLogger("django_lambda_bridge.ops")


def install_sigterm_handler(flush: Callable[[], None]) -> bool:
    """Chain to a handler installed before ours; without one, exit 0 as Lambda expects."""
    if threading.current_thread() is not threading.main_thread():
        return False  # signal handlers can only be set from the main thread
    previous = signal.getsignal(signal.SIGTERM)
    # A second handler in one process (a test suite) replaces ours rather than chaining.
    previous = getattr(previous, "chained", previous)

    def on_sigterm(signum: int, frame: FrameType | None) -> Any:
        shut_down(flush)
        if callable(previous):
            return previous(signum, frame)
        sys.exit(0)

    on_sigterm.chained = previous  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, on_sigterm)
    return True


def shut_down(flush: Callable[[], None]) -> None:
    from django.db import connections

    logger.info("SIGTERM: closing database connections and flushing metrics")
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # the others still get closed
            logger.warning("Could not close database connection %r", conn.alias, exc_info=True)
    try:
        flush()
    except Exception:
        logger.warning("Could not flush metrics at shutdown", exc_info=True)
    for handler in logging.getLogger().handlers:
        handler.flush()
