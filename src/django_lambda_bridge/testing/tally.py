"""How many test client requests went through the Lambda handler, and how many did not.

The count is the proof that the switch reached the clients. Each process
counts its own requests; runners that fan out (pytest-xdist, ``manage.py test
--parallel``) add up their workers' counts with ``merge``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class Tally:
    #: Requests a Lambda client sent through the handler.
    routed: int = 0
    #: Requests Django's in-process ``ClientHandler`` served while the switch was on.
    bypassed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"routed": self.routed, "bypassed": self.bypassed}

    def merge(self, other: Tally | dict[str, Any] | None) -> None:
        if other is None:
            return
        if isinstance(other, dict):
            other = Tally(int(other.get("routed", 0)), int(other.get("bypassed", 0)))
        self.routed += other.routed
        self.bypassed += other.bypassed

    def summary(self) -> str:
        return (
            f"django-lambda-bridge: {self.routed} test client requests went through "
            "the Lambda handler"
        )

    def problems(self) -> list[str]:
        """What is wrong with a run that had the switch on; empty when nothing is."""
        found: list[str] = []
        if self.bypassed:
            found.append(
                f"WARNING: {self.bypassed} test client requests bypassed the Lambda handler "
                "and ran in-process (Django's ClientHandler) although the switch is on. "
                "Something called Django's in-process handler directly (a third-party "
                "client built on ClientHandler, or AsyncClient, which is not routed); "
                "use django.test.Client, DRF's APIClient, self.client or the client "
                "fixture for requests that must take the Lambda path."
            )
        if not self.routed:
            found.append(
                "WARNING: the switch is on, but no test client request went through the "
                "Lambda handler: it reached none of the clients this suite uses "
                "(RequestFactory, APIRequestFactory and third-party clients such as "
                "django-ninja's TestClient are never routed)."
            )
        return found


_lock = threading.Lock()
_process_tally = Tally()


def count(*, routed: int = 0, bypassed: int = 0) -> None:
    with _lock:
        _process_tally.routed += routed
        _process_tally.bypassed += bypassed


def process_tally() -> Tally:
    """A copy of this process's counts."""
    with _lock:
        return Tally(_process_tally.routed, _process_tally.bypassed)
