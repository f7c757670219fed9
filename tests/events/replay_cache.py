"""Test helpers for the proxy's replay cache: a database router and an unknown backend."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache


class CacheOnPostgres:
    """Send DatabaseCache (app label ``django_cache``) to the ``postgres`` alias."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return "postgres" if model._meta.app_label == "django_cache" else None

    db_for_write = db_for_read

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label == "django_cache":
            return db == "postgres"
        return None


class HomeMadeCache(BaseCache):
    """A backend the bridge cannot know anything about."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
