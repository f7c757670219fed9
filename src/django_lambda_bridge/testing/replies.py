"""Read a handler's HTTP reply back into status, header pairs and body bytes."""

from __future__ import annotations

from base64 import b64decode
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DecodedReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """Last value of a header, case-insensitively."""
        values = self.all(name)
        return values[-1] if values else None

    def all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v for k, v in self.headers if k.lower() == lowered]


def decode_reply(reply: dict[str, Any]) -> DecodedReply:
    """Undo any reply format: v1/ALB ``multiValueHeaders`` or ``headers``, v2 ``cookies``."""
    headers: list[tuple[str, str]] = []
    for name, values in (reply.get("multiValueHeaders") or {}).items():
        headers.extend((name, v) for v in values)
    for name, value in (reply.get("headers") or {}).items():
        headers.append((name, value))
    for cookie in reply.get("cookies") or []:
        headers.append(("Set-Cookie", cookie))
    body = reply.get("body") or ""
    raw = b64decode(body) if reply.get("isBase64Encoded") else body.encode("utf-8")
    return DecodedReply(int(reply["statusCode"]), headers, raw)
