"""What Django does on connect that pins an RDS Proxy session, and how to tell.

RDS Proxy hands a server connection to another client after each transaction,
unless the session changed state it cannot carry over: then the client is
pinned to it until it disconnects, and the proxy stops multiplexing. On
connect Django may send ``SET TIME ZONE`` (when the server's ``TimeZone``
differs from the one Django wants: 'UTC' under ``USE_TZ``) and ``SET ROLE``
(``OPTIONS['assume_role']``); with psycopg 3, ``server_side_binding`` or a
``prepare_threshold`` make prepared statements, which pin too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger("django_lambda_bridge.db")

#: Names PostgreSQL accepts for UTC; the tz database makes them one zone.
_UTC_NAMES = frozenset(
    {"utc", "etc/utc", "uct", "etc/uct", "universal", "etc/universal", "zulu", "etc/zulu"}
)

#: ``(alias, cause)`` already reported in this process: once each, not per connection.
_reported: set[tuple[str, str]] = set()


def equivalent_time_zones(server: str | None, wanted: str) -> bool:
    if not server:
        return False
    if server == wanted:
        return True
    return server.lower() in _UTC_NAMES and wanted.lower() in _UTC_NAMES


def option_pins(options: Mapping[str, Any]) -> list[str]:
    """Connection OPTIONS that pin a proxied session on every connection."""
    causes = []
    if options.get("assume_role"):
        causes.append("OPTIONS['assume_role'] sends SET ROLE on connect")
    if options.get("server_side_binding") is True:
        causes.append("OPTIONS['server_side_binding'] makes server-side prepared statements")
    if options.get("prepare_threshold") is not None:
        causes.append("OPTIONS['prepare_threshold'] turns psycopg's prepared statements on")
    return causes


def report_pins(connection: Any, cause: str) -> None:
    """Log, once per alias and cause, a connect-time statement that pins a proxy session."""
    key = (connection.alias, cause)
    if key in _reported:
        return
    _reported.add(key)
    level = logging.WARNING if getattr(connection, "behind_proxy", False) else logging.DEBUG
    logger.log(
        level,
        "Database %r: Django sent %s on connect, which pins an RDS Proxy session to one "
        "server connection. Give the database user the setting instead (ALTER ROLE ... "
        "SET timezone = 'UTC'), or set the DB parameter group's timezone; see "
        "docs/operations.md.",
        connection.alias,
        cause,
    )
