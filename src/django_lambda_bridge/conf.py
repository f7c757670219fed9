"""The ``LAMBDA_BRIDGE`` settings dict: every key, its type and its default, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django_lambda_bridge.errors import ConfigurationError

#: Content types sent as text; everything else is base64 (binary). Matched as
#: prefixes of the media type, plus the ``+json``/``+xml`` structured suffixes.
DEFAULT_TEXT_CONTENT_TYPES: tuple[str, ...] = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/ecmascript",
    "application/x-javascript",
    "application/yaml",
    "application/x-yaml",
    "application/vnd.oai.openapi",
    "application/x-www-form-urlencoded",
    "image/svg+xml",
)

#: Claim names tried, in order, to find the user name an authorizer vouches for.
DEFAULT_USERNAME_CLAIMS: tuple[str, ...] = (
    "cognito:username",
    "username",
    "principalId",
    "sub",
)

#: Management commands that ``{"manage": [...]}`` invocations may run; see docs/operations.md.
DEFAULT_MANAGE_COMMANDS: tuple[str, ...] = (
    "migrate",
    "showmigrations",
    "check",
    "collectstatic",
    "createcachetable",
    "clearsessions",
)


@dataclass(frozen=True)
class BridgeSettings:
    """Typed view of ``settings.LAMBDA_BRIDGE`` merged with ``make_handler`` options."""

    #: Custom-domain base path mapping (for example ``"/api"``). A request path that
    #: starts with it has it moved into ``SCRIPT_NAME``.
    BASE_PATH: str = ""
    #: Move the API Gateway stage prefix (``/prod``) into ``SCRIPT_NAME``.
    STAGE_IN_SCRIPT_NAME: bool = True
    #: The scheme Django sees for API Gateway and Function URL requests, which are
    #: HTTPS-only on AWS. ``"http"`` is for local emulation (``runlambda``) only.
    SCHEME: str = "https"
    #: Media type prefixes sent as text; see ``DEFAULT_TEXT_CONTENT_TYPES``.
    TEXT_CONTENT_TYPES: tuple[str, ...] = DEFAULT_TEXT_CONTENT_TYPES
    #: Re-raise unhandled exceptions as Lambda errors instead of replying 500.
    RAISE_EXCEPTIONS: bool = False
    #: Override the per-source response size limit, in bytes (None: AWS's limits).
    RESPONSE_SIZE_LIMIT: int | None = None
    #: Path answered for ALB health checks, which carry no Host header (docs/http.md):
    #: such a request gets a host from ALLOWED_HOSTS and reaches the view at this path.
    HEALTH_CHECK_PATH: str = ""
    #: Claims tried, in order, for ``REMOTE_USER`` and the DRF authentication class.
    USERNAME_CLAIMS: tuple[str, ...] = DEFAULT_USERNAME_CLAIMS
    #: Let ``AuthorizerAuthentication`` create a Django user on first sight.
    CREATE_USERS: bool = False
    #: Warm up URLconf, DRF, templates and translations during the init phase.
    WARM_UP: bool = True
    #: Management commands a direct ``{"manage": [...]}`` invocation may run, by name.
    MANAGE_COMMANDS: tuple[str, ...] = DEFAULT_MANAGE_COMMANDS

    #: Stop taking batch records once the invocation has less than this many ms left;
    #: the rest are reported failed so they are retried (the first record always runs).
    DEADLINE_MARGIN_MS: int = 10_000
    #: Run each event handler call in ``transaction.atomic`` unless its route says otherwise.
    ATOMIC_RECORDS: bool = False
    #: Shared secret for the signed event proxy view (``django_lambda_bridge.urls``); empty: off.
    PROXY_SECRET: str = ""
    #: How old (or how far in the future) a signed proxy request's timestamp may be, in seconds.
    PROXY_MAX_AGE_SECONDS: int = 300
    #: Path of the event proxy view, under wherever ``django_lambda_bridge.urls`` is included.
    PROXY_PATH: str = "lambda-proxy-non-api-events"

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None) -> BridgeSettings:
        """Merge Django settings with handler options; unknown keys are errors, not typos."""
        from django.conf import settings

        raw: dict[str, Any] = dict(getattr(settings, "LAMBDA_BRIDGE", None) or {})
        for key, value in (overrides or {}).items():
            raw[key.upper()] = value
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigurationError(
                f"Unknown LAMBDA_BRIDGE setting(s): {', '.join(unknown)}. "
                f"Valid keys are: {', '.join(sorted(known))}."
            )
        values: dict[str, Any] = {}
        for key, value in raw.items():
            values[key] = _coerce(key, value, cls.__dataclass_fields__[key].default)
        return cls(**values)


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Check a setting's type against its default so mistakes fail at init, not per request."""
    if key == "BASE_PATH":
        if not isinstance(value, str):
            raise ConfigurationError(f"LAMBDA_BRIDGE['BASE_PATH'] must be a str, got {value!r}.")
        value = value.strip("/")
        return f"/{value}" if value else ""
    if key == "SCHEME":
        if value not in ("https", "http"):
            raise ConfigurationError(
                f"LAMBDA_BRIDGE['SCHEME'] must be 'https' or 'http', got {value!r}."
            )
        return value
    if key == "RESPONSE_SIZE_LIMIT":
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ConfigurationError(
                "LAMBDA_BRIDGE['RESPONSE_SIZE_LIMIT'] must be a positive int or None, "
                f"got {value!r}."
            )
        return value
    if key in ("DEADLINE_MARGIN_MS", "PROXY_MAX_AGE_SECONDS"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigurationError(
                f"LAMBDA_BRIDGE[{key!r}] must be an int of 0 or more, got {value!r}."
            )
        return value
    if key == "HEALTH_CHECK_PATH":
        if not isinstance(value, str) or (value and not value.startswith("/")):
            raise ConfigurationError(
                "LAMBDA_BRIDGE['HEALTH_CHECK_PATH'] must be a path starting with '/', "
                f"got {value!r}."
            )
        return value
    if key in ("PROXY_SECRET", "PROXY_PATH"):
        if not isinstance(value, str):
            raise ConfigurationError(f"LAMBDA_BRIDGE[{key!r}] must be a str, got {type(value)}.")
        return value.strip("/") if key == "PROXY_PATH" else value
    if isinstance(default, tuple):
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ConfigurationError(
                f"LAMBDA_BRIDGE[{key!r}] must be a list or tuple of str, got {value!r}."
            )
        return tuple(value)
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ConfigurationError(f"LAMBDA_BRIDGE[{key!r}] must be True or False, got {value!r}.")
    return value


_active: BridgeSettings | None = None


def activate(conf: BridgeSettings) -> None:
    """Make a handler's merged settings the ones library code sees (one handler per process)."""
    global _active
    _active = conf


def get_settings() -> BridgeSettings:
    """The settings in force: the handler's if one was made, else ``LAMBDA_BRIDGE`` alone."""
    return _active if _active is not None else BridgeSettings.load()


def _reset(**kwargs: Any) -> None:
    global _active
    if kwargs.get("setting") == "LAMBDA_BRIDGE":
        _active = None


def connect_signals() -> None:
    """Forget cached settings when a test overrides ``LAMBDA_BRIDGE``."""
    from django.test.signals import setting_changed

    setting_changed.connect(_reset, dispatch_uid="django_lambda_bridge.conf")
