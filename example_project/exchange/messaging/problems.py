"""Every API error as an RFC 9457 problem (``application/problem+json``).

Clients get one shape for every 4xx and 5xx the API raises: ``type``,
``title``, ``status``, ``detail``, plus ``errors`` for field validation and
the states involved for a refused transition.
"""

from http import HTTPStatus

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from messaging.states import IllegalTransition, next_states

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(exceptions.APIException):
    """A domain error with its own problem type."""

    def __init__(self, status_code, slug, detail, **extra):
        self.status_code = status_code
        self.slug = slug
        self.extra = extra
        super().__init__(detail)


def problem_response(status_code, detail, *, slug=None, headers=None, **extra):
    body = {
        "type": f"urn:exchange:problem:{slug}" if slug else "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        **extra,
    }
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _detail_text(detail):
    if isinstance(detail, list) and detail:
        return _detail_text(detail[0])
    if isinstance(detail, dict):
        return "The request is invalid; see errors."
    return str(detail)


def problem_exception_handler(exc, context):
    if isinstance(exc, IllegalTransition):
        return problem_response(
            status.HTTP_409_CONFLICT,
            str(exc),
            slug="illegal-transition",
            state=exc.current,
            requested=exc.target,
            allowed=[str(s) for s in next_states(exc.current)],
        )
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500 handling (and its logging) applies
    headers = {k: v for k, v in response.items() if k.lower() != "content-type"}
    if isinstance(exc, Problem):
        return problem_response(
            exc.status_code, str(exc.detail), slug=exc.slug, headers=headers, **exc.extra
        )
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after_seconds"] = int(exc.wait) + 1
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    return problem_response(
        response.status_code,
        _detail_text(detail if detail is not None else exc.detail),
        headers=headers,
        **extra,
    )
