"""Django's PostgreSQL backend, with credentials fetched per connection and fewer pins.

``ENGINE = "django_lambda_bridge.db.backends.postgresql"`` and a ``LAMBDA_BRIDGE``
key in the database entry (see ``db.options``):

- ``SECRET_ID``: user and password (and host and port, where the entry leaves
  them empty) come from that Secrets Manager secret, cached; when the server
  refuses the password, the secret is read again once and the connect retried,
  so a rotation costs one failed attempt, not an error.
- ``IAM_AUTH``: the password is an RDS IAM token made for each new connection
  (reused for at most 14 of its 15 minutes), over TLS only.

Everything else is Django's backend: settings, pooling, health checks.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.backends.postgresql import base
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables

from django_lambda_bridge.db import iam
from django_lambda_bridge.db.options import DatabaseOptions, behind_proxy, database_options
from django_lambda_bridge.db.pinning import equivalent_time_zones, report_pins

logger = logging.getLogger("django_lambda_bridge.db")

#: SQLSTATE 28P01 invalid_password, 28000 invalid_authorization_specification.
_AUTH_SQLSTATES = frozenset({"28P01", "28000"})
#: psycopg2 gives no SQLSTATE for errors while connecting; the server's words, then.
_AUTH_MESSAGES = ("password authentication failed", "PAM authentication failed")


def is_auth_failure(exc: BaseException) -> bool:
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return state in _AUTH_SQLSTATES or any(m in str(exc) for m in _AUTH_MESSAGES)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict: dict[str, Any], alias: str = "default") -> None:
        super().__init__(settings_dict, alias)
        self.bridge_options: DatabaseOptions = database_options(alias, settings_dict)
        self.behind_proxy = behind_proxy(settings_dict)

    @property
    def refreshes_credentials(self) -> bool:
        return bool(self.bridge_options.SECRET_ID or self.bridge_options.IAM_AUTH)

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        return self.with_credentials(params, refresh=False)

    @method_decorator(sensitive_variables("params", "secret"))
    def with_credentials(self, params: dict[str, Any], *, refresh: bool) -> dict[str, Any]:
        options = self.bridge_options
        if options.SECRET_ID:
            from django_lambda_bridge.db.secret import read_secret

            secret = read_secret(options.SECRET_ID, max_age=options.SECRET_MAX_AGE, refresh=refresh)
            params["user"], params["password"] = secret.username, secret.password
            if secret.host and not self.settings_dict.get("HOST"):
                params["host"] = secret.host
            if secret.port and not self.settings_dict.get("PORT"):
                params["port"] = secret.port
        elif options.IAM_AUTH:
            params.setdefault("sslmode", "require")
            port = int(self.settings_dict.get("PORT") or 5432)
            params["password"] = iam.auth_token(
                self.settings_dict["HOST"],
                port,
                self.settings_dict["USER"],
                options.region,
                refresh=refresh,
            )
        return params

    @method_decorator(sensitive_variables("conn_params", "fresh"))  # not in error reports
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            return super().get_new_connection(conn_params)
        except self.Database.OperationalError as exc:
            if not self.refreshes_credentials or not is_auth_failure(exc):
                raise
            what = "IAM token" if self.bridge_options.IAM_AUTH else "secret"
            logger.warning(
                "Database %r refused the credentials; reading the %s again and retrying "
                "once (a rotation)",
                self.alias,
                what,
            )
            fresh = self.with_credentials(dict(conn_params), refresh=True)
            return super().get_new_connection(fresh)

    def _configure_timezone(self, connection: Any) -> bool:
        """Django's, minus the ``SET TIME ZONE`` when the server's zone is the same one
        under another name ('Etc/UTC' for 'UTC'): that SET pins an RDS Proxy session."""
        current = connection.info.parameter_status("TimeZone")
        if self.timezone_name and equivalent_time_zones(current, self.timezone_name):
            return False
        changed: bool = super()._configure_timezone(connection)  # type: ignore[misc]
        if changed:
            report_pins(self, f"SET TIME ZONE {self.timezone_name!r} (the server has {current!r})")
        return changed

    def _configure_role(self, connection: Any) -> bool:
        changed: bool = super()._configure_role(connection)  # type: ignore[misc]
        if changed:
            report_pins(self, "SET ROLE (OPTIONS['assume_role'])")
        return changed
