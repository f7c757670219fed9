"""The ``LAMBDA_BRIDGE`` settings dict: every key, its type and its default, in one place.

One resolution order, everywhere: the defaults below, then ``settings.LAMBDA_BRIDGE``,
then the options passed to ``make_handler(**options)``. The merged result is cached
and recomputed after ``override_settings(LAMBDA_BRIDGE=...)``, keeping the options.
"""

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
    #: Cap on the margin, as a share of the time a batch starts with: the margin used is
    #: ``min(DEADLINE_MARGIN_MS, fraction * remaining time at batch start)``.
    DEADLINE_MARGIN_FRACTION: float = 0.25
    #: The function's timeout, for init-time checks (Lambda does not expose it before the
    #: first invocation). ``None``: read ``LAMBDA_BRIDGE_FUNCTION_TIMEOUT`` (seconds).
    FUNCTION_TIMEOUT_SECONDS: int | None = None
    #: API Gateway Management API endpoint for WebSocket replies; empty: built from
    #: each event's ``domainName`` and ``stage``.
    WEBSOCKET_ENDPOINT_URL: str = ""
    #: Run each event handler call in ``transaction.atomic`` unless its route says otherwise.
    ATOMIC_RECORDS: bool = False
    #: Shared secret for the signed event proxy view (``django_lambda_bridge.urls``); empty: off.
    #: The view signs nothing itself; forwarders sign with this secret.
    PROXY_SECRET: str = ""
    #: Earlier secrets still accepted (never used to sign), to rotate without downtime.
    PROXY_SECRET_FALLBACKS: tuple[str, ...] = ()
    #: Cache alias that remembers used signatures; must be shared by every server process.
    PROXY_REPLAY_CACHE: str = "default"
    #: How old (or how far in the future) a signed proxy request's timestamp may be, in seconds.
    PROXY_MAX_AGE_SECONDS: int = 300
    #: Path of the event proxy view, under wherever ``django_lambda_bridge.urls`` is included.
    PROXY_PATH: str = "lambda-proxy-non-api-events"

    #: One INFO line per HTTP request and per event handler call (logger
    #: ``django_lambda_bridge.access``); see docs/operations.md.
    ACCESS_LOG: bool = True
    #: Every log record as Powertools JSON with the Lambda context, ``cold_start`` and
    #: ``correlation_id`` (the root logger's handlers are replaced).
    JSON_LOGS: bool = False
    #: Powertools EMF metrics per invocation (requests, 4xx, 5xx, latency, batch failures).
    METRICS: bool = False
    #: CloudWatch namespace of the metrics; empty: ``POWERTOOLS_METRICS_NAMESPACE``.
    METRICS_NAMESPACE: str = ""
    #: ``service`` in logs and metrics; empty: ``POWERTOOLS_SERVICE_NAME``, else the function.
    SERVICE_NAME: str = ""
    #: X-Ray subsegment per invocation through Powertools Tracer (needs aws-xray-sdk).
    TRACING: bool = False
    #: Response header that carries the correlation id back to the client; empty: none.
    REQUEST_ID_HEADER: str = "X-Request-ID"
    #: SnapStart is on for this function; None: from ``AWS_LAMBDA_INITIALIZATION_TYPE``.
    SNAPSTART: bool | None = None
    #: On SIGTERM (sent when an extension is registered), close connections, flush metrics.
    SHUTDOWN_ON_SIGTERM: bool = True

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


#: Settings whose values must never appear in an error message.
_SECRET_KEYS = frozenset({"PROXY_SECRET", "PROXY_SECRET_FALLBACKS"})


def _describe_types(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of " + ", ".join(type(v).__name__ for v in value)
    return f"a {type(value).__name__}"


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
    if key == "DEADLINE_MARGIN_FRACTION":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise ConfigurationError(
                "LAMBDA_BRIDGE['DEADLINE_MARGIN_FRACTION'] must be a number above 0 and at "
                f"most 1, got {value!r}."
            )
        return float(value)
    if key == "FUNCTION_TIMEOUT_SECONDS":
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 900
        ):
            raise ConfigurationError(
                "LAMBDA_BRIDGE['FUNCTION_TIMEOUT_SECONDS'] must be None or an int from 1 to "
                f"900 (Lambda's range), got {value!r}."
            )
        return value
    if key == "WEBSOCKET_ENDPOINT_URL":
        if not isinstance(value, str) or (value and not value.startswith(("https://", "http://"))):
            raise ConfigurationError(
                "LAMBDA_BRIDGE['WEBSOCKET_ENDPOINT_URL'] must be '' or an http(s) URL, "
                f"got {value!r}."
            )
        return value.rstrip("/")
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
    if key == "SNAPSTART":
        if value not in (None, True, False):
            raise ConfigurationError(
                f"LAMBDA_BRIDGE['SNAPSTART'] must be True, False or None, got {value!r}."
            )
        return value
    if key == "REQUEST_ID_HEADER":
        if not isinstance(value, str) or not all(
            (c.isascii() and c.isalnum()) or c == "-" for c in value
        ):
            raise ConfigurationError(
                "LAMBDA_BRIDGE['REQUEST_ID_HEADER'] must be a header name (letters, digits, "
                f"'-') or '', got {value!r}."
            )
        return value
    if key in (
        "PROXY_SECRET",
        "PROXY_PATH",
        "PROXY_REPLAY_CACHE",
        "METRICS_NAMESPACE",
        "SERVICE_NAME",
    ):
        if not isinstance(value, str):
            raise ConfigurationError(f"LAMBDA_BRIDGE[{key!r}] must be a str, got {type(value)}.")
        return value.strip("/") if key == "PROXY_PATH" else value
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            # Secrets must not be echoed into logs or check output: name types only.
            shown = _describe_types(value) if key in _SECRET_KEYS else repr(value)
            raise ConfigurationError(
                f"LAMBDA_BRIDGE[{key!r}] must be a list or tuple of str, got {shown}."
            )
        return tuple(value)
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ConfigurationError(f"LAMBDA_BRIDGE[{key!r}] must be True or False, got {value!r}.")
    return value


#: Bumped whenever ``settings.LAMBDA_BRIDGE`` changes, so every cached merge is redone.
_generation = 0
_signal_connected = False


class SettingsLayers:
    """One handler's options over ``settings.LAMBDA_BRIDGE`` over the defaults.

    Reading is a cached attribute check, cheap enough for every request; the
    merge is redone only after ``LAMBDA_BRIDGE`` changes (``setting_changed``).
    """

    __slots__ = ("_generation", "_merged", "options")

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = {k.upper(): v for k, v in (options or {}).items()}
        self._merged: BridgeSettings | None = None
        self._generation = -1

    def resolve(self) -> BridgeSettings:
        merged = self._merged
        if merged is not None and self._generation == _generation:
            return merged
        connect_signals()
        generation = _generation
        merged = BridgeSettings.load(self.options)
        self._merged, self._generation = merged, generation
        return merged


#: Without a handler (``runserver``, ``manage.py``): defaults and ``LAMBDA_BRIDGE`` only.
_DEFAULTS = SettingsLayers()

#: The layers of the handler made or invoked last; None until ``make_handler`` runs.
_active: SettingsLayers | None = None


def use_layers(layers: SettingsLayers | None) -> None:
    """Make a handler's layers the ones ``get_settings()`` reads (one handler per process)."""
    global _active
    _active = layers


def get_settings() -> BridgeSettings:
    """The settings in force: the active handler's options over ``LAMBDA_BRIDGE``."""
    layers = _DEFAULTS if _active is None else _active
    merged = layers._merged  # inlined fast path of resolve(): read on every request
    if merged is not None and layers._generation == _generation:
        return merged
    return layers.resolve()


def _reset(**kwargs: Any) -> None:
    global _generation
    if kwargs.get("setting") == "LAMBDA_BRIDGE":
        _generation += 1


def connect_signals() -> None:
    """Redo the merge when a test overrides ``LAMBDA_BRIDGE`` (idempotent, cheap)."""
    global _signal_connected
    if _signal_connected:
        return
    from django.core.signals import setting_changed

    setting_changed.connect(_reset, dispatch_uid="django_lambda_bridge.conf")
    _signal_connected = True
