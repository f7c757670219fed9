"""``manage.py check --deploy``: settings that work on a laptop and fail on Lambda.

Each message has an id (``django_lambda_bridge.W04x``) and a hint with the fix;
docs/operations.md explains each. Run it in CI against production settings, or
in the function itself: ``django-lambda-bridge manage -f api -- check --deploy``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

from django_lambda_bridge.conf import BridgeSettings, get_settings
from django_lambda_bridge.errors import ConfigurationError

#: Names that only ever reach Django locally (runserver, the test client).
_LOCAL_HOSTS = frozenset({"localhost", ".localhost", "127.0.0.1", "[::1]", "testserver", "0.0.0.0"})
#: Commands that run arbitrary code or wipe data: never for a remote caller.
DANGEROUS_COMMANDS = frozenset(
    {"shell", "shell_plus", "dbshell", "runscript", "flush", "sqlflush", "runserver", "testserver"}
)
_STATIC_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"


def _conf() -> BridgeSettings | None:
    try:
        return get_settings()
    except ConfigurationError:
        return None  # reported by django_lambda_bridge.E001


def check_debug(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEBUG:
        return []
    return [
        CheckWarning(
            "DEBUG is on: error pages show settings and tracebacks to API clients, and every "
            "SQL query is kept in memory for the life of the execution environment.",
            hint="Set DEBUG = False in the settings the function deploys with (for example "
            "from an environment variable the template sets).",
            id="django_lambda_bridge.W040",
        )
    ]


def check_allowed_hosts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    names = [h for h in settings.ALLOWED_HOSTS if h.lower() not in _LOCAL_HOSTS]
    if names:
        return []
    return [
        CheckWarning(
            f"ALLOWED_HOSTS ({list(settings.ALLOWED_HOSTS)!r}) holds only local names, so "
            "every request through API Gateway, a Function URL or an ALB is refused with "
            "400 (DisallowedHost).",
            hint="Add the API's domain: '.execute-api.<region>.amazonaws.com' (or the API's "
            "own host), '.lambda-url.<region>.on.aws', or your custom domain.",
            id="django_lambda_bridge.W041",
        )
    ]


def check_persistent_connections(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    for alias, db in settings.DATABASES.items():
        max_age = db.get("CONN_MAX_AGE", 0)
        if (max_age is None or max_age > 0) and not db.get("CONN_HEALTH_CHECKS", False):
            found.append(
                CheckWarning(
                    f"DATABASES[{alias!r}] keeps connections (CONN_MAX_AGE={max_age!r}) without "
                    "CONN_HEALTH_CHECKS: a connection that died while the environment was "
                    "frozen (server restart, idle timeout, failover) fails the next request.",
                    hint="Set CONN_HEALTH_CHECKS = True: a dead connection is then replaced "
                    "before the request uses it.",
                    id="django_lambda_bridge.W042",
                )
            )
    return found


def check_proxy_ssl_header(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    value = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if value is None:
        return []
    malformed = (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not str(value[0]).startswith("HTTP_")
    )
    problem = (
        f"SECURE_PROXY_SSL_HEADER ({value!r}) is not a (META key, value) pair such as "
        "('HTTP_X_FORWARDED_PROTO', 'https'), so it never matches"
        if malformed
        else "SECURE_PROXY_SSL_HEADER is set, so Django takes the scheme from the first "
        f"{value[0]} entry, which a client can send itself (an ALB appends its own last)"
    )
    return [
        CheckWarning(
            f"{problem}. On Lambda the bridge already sets the scheme from the front door.",
            hint="Remove SECURE_PROXY_SSL_HEADER from the settings the function uses.",
            id="django_lambda_bridge.W043",
        )
    ]


def check_snapstart_connections(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    conf = _conf()
    if conf is None:
        return []
    from django_lambda_bridge.ops.snapstart import open_connections, snapstart_enabled

    aliases = open_connections()
    if not snapstart_enabled(conf) or not aliases:
        return []
    return [
        CheckWarning(
            f"SnapStart is on and setting Django up opened a database connection "
            f"({', '.join(aliases)}): the function's init would snapshot it, so make_handler "
            "refuses to start.",
            hint="Move queries out of module level and AppConfig.ready() into the first "
            "request or event that needs them.",
            id="django_lambda_bridge.W044",
        )
    ]


def check_admin_static(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if "django.contrib.admin" not in settings.INSTALLED_APPS:
        return []
    static_url = str(getattr(settings, "STATIC_URL", "") or "")
    if static_url.startswith(("http://", "https://", "//")):
        return []  # served elsewhere (S3, CloudFront)
    if _STATIC_MIDDLEWARE in settings.MIDDLEWARE:
        return []
    return [
        CheckWarning(
            "The admin is installed, but nothing serves its static files: the handler never "
            f"serves STATIC_URL ({static_url!r}), so admin pages load without CSS or JavaScript.",
            hint=f"Add {_STATIC_MIDDLEWARE!r} after SecurityMiddleware, or set STATIC_URL to "
            "where collectstatic uploads (S3 or CloudFront).",
            id="django_lambda_bridge.W045",
        )
    ]


def check_manage_allow_list(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    conf = _conf()
    if conf is None:
        return []
    risky = sorted(DANGEROUS_COMMANDS & set(conf.MANAGE_COMMANDS))
    if not risky:
        return []
    return [
        CheckWarning(
            f"LAMBDA_BRIDGE['MANAGE_COMMANDS'] allows {', '.join(risky)}: whoever may invoke "
            "the function could run arbitrary code or wipe data through them.",
            hint="Keep MANAGE_COMMANDS to the commands a deploy needs (the default: migrate, "
            "showmigrations, check, collectstatic, createcachetable, clearsessions).",
            id="django_lambda_bridge.W046",
        )
    ]


def check_deadline_fits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    conf = _conf()
    if conf is None:
        return []
    from django_lambda_bridge.events.deadline import TIMEOUT_ENV, function_timeout_ms

    timeout = function_timeout_ms(conf)
    if timeout is None:
        return [
            CheckWarning(
                "The function timeout is unknown here, so the batch deadline margin "
                f"(DEADLINE_MARGIN_MS={conf.DEADLINE_MARGIN_MS}) cannot be checked against it.",
                hint=f"Set {TIMEOUT_ENV} to the function's Timeout (template.yaml's Globals "
                "can pass it), or LAMBDA_BRIDGE['FUNCTION_TIMEOUT_SECONDS'].",
                id="django_lambda_bridge.W047",
            )
        ]
    if timeout > conf.DEADLINE_MARGIN_MS:
        return []
    usable = int(timeout * conf.DEADLINE_MARGIN_FRACTION)
    return [
        CheckWarning(
            f"DEADLINE_MARGIN_MS={conf.DEADLINE_MARGIN_MS} does not fit the {timeout} ms "
            f"function timeout, so it is never used as set: each batch keeps {usable} ms "
            f"(DEADLINE_MARGIN_FRACTION={conf.DEADLINE_MARGIN_FRACTION} of the time left) "
            "instead.",
            hint="Raise the function Timeout, or set DEADLINE_MARGIN_MS to what the slowest "
            "record needs, below the timeout.",
            id="django_lambda_bridge.W047",
        )
    ]


def check_proxy_pinning(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django_lambda_bridge.db.options import behind_proxy
    from django_lambda_bridge.db.pinning import option_pins

    found: list[CheckMessage] = []
    for alias, db in settings.DATABASES.items():
        if not behind_proxy(db):
            continue
        for cause in option_pins(db.get("OPTIONS") or {}):
            found.append(
                CheckWarning(
                    f"DATABASES[{alias!r}] goes through RDS Proxy, and {cause}: that pins each "
                    "session to one database connection, so the proxy stops multiplexing.",
                    hint="Remove the option; give the database role what it set "
                    "(ALTER ROLE ... SET ...) or use the proxy's initialization query.",
                    id="django_lambda_bridge.W048",
                )
            )
    return found


def register_deploy_checks() -> None:
    for check in (
        check_debug,
        check_allowed_hosts,
        check_persistent_connections,
        check_proxy_ssl_header,
        check_snapstart_connections,
        check_admin_static,
        check_manage_allow_list,
        check_deadline_fits,
        check_proxy_pinning,
    ):
        register(check, Tags.security, deploy=True)
