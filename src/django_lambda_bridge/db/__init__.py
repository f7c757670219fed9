"""Databases on Lambda: connection hygiene outside the request cycle, credentials from
Secrets Manager or RDS IAM tokens (``db.backends.postgresql``), and RDS Proxy pinning."""

from django_lambda_bridge.db.hygiene import (
    close_old_connections,
    hygiene,
    reset_after_failure,
    reset_on_failure,
)

__all__ = ["close_old_connections", "hygiene", "reset_after_failure", "reset_on_failure"]
