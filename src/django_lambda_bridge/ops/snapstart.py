"""SnapStart: nothing that must be unique per environment goes into the snapshot.

A snapshot is taken after the init phase and restored into every new
execution environment. Whatever init left open or seeded is cloned: a
database socket the server sees as one client, boto3 connection pools,
``random``'s state (so each clone draws the same "random" numbers) and
uuid1's clock sequence. Before the snapshot these are closed; after each
restore they are reseeded and credentials (secrets, IAM tokens, AWS clients)
are fetched afresh. ``secrets`` and ``uuid4`` read ``os.urandom``, which the
kernel reseeds, so they need nothing.

Hooks go through ``snapshot_restore_py`` (in the Lambda Python runtime);
without it this is a no-op.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import uuid

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import ConfigurationError

logger = logging.getLogger("django_lambda_bridge.ops")

#: Lambda sets this during a SnapStart init (and it stays in the restored environment).
INIT_TYPE_ENV = "AWS_LAMBDA_INITIALIZATION_TYPE"


def snapstart_enabled(conf: BridgeSettings) -> bool:
    if conf.SNAPSTART is not None:
        return conf.SNAPSTART
    return os.environ.get(INIT_TYPE_ENV) == "snap-start"


def open_connections() -> list[str]:
    """Aliases with an open database connection in this thread."""
    from django.db import connections

    return [c.alias for c in connections.all(initialized_only=True) if c.connection is not None]


def refuse_init_connections(conf: BridgeSettings) -> None:
    """Fail the init (and so the version's publish) if init left a connection open.

    Under SnapStart, code that queries the database at import time would have
    its results, and its socket, frozen into every environment.
    """
    if not snapstart_enabled(conf):
        return
    aliases = open_connections()
    if aliases:
        raise ConfigurationError(
            f"SnapStart is on, and the init phase opened a database connection "
            f"({', '.join(aliases)}): it would be cloned into every restored environment, "
            "with whatever it read. Move the query out of module level and AppConfig.ready() "
            "into the first request or event that needs it (see docs/operations.md)."
        )


def before_snapshot() -> None:
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    for cache in caches.all(initialized_only=True):
        cache.close()
    _forget_aws()
    logger.info("SnapStart: closed connections and sockets before the snapshot")


def after_restore() -> None:
    random.seed()  # from os.urandom: each restored environment its own sequence
    if hasattr(uuid, "_last_timestamp"):
        uuid._last_timestamp = None
    _forget_aws()
    from django_lambda_bridge.ops import warmup

    warmup.container.reset()  # a restore is a new environment: ages and counts start over
    logger.info("SnapStart: reseeded random state and dropped credentials after the restore")


def _forget_aws() -> None:
    """Cached AWS clients hold sockets and credentials; cached secrets may be stale."""
    from django_lambda_bridge.db.iam import forget_tokens
    from django_lambda_bridge.db.secret import forget_secrets

    forget_tokens()
    forget_secrets()
    for name in ("django_lambda_bridge.tasks.sqs", "django_lambda_bridge.events.websocket"):
        if name in sys.modules:  # never imported: nothing cached, and no import now
            sys.modules[name].reset_clients()


def register_hooks() -> bool:
    """Register both hooks with the runtime; False when it has no SnapStart support."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found, unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
