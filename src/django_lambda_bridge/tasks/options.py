"""``TASKS[alias]["OPTIONS"]`` for ``SQSBackend``, read once per backend and checked.

A mistake here is an ``ImproperlyConfigured`` naming the key, at the first
use of the backend (and by ``manage.py check``), not a ``KeyError`` in a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS

from django_lambda_bridge.tasks.envelope import SQS_MAX_BYTES

MODES = ("sqs", "immediate")
#: The longest wait a failed message can be given. SQS counts its 12-hour visibility limit
#: from the receive, and a Lambda invocation may have used up to 15 minutes of it already.
MAX_VISIBILITY_SECONDS = 43_200 - 900


@dataclass(frozen=True)
class Options:
    mode: str = "sqs"
    queue_urls: Mapping[str, str] = field(default_factory=dict)
    enqueue_on_commit: bool = True
    database: str = DEFAULT_DB_ALIAS
    store_results: bool = True
    max_attempts: int = 5
    backoff_base_seconds: int = 10
    backoff_max_seconds: int = 900
    dead_letter_queue_url: str = ""
    scheduler_role_arn: str = ""
    scheduler_group: str = "default"
    max_message_bytes: int = SQS_MAX_BYTES

    @classmethod
    def load(cls, alias: str, raw: Mapping[str, Any], queues: set[str]) -> Options:
        where = f"TASKS[{alias!r}]['OPTIONS']"
        known = {
            "MODE", "QUEUE_URLS", "ENQUEUE_ON_COMMIT", "DATABASE", "STORE_RESULTS",
            "MAX_ATTEMPTS", "BACKOFF_BASE_SECONDS", "BACKOFF_MAX_SECONDS",
            "DEAD_LETTER_QUEUE_URL", "SCHEDULER_ROLE_ARN", "SCHEDULER_GROUP",
            "MAX_MESSAGE_BYTES",
        }  # fmt: skip
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ImproperlyConfigured(
                f"{where} has unknown key(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}."
            )
        mode = raw.get("MODE", "sqs")
        if mode not in MODES:
            raise ImproperlyConfigured(f"{where}['MODE'] must be one of {MODES}, not {mode!r}.")
        urls = raw.get("QUEUE_URLS", {})
        if not isinstance(urls, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in urls.items()
        ):
            raise ImproperlyConfigured(f"{where}['QUEUE_URLS'] must map queue names to URLs.")
        if mode == "sqs":
            missing = sorted(q for q in queues if not urls.get(q))
            if missing:
                raise ImproperlyConfigured(
                    f"{where}['QUEUE_URLS'] has no SQS queue URL for {', '.join(missing)}; "
                    "every name in QUEUES needs one (or set MODE to 'immediate' to run tasks "
                    "in-process, for local use and tests)."
                )
        options = cls(
            mode=mode,
            queue_urls=dict(urls),
            enqueue_on_commit=_bool(raw, "ENQUEUE_ON_COMMIT", True, where),
            database=str(raw.get("DATABASE", DEFAULT_DB_ALIAS)),
            store_results=_bool(raw, "STORE_RESULTS", True, where),
            max_attempts=_int(raw, "MAX_ATTEMPTS", 5, where, low=1),
            backoff_base_seconds=_int(raw, "BACKOFF_BASE_SECONDS", 10, where, low=0),
            backoff_max_seconds=_int(
                raw, "BACKOFF_MAX_SECONDS", 900, where, low=0, high=MAX_VISIBILITY_SECONDS
            ),
            dead_letter_queue_url=str(raw.get("DEAD_LETTER_QUEUE_URL", "")),
            scheduler_role_arn=str(raw.get("SCHEDULER_ROLE_ARN", "")),
            scheduler_group=str(raw.get("SCHEDULER_GROUP", "default")),
            max_message_bytes=_int(raw, "MAX_MESSAGE_BYTES", SQS_MAX_BYTES, where, low=1024,
                                   high=1_048_576),
        )  # fmt: skip
        return options


def _bool(raw: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(f"{where}[{key!r}] must be True or False, not {value!r}.")
    return value


def _int(
    raw: Mapping[str, Any], key: str, default: int, where: str, *, low: int, high: int | None = None
) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ImproperlyConfigured(f"{where}[{key!r}] must be a whole number >= {low}.")
    if high is not None and value > high:
        raise ImproperlyConfigured(f"{where}[{key!r}] must be at most {high}.")
    return value
