"""The init phase: set Django up once per container and pay its lazy costs early.

Lambda runs module import before the first event, at full CPU and without the
client waiting (and SnapStart snapshots it). Everything Django would otherwise
do on the first request is moved here, so the first request costs about what
the tenth does.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from django_lambda_bridge.errors import ConfigurationError

logger = logging.getLogger("django_lambda_bridge")

#: DRF settings that DRF imports lazily, on first access per request.
_DRF_SETTINGS = (
    "DEFAULT_RENDERER_CLASSES",
    "DEFAULT_PARSER_CLASSES",
    "DEFAULT_AUTHENTICATION_CLASSES",
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_THROTTLE_CLASSES",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS",
    "DEFAULT_METADATA_CLASS",
    "DEFAULT_VERSIONING_CLASS",
    "DEFAULT_PAGINATION_CLASS",
    "DEFAULT_FILTER_BACKENDS",
    "DEFAULT_SCHEMA_CLASS",
    "EXCEPTION_HANDLER",
    "UNAUTHENTICATED_USER",
    "UNAUTHENTICATED_TOKEN",
    "VIEW_NAME_FUNCTION",
    "VIEW_DESCRIPTION_FUNCTION",
)

#: Modules Django imports inside request handling rather than at startup.
_LAZY_MODULES = (
    "django.http.multipartparser",
    "django.core.files.uploadhandler",
    "django.views.debug",
    "django.views.defaults",
    "django.utils.log",
)

#: Modules whose module-level ``_lazy_re_compile`` regexes every request uses
#: (host validation, response charset).
_LAZY_REGEX_MODULES = ("django.http.request", "django.http.response")


def setup_django(settings_module: str | None) -> None:
    """Configure and populate Django; ``DJANGO_SETTINGS_MODULE`` wins, as in ``wsgi.py``."""
    if settings_module:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    from django.conf import settings

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise ConfigurationError(
            "No Django settings: pass the module, as in "
            'make_handler("myproject.settings"), or set DJANGO_SETTINGS_MODULE.'
        )
    try:
        _ = settings.INSTALLED_APPS  # imports the settings module, if not done yet
    except ModuleNotFoundError as exc:
        name = os.environ.get("DJANGO_SETTINGS_MODULE", "")
        if not _is_module_or_parent(exc.name, name):
            raise  # an import inside the settings failed: that error says it best
        raise ConfigurationError(
            f"The settings module {name!r} was not found ({exc}). Name your own project's "
            'settings module, as in make_handler("mysite.settings"): it is the one manage.py '
            "and wsgi.py put in DJANGO_SETTINGS_MODULE. Its package must be importable "
            "from the function's code root (the folder that holds lambda_function.py)."
        ) from exc
    import django

    django.setup(set_prefix=False)


def _is_module_or_parent(missing: str | None, module: str) -> bool:
    return bool(missing) and (module == missing or module.startswith(f"{missing}."))


def warm_up() -> None:
    """Run Django's and DRF's first-use initialisation now, during init."""
    from django.conf import settings
    from django.template import engines
    from django.urls import get_resolver
    from django.utils import timezone, translation

    for name in _LAZY_MODULES:
        importlib.import_module(name)
    # Importing every view module and compiling every route pattern.
    resolver = get_resolver()
    _ = resolver.reverse_dict, resolver.namespace_dict, resolver.app_dict
    _ = resolver.pattern.regex  # the root "^/" only compiles on the first resolve()
    for engine in engines.all():
        _ = engine
    if settings.USE_I18N:
        with translation.override(settings.LANGUAGE_CODE):
            translation.gettext("")
    if settings.USE_TZ:
        timezone.get_default_timezone()
    for name in _LAZY_REGEX_MODULES:
        _compile_lazy_regexes(vars(importlib.import_module(name)))
    _warm_orm()
    _warm_sessions()
    _warm_drf()


def _compile_lazy_regexes(namespace: Mapping[str, Any]) -> None:
    """Compile the regexes Django defers with ``_lazy_re_compile`` until first match."""
    from django.utils.functional import SimpleLazyObject, empty

    for value in list(namespace.values()):
        # isinstance() looks at type() first, so it does not evaluate the lazy object.
        if not isinstance(value, SimpleLazyObject) or vars(value).get("_wrapped") is not empty:
            continue
        setup = vars(value).get("_setupfunc")
        if "_lazy_re_compile" in getattr(setup, "__qualname__", ""):
            _ = value.pattern


def _warm_orm() -> None:
    """Fill the model metadata caches and load each database's SQL compiler.

    The first query otherwise builds the relation tree of every model and
    imports the compiler; none of this opens a database connection.
    """
    from django.apps import apps
    from django.db import connections

    for model in apps.get_models():
        opts = model._meta
        opts.get_fields()
        _ = opts.concrete_fields, opts.many_to_many, opts.related_objects, opts.default_manager
        if opts.pk is not None:
            opts.get_field(opts.pk.name)  # fills the name -> field map
    for alias in connections:
        try:
            connection = connections[alias]
            compiler = importlib.import_module(connection.ops.compiler_module)
        except Exception:  # a broken alias should fail where it is used, not at init
            logger.warning("Could not warm up database %r", alias, exc_info=True)
            continue
        _compile_lazy_regexes(vars(compiler.SQLCompiler))
        _compile_lazy_regexes(vars(sys.modules[type(connection).__module__]))


def _warm_sessions() -> None:
    """Load the session serializer, which every ``SessionStore()`` imports by name."""
    from django.apps import apps
    from django.conf import settings
    from django.utils.module_loading import import_string

    serializer = getattr(settings, "SESSION_SERIALIZER", None)
    if apps.is_installed("django.contrib.sessions") and isinstance(serializer, str):
        import_string(serializer)


def _warm_drf() -> None:
    if "rest_framework" not in sys.modules:
        return  # the project doesn't use DRF; importing it would only add cost
    from rest_framework.settings import api_settings

    for name in _DRF_SETTINGS:
        try:
            value: Any = getattr(api_settings, name)
        except (AttributeError, ImportError):
            logger.warning("Could not warm up DRF setting %s", name, exc_info=True)
            continue
        for cls in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(cls, type):
                try:
                    cls()  # first instantiation fills per-class caches (renderers, parsers)
                except Exception:
                    continue
