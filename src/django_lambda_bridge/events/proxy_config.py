"""Whether the signed proxy view is mounted, and whether its setup really protects it.

Replay protection is only as good as the cache behind it: a cache that forgets
(``DummyCache``) lets the same signed request run again and again, and one that
lives in a process (``LocMemCache``) lets it run once per server process. The
same rules run as system checks, when a handler is made, and on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django_lambda_bridge.conf import BridgeSettings
from django_lambda_bridge.errors import ConfigurationError, SignatureError
from django_lambda_bridge.events.signing import MIN_SECRET_LENGTH, check_secret

#: Third-party cache backends (by top-level module) known to be one shared server.
_SHARED_BACKEND_MODULES = ("django_redis", "django_valkey", "django_bmemcached")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the proxy's setup; ``error`` ones refuse the proxy outright."""

    id: str
    message: str
    hint: str
    error: bool


def proxy_secrets(conf: BridgeSettings) -> tuple[str, ...]:
    """Every secret a request may be signed with: the current one first."""
    return (conf.PROXY_SECRET, *conf.PROXY_SECRET_FALLBACKS)


def proxy_mounted(urlconf: str | None = None) -> bool:
    """True if the URLconf routes a path to the proxy view, however it was included."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from django_lambda_bridge.events.proxy import event_proxy

    def walk(patterns: Any) -> bool:
        for pattern in patterns:
            if isinstance(pattern, URLResolver) and walk(pattern.url_patterns):
                return True
            if isinstance(pattern, URLPattern) and pattern.callback is event_proxy:
                return True
        return False

    return walk(get_resolver(urlconf).url_patterns)


def secret_problems(conf: BridgeSettings) -> list[Problem]:
    problems = []
    for key, secret in [("PROXY_SECRET", conf.PROXY_SECRET)] + [
        (f"PROXY_SECRET_FALLBACKS[{i}]", s) for i, s in enumerate(conf.PROXY_SECRET_FALLBACKS)
    ]:
        try:
            check_secret(secret)
        except SignatureError:
            problems.append(
                Problem(
                    "django_lambda_bridge.E030",
                    f"LAMBDA_BRIDGE[{key!r}] has {len(secret)} characters; the signed proxy "
                    f"needs at least {MIN_SECRET_LENGTH}.",
                    'Generate one with: python -c "import secrets; '
                    'print(secrets.token_urlsafe(32))"',
                    error=True,
                )
            )
    return problems


def replay_cache_problems(conf: BridgeSettings) -> list[Problem]:
    """Problems with the cache alias that remembers used signatures."""
    from django.core.cache import InvalidCacheBackendError, caches

    alias = conf.PROXY_REPLAY_CACHE
    hint = (
        "Point LAMBDA_BRIDGE['PROXY_REPLAY_CACHE'] at a cache every server process shares: "
        "Redis, Memcached or DatabaseCache (after manage.py createcachetable)."
    )
    try:
        cache = caches[alias]
    except InvalidCacheBackendError as exc:
        return [_cache_error(f"the cache alias {alias!r} is not usable: {exc}.", hint)]
    scope = _cache_scope(cache)
    name = f"{type(cache).__module__}.{type(cache).__qualname__}"
    where = f"The proxy's replay cache {alias!r} ({name})"
    if scope == "none":
        return [
            _cache_error(f"{where} remembers nothing, so a signed request can be replayed.", hint)
        ]
    if scope == "process":
        return [
            _cache_error(
                f"{where} lives inside one process, so a signed request can be replayed once "
                "per server process.",
                hint,
            )
        ]
    if scope == "machine":
        return [
            Problem(
                "django_lambda_bridge.W030",
                f"{where} is shared only by the processes of one machine (and on Lambda, one "
                "execution environment).",
                "With several servers, or when the proxy is served on Lambda, use Redis, "
                "Memcached or DatabaseCache instead.",
                error=False,
            )
        ]
    if scope == "unknown":
        return [
            Problem(
                "django_lambda_bridge.W031",
                f"{where} is not a backend known to be shared across processes.",
                f"If it is shared by every server process, add 'django_lambda_bridge.W031' "
                f"to SILENCED_SYSTEM_CHECKS. {hint}",
                error=False,
            )
        ]
    return []


def _cache_error(message: str, hint: str) -> Problem:
    return Problem("django_lambda_bridge.E031", message, hint, error=True)


def _cache_scope(cache: Any) -> str:
    """How far a cache's memory reaches: none, process, machine, shared or unknown."""
    from django.core.cache.backends.db import BaseDatabaseCache
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.memcached import BaseMemcachedCache
    from django.core.cache.backends.redis import RedisCache

    if isinstance(cache, DummyCache):
        return "none"
    if isinstance(cache, LocMemCache):
        return "process"
    if isinstance(cache, FileBasedCache):
        return "machine"
    if isinstance(cache, BaseDatabaseCache):
        from django.db import connections, router

        alias = router.db_for_write(cache.cache_model_class)
        in_memory = getattr(connections[alias], "is_in_memory_db", None)
        return "process" if in_memory is not None and in_memory() else "shared"
    if isinstance(cache, (BaseMemcachedCache, RedisCache)):
        return "shared"
    if type(cache).__module__.split(".")[0] in _SHARED_BACKEND_MODULES:
        return "shared"
    return "unknown"


def proxy_problems(conf: BridgeSettings) -> list[Problem]:
    """Everything wrong with a configured proxy; nothing when no secret is set."""
    if not conf.PROXY_SECRET:
        return []
    return secret_problems(conf) + replay_cache_problems(conf)


def refusal(conf: BridgeSettings) -> str | None:
    """Why the view must refuse every request now (said in the log, never to the client)."""
    errors = [p.message for p in proxy_problems(conf) if p.error]
    return " ".join(errors) if errors else None


def ensure_proxy_config(conf: BridgeSettings) -> None:
    """At startup: a mounted, configured proxy without real replay protection is an error."""
    if not conf.PROXY_SECRET:
        return
    errors = [p for p in proxy_problems(conf) if p.error]
    if errors and proxy_mounted():
        details = " ".join(f"{p.message} {p.hint}" for p in errors)
        raise ConfigurationError(f"The signed event proxy view is mounted but unsafe: {details}")
