"""Header names with underscores never reach Django, in any format (CVE-2015-0219).

``x_forwarded_for`` and ``X-Forwarded-For`` become the same WSGI key
(``HTTP_X_FORWARDED_FOR``), so a client could overwrite what the proxy says
about it: its address, the scheme, the request id. Django's runserver, nginx
and Apache drop such headers; so do we, before anything reads them.
"""

from __future__ import annotations

import pytest

from django_lambda_bridge.testing.events import DEFAULT_SOURCE_IP, http_event
from tests.http_lattice import SOURCE_IP, lattice_event
from tests.http_support import (
    ALL_FORMATS,
    bare_apig_handler,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

SMUGGLED = [
    ("x_forwarded_for", "6.6.6.6"),
    ("x_forwarded_proto", "http"),
    ("x_forwarded_port", "8080"),
    ("x_amzn_trace_id", "Root=1-evil"),
    ("x_forwarded_for_proto", "http"),
    ("remote_user", "admin"),
]


@pytest.fixture(scope="module")
def handler():
    return make_handler()


def _events():
    for fmt in ALL_FORMATS:
        yield pytest.param(
            http_event(fmt, "GET", "/echo/", headers=SMUGGLED), DEFAULT_SOURCE_IP, id=fmt
        )
    for version in (1, 2):
        yield pytest.param(
            lattice_event(version, "GET", "/echo/", headers=SMUGGLED),
            SOURCE_IP,
            id=f"lattice-v{version}",
        )


@pytest.mark.parametrize(("event", "source_ip"), list(_events()))
def test_underscore_headers_cannot_change_identity(handler, event, source_ip):
    seen = echo(handler, event)
    assert seen["remote_addr"] == source_ip
    assert seen["is_secure"] is True
    assert seen["request_id"] != "Root=1-evil"
    assert seen["remote_user"] is None
    assert seen["absolute_uri"].startswith("https://")
    assert ":8080" not in seen["absolute_uri"]
    smuggled_values = {value for _, value in SMUGGLED}
    leaked = {k: v for k, v in seen["headers"].items() if v in smuggled_values}
    assert not leaked  # no underscore header reached Django under any spelling


@pytest.mark.parametrize("fmt", ["alb", "alb-multi"])
def test_alb_keeps_its_own_trace_id_and_scheme(handler, fmt):
    event = http_event(
        fmt,
        "GET",
        "/echo/",
        headers=[
            ("X-Amzn-Trace-Id", "Root=1-alb"),
            ("x_amzn_trace_id", "Root=1-evil"),
            ("x_forwarded_proto", "https"),
        ],
        scheme="http",
    )
    seen = echo(handler, event)
    assert seen["request_id"] == "Root=1-alb"
    assert seen["is_secure"] is False  # the ALB listened on plain HTTP, whatever the client says


def test_dashed_names_still_arrive(handler):
    seen = echo(handler, http_event("v2", "GET", "/echo/", headers={"X-Api-Version": "3"}))
    assert seen["headers"]["X-Api-Version"] == "3"


def test_bare_apig_wsgi_lets_the_underscore_header_through(handler):
    """The gap: apig-wsgi maps ``x_amzn_trace_id`` to HTTP_X_AMZN_TRACE_ID."""
    event = http_event("v2", "GET", "/echo/", headers=[("x_amzn_trace_id", "Root=1-evil")])
    assert b"Root=1-evil" in call(bare_apig_handler(), event).body
    assert b"Root=1-evil" not in call(handler, event).body
