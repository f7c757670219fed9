"""Check that the Lambda reply says what Django said in-process.

``LambdaAPIClient`` keeps DRF's pre-render ``data`` from the in-process
response, so a suite that asserts only on ``.data`` would never look at the
wire. Every request therefore compares the reply's status, headers and body
bytes with the response Django produced inside the handler; a difference that
is not one AWS always makes fails the test with a ``ContractDifference``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie

from django.http.response import HttpResponseBase

from django_lambda_bridge.testing.replies import DecodedReply

#: Reply headers compared with no value: the gateway recomputes Content-Length.
IGNORED_HEADERS = frozenset({"content-length"})

_COMMA = re.compile(r"\s*,\s*")


class ContractDifference(AssertionError):
    """The Lambda reply differs from Django's in-process response in what a client sees."""

    def __init__(self, differences: list[str], method: str, path: str) -> None:
        self.differences = differences
        lines = "\n".join(f"  - {d}" for d in differences)
        super().__init__(
            f"The Lambda reply to {method} {path} differs from the response Django produced "
            f"in-process (so .data and the wire disagree):\n{lines}"
        )


def _cookies(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        jar = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            jar = SimpleCookie()
        morsels = [m.OutputString() for m in jar.values()]
        out.extend(morsels or [value.strip()])
    return sorted(out)


def _grouped(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header values by lower-cased name, repeats joined: case and joins are the source's."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value.strip())
    return {name: _COMMA.sub(",", ",".join(values)) for name, values in grouped.items()}


def _is_bridge_reply(reply: DecodedReply) -> bool:
    """The size guard's 502 problem document, which replaces a reply AWS would refuse."""
    if reply.status != 502 or reply.header("Content-Type") != "application/problem+json":
        return False
    try:
        return "limit_bytes" in json.loads(reply.body)
    except ValueError:
        return False


def _first_difference(ours: bytes, theirs: bytes) -> str:
    index = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
        min(len(ours), len(theirs)),
    )
    return (
        f"body: Django sent {len(ours)} bytes, the reply carries {len(theirs)}; they differ "
        f"from byte {index} (Django {ours[index : index + 16]!r}, "
        f"reply {theirs[index : index + 16]!r})"
    )


def differences(reply: DecodedReply, django: HttpResponseBase, method: str) -> list[str]:
    """What a client would see differently; empty when only expected differences remain.

    Expected (and not reported): header name case, how repeated headers are
    joined, Set-Cookie formatting, ``Content-Length``, the ``X-Request-ID`` the bridge
    adds (``REQUEST_ID_HEADER``), the empty body of a HEAD
    reply, and the size guard's 502 in place of a reply AWS would refuse.
    Streaming bodies (``FileResponse``) were consumed by the handler, so only
    their status and headers are compared.
    """
    if _is_bridge_reply(reply) and django.status_code != 502:
        return []
    found: list[str] = []
    if reply.status != django.status_code:
        found.append(f"status: Django answered {django.status_code}, the reply says {reply.status}")
    theirs = [(n, v) for n, v in reply.headers if n.lower() != "set-cookie"]
    from django_lambda_bridge.conf import get_settings

    # The bridge's correlation id is added on the way out: a header by design, not a drift.
    added = get_settings().REQUEST_ID_HEADER.lower()
    ours_grouped = _grouped(django.items())
    theirs_grouped = _grouped(theirs)
    for name in sorted(set(ours_grouped) | set(theirs_grouped)):
        if name in IGNORED_HEADERS:
            continue
        mine, other = ours_grouped.get(name), theirs_grouped.get(name)
        if mine == other:
            continue
        if mine is None and name == added:
            continue
        if mine is None:
            found.append(f"header {name!r}: Django did not send it, the reply adds {other!r}")
        elif other is None:
            found.append(f"header {name!r}: Django sent {mine!r}, the reply lacks it")
        else:
            found.append(f"header {name!r}: Django sent {mine!r}, the reply carries {other!r}")
    ours_cookies = _cookies(c.output(header="") for c in django.cookies.values())
    theirs_cookies = _cookies(reply.all("Set-Cookie"))
    if ours_cookies != theirs_cookies:
        found.append(f"Set-Cookie: Django sent {ours_cookies!r}, the reply {theirs_cookies!r}")
    if method != "HEAD" and not django.streaming:
        content = django.content  # type: ignore[attr-defined]
        if content != reply.body:
            found.append(_first_difference(content, reply.body))
    return found


def check_contract(
    reply: DecodedReply, django: HttpResponseBase | None, method: str, path: str
) -> None:
    """Raise ``ContractDifference`` unless the reply says what Django said.

    ``django`` is ``None`` when Django never answered (a malformed event's 400):
    there is nothing to compare.
    """
    if django is None:
        return
    found = differences(reply, django, method)
    if found:
        raise ContractDifference(found, method, path)
