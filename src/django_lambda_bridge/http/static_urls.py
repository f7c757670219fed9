"""Keep relative ``STATIC_URL``/``MEDIA_URL`` under the script prefix of the request.

Django adds the script prefix to a relative ``STATIC_URL`` on its first read and
caches the result, and the staticfiles storage bakes it in when it is built.
On Lambda the first read happens during init (WhiteNoise reads it when the
middleware loads), when the prefix is still ``/``: every link would then miss
the API Gateway stage. When a request's prefix differs from the one the cached
values were built for, they are dropped, so the next read builds them anew.
That is once per container for a function behind one stage.
"""

from __future__ import annotations

from django.utils.functional import empty

_RELATIVE_NAMES = ("STATIC_URL", "MEDIA_URL")
_built_for = "/"  # the prefix in effect at init, when the handler loaded middleware


def _is_relative(value: object) -> bool:
    return isinstance(value, str) and not value.startswith(("http://", "https://", "/"))


def follow_script_prefix(prefix: str) -> None:
    """Drop cached prefixed URLs (and the storages built from them) if ``prefix`` is new."""
    global _built_for
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    if prefix == _built_for:
        return
    _built_for = prefix
    from django.conf import settings

    raw = settings._wrapped  # the settings as written, before Django prefixes them
    relative = [name for name in _RELATIVE_NAMES if _is_relative(getattr(raw, name, None))]
    if not relative:
        return
    for name in relative:
        settings.__dict__.pop(name, None)
    _reset_storages()


def _reset_storages() -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.storage import default_storage, storages

    # What Django's own test signal does when STATIC_URL changes: private, but stable.
    storages._storages = {}  # type: ignore[attr-defined]
    default_storage._wrapped = empty  # type: ignore[attr-defined]
    staticfiles_storage._wrapped = empty  # type: ignore[attr-defined]
