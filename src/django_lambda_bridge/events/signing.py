"""HMAC signatures for the event proxy view, usable without Django settings (forwarders).

The signature covers ``f"{timestamp}.{body}"`` with HMAC-SHA256 and a shared
secret, so neither the body nor the time can be changed, and a captured request
stops working after the replay window.

``verify`` accepts several secrets (the current one and the ones being retired),
so a secret can be rotated without a moment where one side's requests fail.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.crypto import constant_time_compare

from django_lambda_bridge.errors import SignatureError

TIMESTAMP_HEADER = "X-Lambda-Bridge-Timestamp"
SIGNATURE_HEADER = "X-Lambda-Bridge-Signature"
_SCHEME = "v1="

#: Shortest secret accepted, to sign or to verify: 32 characters (for example
#: ``secrets.token_urlsafe(32)``, 43 characters) keeps brute force out of reach.
MIN_SECRET_LENGTH = 32


def check_secret(secret: str) -> None:
    """Refuse a secret too short to protect the proxy; the message never shows it."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise SignatureError(
            f"the shared secret has {len(secret)} characters; at least {MIN_SECRET_LENGTH} are "
            'required. Generate one with: python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"'
        )


def signature(body: bytes, timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return _SCHEME + mac.hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers that authenticate ``body`` for the proxy view."""
    if not secret:
        raise SignatureError("Cannot sign: the shared secret is empty.")
    check_secret(secret)
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
    secrets: str | Sequence[str],
    max_age_seconds: int,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` (saying which check failed) unless the request is authentic.

    ``secrets`` is one secret or several (current first, then the ones being
    retired); a signature made with any of them is accepted.
    """
    candidates = [secrets] if isinstance(secrets, str) else list(secrets)
    if not candidates or not candidates[0]:
        raise SignatureError("the proxy is disabled: LAMBDA_BRIDGE['PROXY_SECRET'] is not set")
    for secret in candidates:
        check_secret(secret)
    if not timestamp or not signed:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise SignatureError("the timestamp is not Unix seconds")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > max_age_seconds:
        raise SignatureError(f"the timestamp is {int(age)} s off, beyond {max_age_seconds} s")
    if not signed.isascii():
        raise SignatureError(f"the {SIGNATURE_HEADER} header is not ASCII")
    # Every candidate is compared, so the time taken does not tell which one matched.
    matched = [constant_time_compare(signature(body, timestamp, s), signed) for s in candidates]
    if not any(matched):
        raise SignatureError("the signature does not match the body and timestamp")


__all__ = [
    "MIN_SECRET_LENGTH",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "check_secret",
    "sign",
    "sign_event",
    "verify",
]
