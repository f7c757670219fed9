"""The message life cycle: which state may follow which, in one table.

Views and the worker both go through ``allowed()``, so an illegal step is
refused the same way wherever it comes from (a 409 problem for API callers).
"""

from django.db import models


class State(models.TextChoices):
    RECEIVED = "received"
    VALIDATED = "validated"
    ROUTED = "routed"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    FAILED = "failed"


TRANSITIONS = {
    State.RECEIVED: {State.VALIDATED, State.REJECTED, State.FAILED},
    State.VALIDATED: {State.ROUTED, State.REJECTED, State.FAILED},
    State.ROUTED: {State.DELIVERED, State.FAILED},
    State.DELIVERED: {State.ACKNOWLEDGED, State.REJECTED},
    State.ACKNOWLEDGED: set(),
    State.REJECTED: set(),
    State.FAILED: set(),
}

TERMINAL = frozenset(state for state, nexts in TRANSITIONS.items() if not nexts)


def allowed(current, target):
    return State(target) in TRANSITIONS[State(current)]


def next_states(current):
    return sorted(TRANSITIONS[State(current)])


class IllegalTransition(Exception):
    """A step the state machine does not allow; the API answers 409."""

    def __init__(self, current, target):
        self.current = str(current)
        self.target = str(target)
        super().__init__(f"A message in state '{self.current}' cannot become '{self.target}'.")
