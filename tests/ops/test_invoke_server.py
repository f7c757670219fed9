"""The local Lambda Invoke API answers real boto3 the way the Lambda service does."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from django_lambda_bridge.local.invoke import PAYLOAD_LIMIT, LambdaInvokeServer


def echo(event: Any, context: Any) -> Any:
    logging.getLogger("tests.ops.echo").warning("echo handler ran")
    return {"event": event, "function": context.function_name, "version": context.function_version}


def failing(event: Any, context: Any) -> Any:
    raise ValueError("the handler failed on purpose")


def unserialisable(event: Any, context: Any) -> Any:
    return {"when": object()}


@pytest.fixture
def lambda_client(aws_env):
    def make(server: LambdaInvokeServer) -> Any:
        return boto3.client(
            "lambda",
            endpoint_url=server.endpoint_url,
            config=botocore.config.Config(retries={"total_max_attempts": 1}),
        )

    return make


@pytest.fixture
def echo_server():
    with LambdaInvokeServer(echo, "echo", qualifiers={"live": "7"}).running() as server:
        yield server


def test_a_request_response_invocation_returns_the_handlers_reply(echo_server, lambda_client):
    client = lambda_client(echo_server)
    response = client.invoke(FunctionName="echo", Payload=b'{"hello": "world"}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {
        "event": {"hello": "world"},
        "function": "echo",
        "version": "$LATEST",
    }


@pytest.mark.parametrize(
    "name",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:echo:live",
        "123456789012:function:echo:live",
        "echo:live",
    ],
)
def test_function_arns_and_qualifiers_are_understood(echo_server, lambda_client, name):
    response = lambda_client(echo_server).invoke(FunctionName=name, Payload=b"{}")
    assert response["ExecutedVersion"] == "7"
    assert json.loads(response["Payload"].read())["version"] == "7"


def test_the_qualifier_parameter_selects_the_alias(echo_server, lambda_client):
    response = lambda_client(echo_server).invoke(
        FunctionName="echo", Qualifier="live", Payload=b"{}"
    )
    assert response["ExecutedVersion"] == "7"


ARN = "arn:aws:lambda:us-east-1:123456789012:function"


@pytest.mark.parametrize(
    ("name", "qualifier", "message"),
    [
        ("other", None, f"Function not found: {ARN}:other"),
        ("echo", "dev", f"Function not found: {ARN}:echo:dev"),
    ],
)
def test_unknown_functions_and_qualifiers_are_not_found(
    echo_server, lambda_client, name, qualifier, message
):
    params = {"FunctionName": name, "Payload": b"{}"}
    if qualifier:
        params["Qualifier"] = qualifier
    with pytest.raises(ClientError) as caught:
        lambda_client(echo_server).invoke(**params)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["Error"]["Message"] == message
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_conflicting_qualifiers_are_rejected(echo_server, lambda_client):
    with pytest.raises(ClientError) as caught:
        lambda_client(echo_server).invoke(FunctionName="echo:live", Qualifier="1", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_a_payload_that_is_not_json_is_rejected(echo_server, lambda_client):
    with pytest.raises(ClientError) as caught:
        lambda_client(echo_server).invoke(FunctionName="echo", Payload=b"{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_an_oversized_payload_is_rejected(echo_server, lambda_client):
    payload = json.dumps({"data": "x" * PAYLOAD_LIMIT}).encode()
    with pytest.raises(ClientError) as caught:
        lambda_client(echo_server).invoke(FunctionName="echo", Payload=payload)
    assert caught.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_an_empty_payload_is_an_empty_event(echo_server, lambda_client):
    response = lambda_client(echo_server).invoke(FunctionName="echo")
    assert json.loads(response["Payload"].read())["event"] == {}


def test_event_and_dry_run_invocations(echo_server, lambda_client):
    client = lambda_client(echo_server)
    queued = client.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")
    assert queued["StatusCode"] == 202
    assert queued["Payload"].read() == b""
    dry = client.invoke(FunctionName="echo", InvocationType="DryRun", Payload=b"{}")
    assert dry["StatusCode"] == 204


def test_the_log_tail_holds_the_invocations_log(echo_server, lambda_client):
    response = lambda_client(echo_server).invoke(FunctionName="echo", Payload=b"{}", LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    assert log.startswith("START RequestId: ")
    assert "[WARNING]\ttests.ops.echo\techo handler ran" in log
    assert log.rstrip().splitlines()[-1].startswith("END RequestId: ")
    plain = lambda_client(echo_server).invoke(FunctionName="echo", Payload=b"{}")
    assert "LogResult" not in plain


def test_a_handler_exception_is_an_unhandled_function_error(lambda_client):
    with LambdaInvokeServer(failing, "failing").running() as server:
        response = lambda_client(server).invoke(FunctionName="failing", Payload=b"{}")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "the handler failed on purpose"
    assert any("in failing" in line for line in error["stackTrace"])
    assert error["requestId"]


def test_a_reply_that_cannot_be_serialised_is_a_marshal_error(lambda_client):
    with LambdaInvokeServer(unserialisable, "f").running() as server:
        response = lambda_client(server).invoke(FunctionName="f", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Runtime.MarshalError"
    assert "Unable to marshal response" in error["errorMessage"]


def test_other_paths_are_unknown_operations(echo_server):
    request = urllib.request.Request(
        f"{echo_server.endpoint_url}/2015-03-31/functions/echo", data=b"{}", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 404
    assert caught.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_it_serves_loopback_only_by_default():
    server = LambdaInvokeServer(echo)
    try:
        assert server.server_address[0] == "127.0.0.1"
        assert server.endpoint_url.startswith("http://127.0.0.1:")
    finally:
        server.server_close()
