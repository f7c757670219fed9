"""Static files for ``runlambda``, found the way ``runserver`` finds them under ``DEBUG``.

Only the local server uses this, in front of the handler: on AWS the handler
never serves static files (they come from S3 or a CDN, or from WhiteNoise
inside the app), so the Lambda path must not learn to.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import FileResponse, Http404, HttpRequest
from django.urls import get_script_prefix, set_script_prefix

#: (status, headers, body): what the local server writes back.
Answer = tuple[int, list[tuple[str, str]], bytes]


def static_url_path(script_prefix: str) -> str | None:
    """The path ``{% static %}`` links start with under ``script_prefix``; None if not local.

    Django puts the script prefix (here the stage) before a relative
    ``STATIC_URL`` such as ``"static/"``, so the browsable API under ``/prod``
    links ``/prod/static/...``; an absolute URL on another host is not ours.
    """
    previous = get_script_prefix()
    set_script_prefix(script_prefix.rstrip("/") + "/")
    try:
        url = settings.STATIC_URL
    finally:
        set_script_prefix(previous)
    if not url:
        return None
    parts = urlsplit(str(url))
    if parts.netloc or not parts.path.startswith("/"):
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    # An empty STATIC_URL becomes the site root, which would shadow every view.
    return None if path == script_prefix.rstrip("/") + "/" else path


class StaticFiles:
    """Answers GET/HEAD under the static URL from the staticfiles finders."""

    def __init__(self, url_path: str) -> None:
        self.url_path = url_path

    @classmethod
    def for_server(cls, script_prefix: str) -> StaticFiles | None:
        """None when ``django.contrib.staticfiles`` is not installed or STATIC_URL is remote."""
        from django.apps import apps

        if not apps.is_installed("django.contrib.staticfiles"):
            return None
        url_path = static_url_path(script_prefix)
        return cls(url_path) if url_path else None

    def answer(self, method: str, target: str, headers: list[tuple[str, str]]) -> Answer | None:
        """The file's reply, a 404 if no finder has it, or None for a URL that is not static."""
        path = unquote(urlsplit(target).path)
        if not path.startswith(self.url_path) or method not in ("GET", "HEAD"):
            return None
        from django.contrib.staticfiles.views import serve

        request = HttpRequest()
        request.method = method
        request.path = path
        for name, value in headers:
            if name.lower() == "if-modified-since":
                request.META["HTTP_IF_MODIFIED_SINCE"] = value
        try:
            # insecure=True: the caller decided (DEBUG or --insecure), as runserver does.
            response = serve(request, path[len(self.url_path) :], insecure=True)
        except Http404 as exc:
            return _text(404, f"Not found: {exc}")
        except SuspiciousOperation:
            return _text(400, "Bad request: the path leaves the static directories.")
        try:
            # A FileResponse streams the file; a 304 (HttpResponseNotModified) has no body.
            body = b""
            if isinstance(response, FileResponse):
                body = b"".join(response)  # the file, read in blocks; closed below
        finally:
            response.close()
        return response.status_code, list(response.items()), body


def _text(status: int, message: str) -> Answer:
    return status, [("Content-Type", "text/plain; charset=utf-8")], f"{message}\n".encode()
