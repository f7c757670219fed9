"""BASE_PATH is a custom domain's API mapping key: only API Gateway custom domains strip it.

On the execute-api host, Function URLs, ALBs and VPC Lattice there is no
mapping, so a route that happens to start with the base path must still match.
And STAGE_IN_SCRIPT_NAME=False keeps the stage out of SCRIPT_NAME (for apps
that test ``request.path.startswith('/api/')``), at the cost of links that
lack the stage.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.testing.events import (
    alb_event,
    apigw_http_event,
    apigw_rest_event,
    function_url_event,
)
from tests.http_lattice import lattice_event
from tests.http_support import (
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

CUSTOM = "api.example.com"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(apigw_rest_event("GET", "/named/x/"), id="v1-execute-api"),
        pytest.param(apigw_http_event("GET", "/named/x/"), id="v2-execute-api"),
        pytest.param(apigw_http_event("GET", "/named/x/", stage="prod"), id="v2-stage"),
        pytest.param(function_url_event("GET", "/named/x/"), id="function-url"),
        pytest.param(alb_event("GET", "/named/x/"), id="alb"),
        pytest.param(alb_event("GET", "/named/x/", host=CUSTOM), id="alb-own-domain"),
        pytest.param(lattice_event(2, "GET", "/named/x/"), id="lattice"),
    ],
)
def test_base_path_is_left_alone_off_custom_domains(settings, event):
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/named"}
    reply = call(make_handler(), event)
    assert reply.status == 200, reply
    assert json.loads(reply.body)["name"] == "x"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(apigw_rest_event("GET", "/echo/", host=CUSTOM, base_path="/v1"), id="v1"),
        pytest.param(apigw_http_event("GET", "/echo/", host=CUSTOM, base_path="/v1"), id="v2"),
    ],
)
def test_base_path_is_stripped_on_custom_domains(settings, event):
    settings.LAMBDA_BRIDGE = {"BASE_PATH": "/v1"}
    seen = echo(make_handler(), event)
    assert (seen["script_name"], seen["path_info"]) == ("/v1", "/echo/")


@pytest.mark.parametrize(
    ("event", "client_path"),
    [
        pytest.param(apigw_rest_event("GET", "/echo/"), "/prod/echo/", id="v1"),
        pytest.param(apigw_http_event("GET", "/echo/", stage="prod"), "/prod/echo/", id="v2"),
    ],
)
def test_stage_can_stay_out_of_script_name(settings, event, client_path):
    """The app sees the path from its own root; the stage is still routed away."""
    seen = echo(make_handler(), event)
    assert (seen["script_name"], seen["path"]) == ("/prod", client_path)
    settings.LAMBDA_BRIDGE = {"STAGE_IN_SCRIPT_NAME": False}
    seen = echo(make_handler(), event)
    assert (seen["script_name"], seen["path"], seen["path_info"]) == ("", "/echo/", "/echo/")
    assert seen["reverse"] == "/echo/"  # the cost: links lack the stage


@pytest.mark.parametrize("stage", ["prød", "\udcff", "a/b", 5])
@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_bad_stage_name_is_a_400(fmt, stage):
    event = (apigw_rest_event if fmt == "v1" else apigw_http_event)("GET", "/echo/", stage="prod")
    event["requestContext"]["stage"] = stage
    reply = call(make_handler(), event)
    assert reply.status == 400
    assert "requestContext.stage" in json.loads(reply.body)["detail"]
