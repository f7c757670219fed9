from rest_framework.permissions import BasePermission


class IsPartner(BasePermission):
    """The API speaks for partners: a user without one (say, an admin) gets 403."""

    message = "This account is not a partner."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and partner_of(request.user))


def partner_of(user):
    return getattr(user, "partner", None)
