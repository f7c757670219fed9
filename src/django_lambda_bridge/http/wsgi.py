"""Django's WSGI handler, noting who the request was for, for the access log."""

from __future__ import annotations

from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.utils.functional import LazyObject, empty

#: Environ key holding ``request.user`` as the view left it (maybe lazy), after the response.
USER_KEY = "django_lambda_bridge.user"


class BridgeWSGIHandler(WSGIHandler):
    def get_response(self, request: Any) -> Any:
        response = super().get_response(request)
        # Kept as is; read only if an access line is written (authenticated_user_id).
        request.environ[USER_KEY] = request.__dict__.get("user")
        return response


def authenticated_user_id(user: Any) -> Any:
    """The id of the user the view authenticated, without a query for views that never asked.

    ``AuthenticationMiddleware`` leaves a lazy object that only a look at the
    user resolves (a session lookup); DRF sets the user it authenticated on the
    Django request. A lazy user nobody looked at is not resolved here.
    """
    if user is None:
        return None
    if isinstance(user, LazyObject):
        user = user.__dict__.get("_wrapped", empty)  # never evaluates it
        if user is empty or user is None:
            return None
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)
