"""Database credentials from Secrets Manager, read through Powertools Parameters.

Powertools keeps the value for ``max_age`` seconds, so a warm environment does
not call Secrets Manager per connection; ``refresh=True`` skips that cache,
which the backend does once after an authentication failure (a rotation).
Imported on the first connection only: it loads boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django_lambda_bridge.errors import DatabaseCredentialsError


@dataclass(frozen=True, repr=False)
class SecretCredentials:
    username: str
    password: str
    host: str = ""
    port: int | None = None

    def __repr__(self) -> str:  # never the password, in a traceback or a log
        return f"SecretCredentials(username={self.username!r}, host={self.host!r})"


def read_secret(secret_id: str, *, max_age: int, refresh: bool = False) -> SecretCredentials:
    from aws_lambda_powertools.utilities import parameters

    try:
        value: Any = parameters.get_secret(
            secret_id, transform="json", max_age=max_age, force_fetch=refresh
        )
    except parameters.exceptions.TransformParameterError:
        raise DatabaseCredentialsError(
            f"The database secret {secret_id!r} is not JSON; it must hold an object with "
            "'username' and 'password', as RDS-managed secrets do."
        ) from None
    except parameters.exceptions.GetParameterError as exc:
        raise DatabaseCredentialsError(
            f"Could not read the database secret {secret_id!r}: {exc}. Check its name and "
            "that the function's role may call secretsmanager:GetSecretValue on it."
        ) from None
    return _credentials(secret_id, value)


def _credentials(secret_id: str, value: Any) -> SecretCredentials:
    if not isinstance(value, Mapping):
        raise DatabaseCredentialsError(
            f"The database secret {secret_id!r} holds a {type(value).__name__}, not an object "
            "with 'username' and 'password'."
        )
    username, password = value.get("username"), value.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise DatabaseCredentialsError(
            f"The database secret {secret_id!r} needs string 'username' and 'password' keys "
            f"(it has: {', '.join(sorted(str(k) for k in value)) or 'none'})."
        )
    host, port = value.get("host"), value.get("port")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    return SecretCredentials(
        username=username,
        password=password,
        host=host if isinstance(host, str) else "",
        port=port if isinstance(port, int) and not isinstance(port, bool) else None,
    )


def forget_secrets() -> None:
    """Drop every cached secret (after a SnapStart restore): the next connection re-reads."""
    import sys

    if "aws_lambda_powertools.utilities.parameters" in sys.modules:
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()  # type: ignore[no-untyped-call]
