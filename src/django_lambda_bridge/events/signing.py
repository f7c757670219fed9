"""HMAC signatures for the event proxy view, usable without Django (forwarders, pollers).

The signature covers ``f"{timestamp}.{body}"`` with HMAC-SHA256 and a shared
secret, so neither the body nor the time can be changed, and a captured request
stops working after the replay window.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from django_lambda_bridge.errors import SignatureError

TIMESTAMP_HEADER = "X-Lambda-Bridge-Timestamp"
SIGNATURE_HEADER = "X-Lambda-Bridge-Signature"
_SCHEME = "v1="


def signature(body: bytes, timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return _SCHEME + mac.hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers that authenticate ``body`` for the proxy view."""
    if not secret:
        raise SignatureError("Cannot sign: the shared secret is empty.")
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(body, stamp, secret)}


def sign_event(
    event: Mapping[str, Any], secret: str, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers to POST ``event`` to the proxy view.

    >>> body, headers = sign_event({"invoke": "reindex"}, secret)
    >>> requests.post(url, data=body, headers=headers)
    """
    body = json.dumps({"event": event}, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", **sign(body, secret, timestamp)}
    return body, headers


def verify(
    body: bytes,
    timestamp: str | None,
    signed: str | None,
    secret: str,
    max_age_seconds: int,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` (saying which check failed) unless the request is authentic."""
    if not secret:
        raise SignatureError("the proxy is disabled: LAMBDA_BRIDGE['PROXY_SECRET'] is not set")
    if not timestamp or not signed:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise SignatureError("the timestamp is not Unix seconds")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > max_age_seconds:
        raise SignatureError(f"the timestamp is {int(age)} s off, beyond {max_age_seconds} s")
    if not hmac.compare_digest(signature(body, timestamp, secret), signed):
        raise SignatureError("the signature does not match the body and timestamp")


__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign", "sign_event", "verify"]
