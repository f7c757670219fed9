"""Django's WSGI handler, noting who the request was for, for the access log."""

from __future__ import annotations

from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.utils.functional import empty

#: Environ key holding the authenticated user's primary key (or None) after the response.
USER_ID_KEY = "django_lambda_bridge.user_id"


class BridgeWSGIHandler(WSGIHandler):
    def get_response(self, request: Any) -> Any:
        response = super().get_response(request)
        request.environ[USER_ID_KEY] = authenticated_user_id(request)
        return response


def authenticated_user_id(request: Any) -> Any:
    """The user the view authenticated, without a query for views that never asked.

    ``AuthenticationMiddleware`` leaves a lazy object that only a look at the
    user resolves (a session lookup); DRF sets the user it authenticated on the
    Django request. A lazy user nobody looked at is not resolved here.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", None) if "_wrapped" in vars(user) else user
    if wrapped is empty or wrapped is None:
        return None
    if not getattr(wrapped, "is_authenticated", False):
        return None
    return getattr(wrapped, "pk", None)
