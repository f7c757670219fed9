"""Which function an API's request goes to, by the template's paths and methods.

API Gateway picks the most specific route: a literal path beats one with
``{param}`` segments, which beats a greedy ``{proxy+}``; a route for the method
beats ``ANY``. No match is the gateway's own 404 (HTTP API) or 403 (REST API),
and the function is never called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    function: str
    path: str
    method: str

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("ANY", method.upper()):
            return False
        wanted = [s for s in self.path.split("/") if s]
        given = [s for s in path.split("?", 1)[0].split("/") if s]
        for i, segment in enumerate(wanted):
            if segment.startswith("{") and segment.endswith("+}"):
                return len(given) > i  # a greedy segment needs at least one more
            if i >= len(given):
                return False
            if not (segment.startswith("{") and segment.endswith("}")) and segment != given[i]:
                return False
        return len(given) == len(wanted)

    def specificity(self) -> tuple[int, int, int, int]:
        segments = [s for s in self.path.split("/") if s]
        greedy = any(s.endswith("+}") for s in segments)
        params = sum(s.startswith("{") for s in segments)
        return (int(greedy), params, -len(segments), int(self.method == "ANY"))


def pick(targets: Iterable[Target], method: str, path: str) -> Target | None:
    """The route API Gateway would choose for ``method path``, or ``None``."""
    found = [t for t in targets if t.matches(method, path)]
    return min(found, key=Target.specificity) if found else None
