"""RDS IAM authentication tokens, made by boto3 and reused until shortly before expiry.

A token is a presigned request, valid 15 minutes, checked by RDS only when a
connection opens, so an open connection outlives it. Each new connection gets
a token at most ``TOKEN_REUSE_SECONDS`` old; making one signs locally (no
network call) but the first needs a boto3 client, so both are cached.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django_lambda_bridge.errors import DatabaseCredentialsError

#: RDS tokens last 900 s; one is not handed out in its last minute, which covers
#: clock skew and a slow connect.
TOKEN_LIFETIME_SECONDS = 900
TOKEN_REUSE_SECONDS = TOKEN_LIFETIME_SECONDS - 60

#: Wall-clock seconds, as token expiry is (a frozen environment's monotonic clock may
#: not have advanced); tests move it forward.
clock = time.time

_lock = threading.Lock()
_tokens: dict[tuple[str, int, str, str], tuple[str, float]] = {}
_clients: dict[str, Any] = {}


def auth_token(host: str, port: int, user: str, region: str, *, refresh: bool = False) -> str:
    key = (host, port, user, region)
    now = clock()
    with _lock:
        cached = _tokens.get(key)
        if cached is not None and not refresh and now - cached[1] < TOKEN_REUSE_SECONDS:
            return cached[0]
        try:
            token: str = _client(region).generate_db_auth_token(
                DBHostname=host, Port=port, DBUsername=user, Region=region
            )
        except Exception as exc:  # botocore's NoCredentialsError and kin
            raise DatabaseCredentialsError(
                f"Could not make an RDS IAM token for {user!r} on {host}:{port}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        _tokens[key] = (token, now)
        return token


def _client(region: str) -> Any:
    client = _clients.get(region)
    if client is None:
        import boto3  # type: ignore[import-untyped, unused-ignore]

        client = _clients[region] = boto3.client("rds", region_name=region)
    return client


def forget_tokens() -> None:
    """Drop tokens and clients (after a SnapStart restore: new credentials, new sockets)."""
    with _lock:
        _tokens.clear()
        _clients.clear()
