"""Stage and base path -> SCRIPT_NAME, so Django builds URLs that work from the client's side.

API Gateway's REST API strips the stage (``/prod``) from ``path``; an HTTP API
keeps a named stage in ``rawPath``; a custom domain's base path mapping stays in
the path. apig-wsgi puts none of it in ``SCRIPT_NAME``, so ``reverse()``,
``build_absolute_uri()``, redirects, ``APPEND_SLASH`` and DRF links drop it (or,
for HTTP API named stages, nothing routes at all).
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.testing.events import (
    EXECUTE_API_HOST,
    alb_event,
    apigw_http_event,
    apigw_rest_event,
    function_url_event,
)
from tests.http_support import (
    bare_apig_handler,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)
from tests.testapp.models import Widget

CUSTOM = "api.example.com"


@pytest.fixture(scope="module")
def handler():
    return make_handler()


@pytest.fixture(scope="module")
def bare():
    return bare_apig_handler()


@pytest.mark.parametrize(
    ("event", "script_name", "host"),
    [
        pytest.param(apigw_rest_event("GET", "/echo/"), "/prod", EXECUTE_API_HOST, id="v1-stage"),
        pytest.param(
            apigw_rest_event("GET", "/echo/", stage="v2-beta"),
            "/v2-beta",
            EXECUTE_API_HOST,
            id="v1-other-stage",
        ),
        pytest.param(
            apigw_rest_event("GET", "/echo/", resource="/echo/"),
            "/prod",
            EXECUTE_API_HOST,
            id="v1-non-proxy-resource",
        ),
        pytest.param(apigw_rest_event("GET", "/echo/", host=CUSTOM), "", CUSTOM, id="v1-domain"),
        pytest.param(apigw_http_event("GET", "/echo/"), "", EXECUTE_API_HOST, id="v2-$default"),
        pytest.param(
            apigw_http_event("GET", "/echo/", stage="prod"),
            "/prod",
            EXECUTE_API_HOST,
            id="v2-stage",
        ),
        pytest.param(
            apigw_http_event("GET", "/echo/", stage="prod", host=CUSTOM),
            "",
            CUSTOM,
            id="v2-stage-on-custom-domain",
        ),
        pytest.param(function_url_event("GET", "/echo/"), "", None, id="function-url"),
        pytest.param(alb_event("GET", "/echo/"), "", None, id="alb"),
        pytest.param(alb_event("GET", "/echo/", multi_value=True), "", None, id="alb-multi"),
    ],
)
def test_prefix_moves_to_script_name(handler, event, script_name, host):
    seen = echo(handler, event)
    host = host or seen["headers"]["Host"]
    assert seen["script_name"] == script_name
    assert seen["path_info"] == "/echo/"
    assert seen["path"] == f"{script_name}/echo/"
    assert seen["reverse"] == f"{script_name}/echo/"
    assert seen["absolute_uri"] == f"https://{host}{script_name}/echo/"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(apigw_rest_event("GET", "/echo/"), id="v1"),
        pytest.param(apigw_http_event("GET", "/echo/", stage="prod"), id="v2"),
    ],
)
def test_bare_apig_wsgi_drops_the_stage(bare, event):
    reply = call(bare, event)
    if event.get("version") == "2.0":
        # The named stage stays in PATH_INFO, so no URL pattern matches at all.
        assert reply.status == 404
    else:
        seen = json.loads(reply.body)
        assert seen["reverse"] == "/echo/"
        assert seen["absolute_uri"] == f"http://{EXECUTE_API_HOST}/echo/"


@pytest.mark.parametrize("rc_path", ["/prod/", "/prod"])
def test_rest_root_path_with_stage(handler, settings, rc_path):
    settings.ROOT_URLCONF = "tests.testapp.root_urls"
    event = apigw_rest_event("GET", "/", resource="/")
    event["requestContext"]["path"] = rc_path
    seen = echo(handler, event)
    assert (seen["script_name"], seen["path_info"], seen["path"]) == ("/prod", "/", "/prod/")
    assert seen["absolute_uri"] == f"https://{EXECUTE_API_HOST}/prod/"


@pytest.mark.parametrize("raw_path", ["/prod", "/prod/"])
def test_http_api_root_path_with_named_stage(handler, settings, raw_path):
    settings.ROOT_URLCONF = "tests.testapp.root_urls"
    event = apigw_http_event("GET", "/", stage="prod")
    event["rawPath"] = event["requestContext"]["http"]["path"] = raw_path
    seen = echo(handler, event)
    assert (seen["script_name"], seen["path_info"]) == ("/prod", "/")


def test_rest_root_path_on_custom_domain(handler, settings):
    settings.ROOT_URLCONF = "tests.testapp.root_urls"
    seen = echo(handler, apigw_rest_event("GET", "/", host=CUSTOM, resource="/"))
    assert (seen["script_name"], seen["path_info"]) == ("", "/")


def test_stage_can_be_left_out_of_script_name(settings):
    settings.LAMBDA_BRIDGE = {"STAGE_IN_SCRIPT_NAME": False}
    seen = echo(make_handler(), apigw_rest_event("GET", "/echo/"))
    assert (seen["script_name"], seen["path_info"]) == ("", "/echo/")


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(apigw_rest_event("GET", "/echo/", host=CUSTOM, base_path="/v1"), id="v1"),
        pytest.param(apigw_http_event("GET", "/echo/", host=CUSTOM, base_path="/v1"), id="v2"),
    ],
)
def test_custom_domain_base_path(settings, event):
    # Without BASE_PATH the mapping's key reaches the URL resolver and nothing matches.
    assert call(make_handler(), event).status == 404
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "v1/"}  # normalised to "/v1"
    seen = echo(make_handler(), event)
    assert (seen["script_name"], seen["path_info"]) == ("/v1", "/echo/")
    assert seen["absolute_uri"] == f"https://{CUSTOM}/v1/echo/"


def test_base_path_and_stage_stack(settings):
    """A base path configured for a custom domain doesn't eat a path that lacks it."""
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/v1"}
    seen = echo(make_handler(), apigw_rest_event("GET", "/echo/"))
    assert (seen["script_name"], seen["path_info"]) == ("/prod", "/echo/")


def test_base_path_matches_whole_segments_only(settings):
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/ec"}
    seen = echo(make_handler(), alb_event("GET", "/echo/"))
    assert (seen["script_name"], seen["path_info"]) == ("", "/echo/")


def test_redirect_location_keeps_stage(handler, bare):
    event = apigw_rest_event("GET", "/redirect/")
    assert call(handler, event).header("Location") == "/prod/echo/"
    assert call(bare, event).header("Location") == "/echo/"


@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_append_slash_redirect_keeps_stage(handler, bare, fmt):
    event = (apigw_rest_event if fmt == "v1" else apigw_http_event)("GET", "/echo", stage="prod")
    reply = call(handler, event)
    assert reply.status == 301
    assert reply.header("Location") == "/prod/echo/"
    if fmt == "v1":
        assert call(bare, event).header("Location") == "/echo/"
    else:  # "/prod/echo/" resolves to nothing, so CommonMiddleware doesn't even redirect
        assert call(bare, event).status == 404


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_drf_pagination_links_keep_stage(handler, bare, fmt):
    Widget.objects.bulk_create(Widget(name=f"w{i}") for i in range(3))
    make = apigw_rest_event if fmt == "v1" else apigw_http_event
    event = make("GET", "/api/widgets/", stage="prod")
    page = json.loads(call(handler, event).body)
    assert page["count"] == 3
    assert page["next"] == f"https://{EXECUTE_API_HOST}/prod/api/widgets/?page=2"
    second = json.loads(call(handler, make("GET", "/api/widgets/?page=2", stage="prod")).body)
    assert second["previous"] == f"https://{EXECUTE_API_HOST}/prod/api/widgets/"
    if fmt == "v1":
        bare_page = json.loads(call(bare, event).body)
        assert bare_page["next"] == f"http://{EXECUTE_API_HOST}/api/widgets/?page=2"


def test_drf_api_root_links_keep_stage(handler):
    reply = call(handler, apigw_rest_event("GET", "/api/", headers={"Accept": "application/json"}))
    assert json.loads(reply.body)["widgets"] == f"https://{EXECUTE_API_HOST}/prod/api/widgets/"


@pytest.mark.parametrize("fmt", ["v1", "v2", "alb"])
@pytest.mark.parametrize(
    "raw", ["/named/caf%C3%A9/", "/named/café/", "/named/%E2%98%83/", "/named/☃/"]
)
def test_non_ascii_paths_decode_as_utf8(handler, fmt, raw):
    expected = "café" if "caf" in raw else "☃"
    if fmt == "v1":
        event = apigw_rest_event("GET", "/")
        event["path"] = raw
        event["requestContext"]["path"] = "/prod" + raw
    elif fmt == "v2":
        event = apigw_http_event("GET", "/")
        event["rawPath"] = event["requestContext"]["http"]["path"] = raw
    else:
        event = alb_event("GET", "/")
        event["path"] = raw
    reply = call(handler, event)
    assert reply.status == 200, reply
    assert json.loads(reply.body)["name"] == expected


def test_bare_apig_wsgi_crashes_on_a_raw_non_latin1_path(bare):
    event = apigw_http_event("GET", "/")
    event["rawPath"] = "/named/☃/"
    with pytest.raises(UnicodeEncodeError):
        bare(event, None)


def test_stage_prefix_does_not_leak_into_the_callers_thread(handler):
    """Django sets the thread's script prefix per request; in-process callers keep theirs.

    That is test-only work, done by ``lambda_request_scope`` (which the test
    clients use), not by every production invocation.
    """
    from django.urls import get_script_prefix, reverse

    from django_lambda_bridge.testing import FakeContext, decode_reply
    from django_lambda_bridge.testing.client import lambda_request_scope

    with lambda_request_scope():
        reply = decode_reply(handler(apigw_rest_event("GET", "/echo/"), FakeContext()))
        assert get_script_prefix() == "/prod/"  # Django's own per-request setting, left alone
    assert json.loads(reply.body)["reverse"] == "/prod/echo/"
    assert get_script_prefix() == "/"
    assert reverse("echo") == "/echo/"
