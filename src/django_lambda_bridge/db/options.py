"""The ``LAMBDA_BRIDGE`` key of a ``DATABASES`` entry that uses our PostgreSQL backend."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

#: How long a fetched secret is trusted before it is read again; a rotation is noticed
#: sooner, by the first authentication failure (see ``backends.postgresql``).
DEFAULT_SECRET_MAX_AGE = 900
#: TLS modes that refuse a plain connection: RDS IAM tokens must never travel in clear.
SSL_REQUIRED_MODES = ("require", "verify-ca", "verify-full")
_KEYS = ("SECRET_ID", "SECRET_MAX_AGE", "IAM_AUTH", "REGION", "RDS_PROXY")


@dataclass(frozen=True)
class DatabaseOptions:
    #: Secrets Manager secret (name or ARN) with ``username`` and ``password`` (and
    #: optionally ``host`` and ``port``), as RDS-managed secrets have.
    SECRET_ID: str = ""
    SECRET_MAX_AGE: int = DEFAULT_SECRET_MAX_AGE
    #: Connect with an RDS IAM authentication token instead of a password.
    IAM_AUTH: bool = False
    #: Region for IAM tokens; empty: ``AWS_REGION`` (set by Lambda).
    REGION: str = ""
    #: Whether ``HOST`` is an RDS Proxy (warns about pinning); None: from the host name.
    RDS_PROXY: bool | None = None

    @property
    def region(self) -> str:
        env = os.environ
        return self.REGION or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", "")


def database_options(alias: str, settings_dict: Mapping[str, Any]) -> DatabaseOptions:
    """Read and check the options, so a typo fails at the first connection with a clear error."""
    raw = settings_dict.get("LAMBDA_BRIDGE") or {}
    where = f"DATABASES[{alias!r}]['LAMBDA_BRIDGE']"
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{where} must be a dict, got {type(raw).__name__}.")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise ImproperlyConfigured(
            f"Unknown key(s) in {where}: {', '.join(unknown)}. Valid keys: {', '.join(_KEYS)}."
        )
    options = DatabaseOptions(**raw)
    if not isinstance(options.SECRET_ID, str) or not isinstance(options.REGION, str):
        raise ImproperlyConfigured(f"{where}: SECRET_ID and REGION must be strings.")
    if not isinstance(options.IAM_AUTH, bool) or options.RDS_PROXY not in (None, True, False):
        raise ImproperlyConfigured(f"{where}: IAM_AUTH and RDS_PROXY must be True or False.")
    max_age = options.SECRET_MAX_AGE
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise ImproperlyConfigured(f"{where}['SECRET_MAX_AGE'] must be an int of 0 or more.")
    if (options.IAM_AUTH or options.SECRET_ID) and (settings_dict.get("OPTIONS") or {}).get("pool"):
        raise ImproperlyConfigured(
            f"DATABASES[{alias!r}]: OPTIONS['pool'] opens its connections with the credentials "
            "it was built with, so a rotated password or an expired IAM token would break it. "
            "Leave pooling off on Lambda (one connection per environment, CONN_MAX_AGE)."
        )
    if options.SECRET_ID and settings_dict.get("NAME") == "":
        raise ImproperlyConfigured(
            f"DATABASES[{alias!r}] with SECRET_ID needs NAME (the database name), as any "
            "PostgreSQL entry does; the secret supplies the user and password."
        )
    if options.IAM_AUTH and options.SECRET_ID:
        raise ImproperlyConfigured(
            f"{where} sets both IAM_AUTH and SECRET_ID: a connection authenticates with an "
            "IAM token or with the secret's password, not both. Keep one."
        )
    if options.IAM_AUTH:
        if not options.region:
            raise ImproperlyConfigured(
                f"{where}['IAM_AUTH'] needs a region: set REGION, or AWS_REGION (Lambda sets it)."
            )
        if not settings_dict.get("USER") or not settings_dict.get("HOST"):
            raise ImproperlyConfigured(
                f"DATABASES[{alias!r}] with IAM_AUTH needs USER and HOST: the token is signed "
                "for that user on that host."
            )
        sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode", "require")
        if sslmode not in SSL_REQUIRED_MODES:
            raise ImproperlyConfigured(
                f"DATABASES[{alias!r}]['OPTIONS']['sslmode'] is {sslmode!r}, but an IAM token "
                f"must only travel over TLS: use one of {', '.join(SSL_REQUIRED_MODES)} "
                "(the default here is 'require')."
            )
    return options


def is_proxy_host(host: str) -> bool:
    """RDS Proxy endpoints are named ``<name>.proxy-<id>.<region>.rds.amazonaws.com``."""
    return ".proxy-" in host and host.endswith(".rds.amazonaws.com")


def behind_proxy(settings_dict: Mapping[str, Any]) -> bool:
    """``RDS_PROXY`` when set, else judged from ``HOST`` (also for unchecked entries)."""
    raw = settings_dict.get("LAMBDA_BRIDGE")
    proxy = raw.get("RDS_PROXY") if isinstance(raw, Mapping) else None
    if proxy is None:
        return is_proxy_host(str(settings_dict.get("HOST") or ""))
    return bool(proxy)
