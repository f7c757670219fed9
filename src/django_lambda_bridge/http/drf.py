"""Opt-in DRF authentication from API Gateway authorizer claims.

Add ``django_lambda_bridge.http.drf.AuthorizerAuthentication`` to
``DEFAULT_AUTHENTICATION_CLASSES``. The identity comes from
``requestContext`` only, so it is as trustworthy as the API's authorizer.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from django_lambda_bridge.conf import get_settings
from django_lambda_bridge.http.authorizer import Authorizer
from django_lambda_bridge.http.info import lambda_info


class AuthorizerAuthentication(BaseAuthentication):
    """Authenticate as the Django user the authorizer's principal names.

    ``request.auth`` is the ``Authorizer`` (claims and scopes). Requests with
    no authorizer result are left to the next authentication class.
    """

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, Authorizer] | None:
        info = lambda_info(request)
        if info is None or info.authorizer is None or not info.authorizer.principal:
            return None
        principal = info.authorizer.principal
        user_model: Any = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(principal)
        except user_model.DoesNotExist:
            if not get_settings().CREATE_USERS:
                raise AuthenticationFailed(
                    "The authorizer's principal has no Django user."
                ) from None
            user = user_model._default_manager.create_user(**{user_model.USERNAME_FIELD: principal})
        if not getattr(user, "is_active", True):
            raise AuthenticationFailed("User inactive or deleted.")
        return user, info.authorizer

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
