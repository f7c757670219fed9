"""The batch deadline margin, and whether a configuration leaves room for a whole batch.

Kept apart from ``batch`` (which loads Powertools) so the init phase and
``manage.py check`` can use it cheaply.
"""

from __future__ import annotations

import os

from django_lambda_bridge.conf import BridgeSettings

#: Set by the deployment template to the function's timeout, in seconds: Lambda
#: shows the timeout only through the context, at the first invocation.
TIMEOUT_ENV = "LAMBDA_BRIDGE_FUNCTION_TIMEOUT"


def effective_margin_ms(margin_ms: int, fraction: float, start_ms: int) -> int:
    """The margin used for a batch that starts with ``start_ms`` left.

    The smaller of the setting and ``fraction`` of the starting time: a 10 s
    margin under a 6 s timeout would otherwise run one record per batch.
    """
    return min(margin_ms, int(start_ms * fraction))


def function_timeout_ms(conf: BridgeSettings) -> int | None:
    """The function timeout: ``FUNCTION_TIMEOUT_SECONDS``, else the environment, else unknown."""
    seconds: int | None = conf.FUNCTION_TIMEOUT_SECONDS
    if seconds is None:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if raw.isdigit() and 0 < int(raw) <= 900:
            seconds = int(raw)
    return None if seconds is None else seconds * 1000


def full_batch_problem(conf: BridgeSettings) -> str | None:
    """Why no batch can ever run past its first record, or ``None`` if one can."""
    timeout = function_timeout_ms(conf)
    if timeout is None:
        return None
    margin = effective_margin_ms(conf.DEADLINE_MARGIN_MS, conf.DEADLINE_MARGIN_FRACTION, timeout)
    if margin < timeout:
        return None
    return (
        f"The deadline margin ({margin} ms: DEADLINE_MARGIN_MS={conf.DEADLINE_MARGIN_MS} "
        f"capped at DEADLINE_MARGIN_FRACTION={conf.DEADLINE_MARGIN_FRACTION} of the "
        f"{timeout} ms function timeout) is not less than the timeout, so every batch runs "
        "its first record only and reports the rest failed; each such skip costs a message "
        "one receive, and with a redrive policy untried messages reach the dead-letter queue."
    )


def unreadable_timeout(conf: BridgeSettings) -> str | None:
    """A timeout variable that is set but unusable, so the check above cannot run."""
    raw = os.environ.get(TIMEOUT_ENV)
    if conf.FUNCTION_TIMEOUT_SECONDS is not None or raw is None:
        return None
    if raw.strip().isdigit() and 0 < int(raw.strip()) <= 900:
        return None
    return f"{TIMEOUT_ENV}={raw!r} is not a whole number of seconds from 1 to 900."
