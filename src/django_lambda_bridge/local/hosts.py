"""Would ``ALLOWED_HOSTS`` let through the ``Host`` that requests carry once deployed?

Locally every request carries ``127.0.0.1:8000``, so a project can look fine
under ``runlambda`` and answer every real request with 400 ``DisallowedHost``.
``runlambda`` asks this at startup and warns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from django_lambda_bridge.testing.events import ALB_HOST, EXECUTE_API_HOST, FUNCTION_URL_HOST


@dataclass(frozen=True)
class FrontDoor:
    name: str
    #: A host of the shape AWS puts in ``Host`` for this front door.
    sample_host: str
    #: What to add to ALLOWED_HOSTS, in words.
    advice: str


_API_GATEWAY = (
    "the API's own host ('<api-id>.execute-api.<region>.amazonaws.com') or your custom "
    "domain ('api.example.com')"
)
FRONT_DOORS = {
    "v1": FrontDoor("API Gateway (REST API)", EXECUTE_API_HOST, _API_GATEWAY),
    "v2": FrontDoor("API Gateway (HTTP API)", EXECUTE_API_HOST, _API_GATEWAY),
    "function-url": FrontDoor(
        "a Lambda Function URL",
        FUNCTION_URL_HOST,
        "the URL's host ('<url-id>.lambda-url.<region>.on.aws') or the domain in front of it",
    ),
    "alb": FrontDoor(
        "an Application Load Balancer",
        ALB_HOST,
        "the ALB's DNS name ('<name>-<id>.<region>.elb.amazonaws.com') and every name "
        "that points to it",
    ),
}
FRONT_DOORS["alb-multi"] = FRONT_DOORS["alb"]


def _allowed(host: str, *, debug_defaults: bool) -> bool:
    allowed = list(settings.ALLOWED_HOSTS)
    if debug_defaults and settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows under DEBUG
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


#: What each front door's own hosts contain; an entry naming another door's host
#: cannot serve this one.
_AWS_HOST_MARKS = {
    "v1": ".execute-api.",
    "v2": ".execute-api.",
    "function-url": ".lambda-url.",
    "alb": ".elb.amazonaws.com",
    "alb-multi": ".elb.amazonaws.com",
}


def _could_serve(entry: str, fmt: str) -> bool:
    """Whether an ALLOWED_HOSTS entry could be a real host of ``fmt``'s front door.

    The exact host (the API's own id, a custom domain) cannot be known here, so
    this door's AWS hosts and any custom domain count; local names, addresses
    and another front door's AWS hosts do not.
    """
    import ipaddress

    name = entry.lstrip(".").strip("[]").lower()
    if not name or "." not in name or name in ("localhost", "testserver"):
        return False
    if name.endswith((".localhost", ".local")):
        return False
    try:
        ipaddress.ip_address(name)
        return False
    except ValueError:
        pass
    if _AWS_HOST_MARKS[fmt] in f".{name}":
        return True
    return not any(mark in f".{name}" for mark in set(_AWS_HOST_MARKS.values()))


def deployed_host_warning(fmt: str) -> str | None:
    """A warning when ``fmt``'s AWS host would be refused, or None when it is allowed.

    Judged without Django's DEBUG-only localhost defaults: deployed, DEBUG is off.
    """
    door = FRONT_DOORS[fmt]
    if _allowed(door.sample_host, debug_defaults=False) or any(
        _could_serve(entry, fmt) for entry in settings.ALLOWED_HOSTS
    ):
        return None
    return (
        f"ALLOWED_HOSTS = {list(settings.ALLOWED_HOSTS)!r} refuses {door.sample_host}, a host "
        f"of the kind requests through {door.name} carry: deployed, every request would get "
        f"400 DisallowedHost. Add {door.advice} to ALLOWED_HOSTS."
    )


def local_host_warning(host: str) -> str | None:
    """A warning when this server's own address would be refused (Django answers 400 here)."""
    if host in ("0.0.0.0", "::"):
        return None  # any address: nothing to judge
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal, as it appears in a Host header
    if _allowed(host, debug_defaults=True):
        return None
    return (
        f"ALLOWED_HOSTS = {list(settings.ALLOWED_HOSTS)!r} refuses {host}, this server's "
        "address: local requests will get 400 DisallowedHost. Add it for local runs."
    )
