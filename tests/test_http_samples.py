"""AWS's sample events: each is classified right, and each HTTP one gets a reply.

The samples (Powertools' test events, MIT-0) live outside the repository at
``../shared/aws-event-samples``; these tests skip when it is missing. Some are
hand-made: three REST samples claim ``isBase64Encoded`` over text that is not
base64 (a 400 here), several have no Host header, and source IPs carry ``/32``.
"""

from __future__ import annotations

import json

import pytest

from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.testing import FakeContext
from django_lambda_bridge.testing.events import http_event
from tests.http_support import (
    SAMPLES_DIR,
    call,
    echo,
    keep_db_connections,  # noqa: F401 (autouse fixture)
    make_handler,
)

pytestmark = pytest.mark.skipif(
    not SAMPLES_DIR.is_dir(), reason=f"AWS event samples not found at {SAMPLES_DIR}"
)

EXPECTED_KINDS = {
    "albEvent.json": Kind.ALB,
    "albEventPathTrailingSlash.json": Kind.ALB,
    "albMultiValueHeadersEvent.json": Kind.ALB,
    "albMultiValueQueryStringEvent.json": Kind.ALB,
    "apiGatewayAuthorizerRequestEvent.json": Kind.AUTHORIZER,
    "apiGatewayAuthorizerTokenEvent.json": Kind.AUTHORIZER,
    "apiGatewayAuthorizerV2Event.json": Kind.AUTHORIZER,
    "apiGatewayProxyEvent.json": Kind.API_GATEWAY_V1,
    "apiGatewayProxyEventAnotherPath.json": Kind.API_GATEWAY_V1,
    "apiGatewayProxyEventNoOrigin.json": Kind.API_GATEWAY_V1,
    "apiGatewayProxyEventPathTrailingSlash.json": Kind.API_GATEWAY_V1,
    "apiGatewayProxyEventPrincipalId.json": Kind.API_GATEWAY_V1,
    "apiGatewayProxyEvent_noVersionAuth.json": Kind.API_GATEWAY_V1,
    "apiGatewayProxyOtherEvent.json": Kind.API_GATEWAY_V1,
    "apiGatewayProxyV2Event.json": Kind.API_GATEWAY_V2,
    "apiGatewayProxyV2EventPathTrailingSlash.json": Kind.API_GATEWAY_V2,
    "apiGatewayProxyV2Event_GET.json": Kind.API_GATEWAY_V2,
    "apiGatewayProxyV2IamEvent.json": Kind.API_GATEWAY_V2,
    "apiGatewayProxyV2LambdaAuthorizerEvent.json": Kind.API_GATEWAY_V2,
    "apiGatewayProxyV2OtherGetEvent.json": Kind.API_GATEWAY_V2,
    "apiGatewayProxyV2SchemaMiddlwareInvalidEvent.json": Kind.API_GATEWAY_V2,
    "apiGatewayProxyV2SchemaMiddlwareValidEvent.json": Kind.API_GATEWAY_V2,
    "apiGatewayWebSocketApiConnect.json": Kind.WEBSOCKET,
    "apiGatewayWebSocketApiDisconnect.json": Kind.WEBSOCKET,
    "apiGatewayWebSocketApiMessage.json": Kind.WEBSOCKET,
    "apigatewayeSchemaMiddlwareInvalidEvent.json": Kind.API_GATEWAY_V1,
    "apigatewayeSchemaMiddlwareValidEvent.json": Kind.API_GATEWAY_V1,
    "cloudWatchLogEvent.json": Kind.CLOUDWATCH_LOGS,
    "cloudWatchLogEventWithPolicyLevel.json": Kind.CLOUDWATCH_LOGS,
    "dynamoStreamEvent.json": Kind.DYNAMODB,
    "eventBridgeEvent.json": Kind.EVENTBRIDGE,
    "kinesisFirehoseSQSEvent.json": Kind.FIREHOSE,
    "kinesisStreamCloudWatchLogsEvent.json": Kind.KINESIS,
    "kinesisStreamEvent.json": Kind.KINESIS,
    "kinesisStreamEventOneRecord.json": Kind.KINESIS,
    "kinesisStreamTumblingWindowEvent.json": Kind.KINESIS,
    "lambdaFunctionUrlEvent.json": Kind.FUNCTION_URL,
    "lambdaFunctionUrlEventPathTrailingSlash.json": Kind.FUNCTION_URL,
    "lambdaFunctionUrlEventWithHeaders.json": Kind.FUNCTION_URL,
    "lambdaFunctionUrlIAMEvent.json": Kind.FUNCTION_URL,
    "s3Event.json": Kind.S3,
    "s3EventBridgeNotificationObjectCreatedEvent.json": Kind.EVENTBRIDGE,
    "s3EventBridgeNotificationObjectDeletedEvent.json": Kind.EVENTBRIDGE,
    "s3EventBridgeNotificationObjectExpiredEvent.json": Kind.EVENTBRIDGE,
    "s3EventBridgeNotificationObjectRestoreCompletedEvent.json": Kind.EVENTBRIDGE,
    "s3EventDecodedKey.json": Kind.S3,
    "s3EventDeleteObject.json": Kind.S3,
    "s3EventGlacier.json": Kind.S3,
    "s3SqsEvent.json": Kind.SQS,
    "snsEvent.json": Kind.SNS,
    "snsSqsEvent.json": Kind.SQS,
    "snsSqsFifoEvent.json": Kind.SQS,
    "sqsDlqTriggerEvent.json": Kind.SQS,
    "sqsEvent.json": Kind.SQS,
    "vpcLatticeEvent.json": Kind.VPC_LATTICE,
    "vpcLatticeEventPathTrailingSlash.json": Kind.VPC_LATTICE,
    "vpcLatticeEventV2PathTrailingSlash.json": Kind.VPC_LATTICE,
    "vpcLatticeV2Event.json": Kind.VPC_LATTICE,
    "vpcLatticeV2EventWithHeaders.json": Kind.VPC_LATTICE,
}
INVALID_BASE64 = {
    "apiGatewayProxyEventAnotherPath.json",
    "apiGatewayProxyEventPathTrailingSlash.json",
    "apiGatewayProxyEvent_noVersionAuth.json",
}
#: Samples whose host is a placeholder such as "<url-id>.lambda-url..." Django rejects (400).
PLACEHOLDER_HOST = {
    "apiGatewayProxyEventPrincipalId.json",  # no Host and no domainName at all
    "lambdaFunctionUrlEvent.json",
    "lambdaFunctionUrlEventPathTrailingSlash.json",
    "lambdaFunctionUrlEventWithHeaders.json",
    "lambdaFunctionUrlIAMEvent.json",
}
HTTP_SAMPLES = sorted(name for name, kind in EXPECTED_KINDS.items() if kind.is_http)


def load(name):
    return json.loads((SAMPLES_DIR / name).read_text())


@pytest.fixture(scope="module")
def handler():
    return make_handler()


def test_every_sample_is_listed():
    on_disk = {p.name for p in SAMPLES_DIR.glob("*.json")}
    assert on_disk == set(EXPECTED_KINDS), "classify new samples in EXPECTED_KINDS"


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_sample_is_classified(name):
    assert classify(load(name)) is EXPECTED_KINDS[name]


@pytest.mark.parametrize("name", HTTP_SAMPLES)
def test_http_sample_gets_a_reply(handler, name):
    event = load(name)
    reply = call(handler, event)
    if name in INVALID_BASE64:
        assert reply.status == 400
        assert "base64" in json.loads(reply.body)["detail"]
    elif name in PLACEHOLDER_HOST:
        assert reply.status == 400  # Django's DisallowedHost, not ours
        assert reply.header("Content-Type") != "application/problem+json"
    else:
        assert reply.status == 404  # reached Django's URL resolver: no such route here


@pytest.mark.parametrize("name", HTTP_SAMPLES)
def test_http_sample_reaches_a_view(handler, settings, name):
    """Re-pointed at the echo view and given a valid host, every sample is served."""
    settings.ALLOWED_HOSTS = ["*"]
    # Make the Function URL samples' placeholder host ("<url-id>") a valid one.
    event = json.loads((SAMPLES_DIR / name).read_text().replace("<url-id>", "abc123"))
    if name in INVALID_BASE64:
        event["isBase64Encoded"] = False
    for key in ("path", "rawPath", "raw_path"):
        if key in event:
            event[key] = "/echo/"
    rc = event.get("requestContext", {})
    if isinstance(rc.get("path"), str):
        rc["path"] = "/echo/"
    if isinstance(rc.get("http"), dict):
        rc["http"]["path"] = "/echo/"
    if not any(k.lower() == "host" for k in event.get("headers") or {}) and "domainName" not in rc:
        event["headers"] = {**(event.get("headers") or {}), "Host": "sample.example.com"}
    seen = echo(handler, event)
    assert seen["kind"] == EXPECTED_KINDS[name].value
    assert "/" not in seen["remote_addr"]  # the samples' "/32" suffixes are dropped
    has_source = name != "apiGatewayProxyEventPrincipalId.json"  # it has no identity block
    assert bool(seen["remote_addr"]) is has_source
    assert seen["is_secure"] is (EXPECTED_KINDS[name] is not Kind.ALB)  # those ALBs say http


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("apiGatewayProxyEventPrincipalId.json", ("lambda", "fake")),
        ("apiGatewayProxyV2Event.json", ("jwt", None)),
        ("apiGatewayProxyV2IamEvent.json", ("iam", "arn:aws:iam::1234567890:user/Admin")),
        ("apiGatewayProxyV2LambdaAuthorizerEvent.json", ("jwt", None)),
        ("lambdaFunctionUrlIAMEvent.json", ("iam", "arn:aws:iam::111122223333:user/example-user")),
        ("apiGatewayProxyEvent.json", None),
    ],
)
def test_sample_authorizers(name, expected):
    from django_lambda_bridge.conf import DEFAULT_USERNAME_CLAIMS
    from django_lambda_bridge.http.authorizer import read_authorizer

    event = load(name)
    authorizer = read_authorizer(classify(event), event["requestContext"], DEFAULT_USERNAME_CLAIMS)
    got = None if authorizer is None else (authorizer.type, authorizer.principal)
    assert got == expected


# Our factories are written from AWS's documentation; the samples check them.
FACTORY_FOR = {
    "apiGatewayProxyEvent.json": "v1",
    "apiGatewayProxyV2Event.json": "v2",
    "lambdaFunctionUrlEvent.json": "function-url",
    "albEvent.json": "alb",
    "albMultiValueHeadersEvent.json": "alb-multi",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(FACTORY_FOR.items()))
def test_factories_have_the_samples_shape(name, fmt):
    sample = load(name)
    event = http_event(fmt, "POST", "/a/b", query={"x": "1"}, headers={"Cookie": "a=1"}, body="hi")
    assert classify(event) is classify(sample)
    # Optional in the docs; "version" only appears on HTTP API payload-1.0 events.
    ignore = {"stageVariables", "pathParameters", "cookies", "version"}
    assert set(sample) - ignore <= set(event), set(sample) - set(event)
    sample_rc, event_rc = sample["requestContext"], event["requestContext"]
    optional_rc = {
        "authorizer",
        "authentication",
        "operationName",
        "requestTimeEpoch",
        "extendedRequestId",
        "domainPrefix",
        "resourceId",
        "resourcePath",
        "protocol",
        "requestTime",
        "accountId",
        "apiId",
        "identity",
    }
    assert set(sample_rc) - optional_rc <= set(event_rc), set(sample_rc) - set(event_rc)
    for key, value in sample.items():
        if key in event and value is not None and event[key] is not None:
            assert type(event[key]) is type(value), key


def test_sample_with_fake_context_runs_handler_directly(handler):
    reply = handler(load("apiGatewayProxyV2Event.json"), FakeContext())
    assert set(reply) == {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}
