"""Authorizer claims, normalised per authorizer type, REMOTE_USER, lambda_info and DRF.

Claims only ever come from ``requestContext`` (written by API Gateway), never
from headers a client can send. apig-wsgi exposes the raw requestContext only.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from django_lambda_bridge.http import Authorizer, LambdaInfo, lambda_info
from django_lambda_bridge.testing import FakeContext
from django_lambda_bridge.testing.events import (
    apigw_http_event,
    apigw_rest_event,
    function_url_event,
    http_event,
)
from tests.http_support import (
    bare_apig_handler,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

ARN = "arn:aws:iam::123456789012:user/alice"
COGNITO_CLAIMS = {
    "sub": "7d8e-42",
    "cognito:username": "alice",
    "email": "alice@example.com",
    "token_use": "id",
}
FORGED_HEADERS = {
    "Remote-User": "admin",
    "X-Remote-User": "admin",
    "X-Amzn-Oidc-Identity": "admin",
    "X-Apigateway-Context": json.dumps({"authorizer": {"claims": {"username": "admin"}}}),
}


@pytest.fixture(scope="module")
def handler():
    return make_handler()


CASES = [
    pytest.param(
        apigw_rest_event("GET", "/echo/", authorizer={"claims": COGNITO_CLAIMS, "scopes": None}),
        {"type": "cognito", "principal": "alice", "claims": COGNITO_CLAIMS, "scopes": []},
        id="rest-cognito",
    ),
    pytest.param(
        apigw_rest_event(
            "GET",
            "/echo/",
            authorizer={
                "claims": {**COGNITO_CLAIMS, "scope": "orders/read orders/write"},
                "scopes": None,
            },
        ),
        {
            "type": "cognito",
            "principal": "alice",
            "claims": {**COGNITO_CLAIMS, "scope": "orders/read orders/write"},
            "scopes": ["orders/read", "orders/write"],
        },
        id="rest-cognito-access-token-scope-claim",
    ),
    pytest.param(
        apigw_rest_event(
            "GET",
            "/echo/",
            authorizer={"principalId": "user-7", "tenant": "t1", "integrationLatency": 12},
        ),
        {
            "type": "lambda",
            "principal": "user-7",
            "claims": {"principalId": "user-7", "tenant": "t1"},
            "scopes": [],
        },
        id="rest-lambda",
    ),
    pytest.param(
        apigw_rest_event(
            "GET",
            "/echo/",
            identity={"userArn": ARN, "caller": "AIDAEXAMPLE", "accountId": "123456789012"},
        ),
        {
            "type": "iam",
            "principal": ARN,
            "claims": {"userArn": ARN, "caller": "AIDAEXAMPLE", "accountId": "123456789012"},
            "scopes": [],
        },
        id="rest-iam",
    ),
    pytest.param(
        apigw_http_event(
            "GET",
            "/echo/",
            authorizer={"jwt": {"claims": COGNITO_CLAIMS, "scopes": ["orders/read"]}},
        ),
        {"type": "jwt", "principal": "alice", "claims": COGNITO_CLAIMS, "scopes": ["orders/read"]},
        id="http-jwt",
    ),
    pytest.param(
        apigw_http_event(
            "GET",
            "/echo/",
            authorizer={"jwt": {"claims": {"sub": "s-1", "scope": "a b"}, "scopes": None}},
        ),
        {
            "type": "jwt",
            "principal": "s-1",
            "claims": {"sub": "s-1", "scope": "a b"},
            "scopes": ["a", "b"],
        },
        id="http-jwt-scope-claim",
    ),
    pytest.param(
        apigw_http_event("GET", "/echo/", authorizer={"lambda": {"username": "bob", "tier": 2}}),
        {
            "type": "lambda",
            "principal": "bob",
            "claims": {"username": "bob", "tier": 2},
            "scopes": [],
        },
        id="http-lambda",
    ),
    pytest.param(
        apigw_http_event(
            "GET",
            "/echo/",
            authorizer={
                "iam": {"userArn": ARN, "accountId": "123456789012", "cognitoIdentity": None}
            },
        ),
        {
            "type": "iam",
            "principal": ARN,
            "claims": {"userArn": ARN, "accountId": "123456789012"},
            "scopes": [],
        },
        id="http-iam",
    ),
    pytest.param(
        function_url_event(
            "GET", "/echo/", authorizer={"iam": {"userArn": ARN, "callerId": "AIDA"}}
        ),
        {
            "type": "iam",
            "principal": ARN,
            "claims": {"userArn": ARN, "callerId": "AIDA"},
            "scopes": [],
        },
        id="function-url-iam",
    ),
]


@pytest.mark.parametrize(("event", "expected"), CASES)
def test_claims_are_normalised(handler, event, expected):
    seen = echo(handler, event)
    assert seen["authorizer"] == expected
    assert seen["remote_user"] == expected["principal"]


@pytest.mark.parametrize(("event", "expected"), CASES)
def test_bare_apig_wsgi_has_no_identity(event, expected):
    seen = json.loads(call(bare_apig_handler(), event).body)
    assert seen["remote_user"] is None
    assert seen["authorizer"] is None


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url", "alb", "alb-multi"])
def test_anonymous_request_has_no_identity(handler, fmt):
    seen = echo(handler, http_event(fmt, "GET", "/echo/"))
    assert seen["authorizer"] is None
    assert seen["remote_user"] is None


@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url", "alb", "alb-multi"])
def test_headers_never_become_identity(handler, fmt):
    seen = echo(handler, http_event(fmt, "GET", "/echo/", headers=FORGED_HEADERS))
    assert seen["authorizer"] is None
    assert seen["remote_user"] is None


def test_rest_authorizer_without_claims_is_anonymous(handler):
    seen = echo(
        handler, apigw_rest_event("GET", "/echo/", authorizer={"claims": None, "scopes": None})
    )
    assert seen["authorizer"] is None


def test_principal_falls_back_through_username_claims(handler):
    event = apigw_http_event("GET", "/echo/", authorizer={"jwt": {"claims": {"sub": "s-9"}}})
    assert echo(handler, event)["remote_user"] == "s-9"


def test_authorizer_without_usable_principal_sets_no_remote_user(handler):
    event = apigw_http_event("GET", "/echo/", authorizer={"lambda": {"tier": "gold"}})
    seen = echo(handler, event)
    assert seen["authorizer"]["type"] == "lambda"
    assert seen["authorizer"]["principal"] is None
    assert seen["remote_user"] is None


def test_username_claims_are_configurable(settings):
    settings.LAMBDA_BRIDGE = {"USERNAME_CLAIMS": ["email"]}
    event = apigw_rest_event("GET", "/echo/", authorizer={"claims": COGNITO_CLAIMS})
    assert echo(make_handler(), event)["remote_user"] == "alice@example.com"


@pytest.mark.parametrize(
    "authorizer",
    [{"jwt": "nope"}, {"jwt": {"claims": ["x"]}}, {"lambda": None}, {"iam": 3}, "text", 7],
)
def test_odd_authorizer_shapes_do_not_crash(handler, authorizer):
    event = apigw_http_event("GET", "/echo/")
    event["requestContext"]["authorizer"] = authorizer
    assert call(handler, event).status == 200


# --- lambda_info ------------------------------------------------------------------------


def test_lambda_info_exposes_event_context_ids_and_claims(handler):
    event = apigw_rest_event("GET", "/echo/", authorizer={"claims": COGNITO_CLAIMS})
    context = FakeContext()
    seen = json.loads(call(handler, event, context).body)
    assert seen["kind"] == "apigateway-rest"
    assert seen["request_id"] == event["requestContext"]["requestId"]
    assert seen["aws_request_id"] == context.aws_request_id


def test_lambda_info_object(handler):
    """The accessor's object, caught as Django starts the request."""
    from django.core.signals import request_started

    captured = {}

    def on_request(sender, environ, **kwargs):
        captured["info"] = lambda_info(type("Request", (), {"META": environ})())

    request_started.connect(on_request)
    try:
        event = apigw_http_event("GET", "/echo/", authorizer={"jwt": {"claims": COGNITO_CLAIMS}})
        context = FakeContext()
        call(handler, event, context)
    finally:
        request_started.disconnect(on_request)
    info = captured["info"]
    assert isinstance(info, LambdaInfo)
    assert info.event is event
    assert info.context is context
    assert info.aws_request_id == context.aws_request_id
    assert info.claims == COGNITO_CLAIMS
    assert isinstance(info.authorizer, Authorizer)
    assert info.authorizer.type == "jwt"


def test_lambda_info_off_lambda_is_none(client, rf):
    assert lambda_info(rf.get("/echo/")) is None
    assert lambda_info(object()) is None
    assert json.loads(client.get("/echo/").content)["kind"] is None


# --- DRF AuthorizerAuthentication -----------------------------------------------------


def whoami(handler, principal=None):
    authorizer = {"claims": {"cognito:username": principal}} if principal else None
    return call(handler, apigw_rest_event("GET", "/whoami/", authorizer=authorizer))


@pytest.mark.django_db
def test_drf_authenticates_an_existing_user(handler):
    get_user_model().objects.create_user("alice")
    reply = whoami(handler, "alice")
    assert reply.status == 200
    assert json.loads(reply.body) == {"username": "alice", "type": "cognito"}


@pytest.mark.django_db
def test_drf_rejects_an_unknown_principal(handler):
    reply = whoami(handler, "mallory")
    assert reply.status in (401, 403)
    assert b"no Django user" in reply.body
    assert not get_user_model().objects.filter(username="mallory").exists()


@pytest.mark.django_db
def test_drf_creates_users_when_allowed(settings):
    settings.LAMBDA_BRIDGE = {"CREATE_USERS": True}
    reply = whoami(make_handler(), "carol")
    assert reply.status == 200
    user = get_user_model().objects.get(username="carol")
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_drf_rejects_inactive_users(handler):
    get_user_model().objects.create_user("dave", is_active=False)
    reply = whoami(handler, "dave")
    assert reply.status in (401, 403)
    assert b"inactive" in reply.body


@pytest.mark.django_db
def test_drf_anonymous_gets_401_with_challenge(handler):
    reply = whoami(handler)
    assert reply.status == 401
    assert reply.header("WWW-Authenticate") == 'Bearer realm="api"'


@pytest.mark.django_db
def test_drf_ignores_forged_headers(handler):
    get_user_model().objects.create_user("admin")
    event = apigw_rest_event("GET", "/whoami/", headers=FORGED_HEADERS)
    assert call(handler, event).status == 401
