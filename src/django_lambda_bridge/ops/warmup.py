"""Answer warm-up pings at once, without touching the database or user code.

A warm-up rule exists only to keep a container initialised, so the reply must
cost nothing and must not have side effects: no connection is opened, no view,
router or signal runs. The reply says whether the ping found the container
cold, which is what an operator tuning the rule wants to know.
"""

from __future__ import annotations

import time
from typing import Any

from django_lambda_bridge.kinds import WARM_UP_MARKER

#: The whole constant Input of a warm-up schedule rule; see docs/operations.md.
WARM_UP_EVENT: dict[str, Any] = {WARM_UP_MARKER: True}


class ContainerState:
    """What this process (one Lambda execution environment) has done since init."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.invocations = 0

    def note_invocation(self) -> None:
        self.invocations += 1

    def age_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def reset(self) -> None:
        """Start over, as a new execution environment would (for tests)."""
        self.started = time.monotonic()
        self.invocations = 0


#: One per process, created during the init phase when ``handler.py`` imports us.
container = ContainerState()


def warm_up_reply() -> dict[str, Any]:
    """The reply to a warm-up ping: proof of life, and whether the ping found it cold.

    ``cold_start`` is true when the ping is the container's first invocation,
    which means the rule is what started it (the handler counts every invocation).
    """
    return {
        "warm": True,
        "cold_start": container.invocations <= 1,
        "container_age_ms": container.age_ms(),
        "invocations": container.invocations,
    }
