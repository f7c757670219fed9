"""Reading template.yaml for the local emulator: the repository's own template, and bad ones."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from django_lambda_bridge.local import template
from django_lambda_bridge.local.template import TemplateError

ROOT = Path(__file__).resolve().parent.parent


def test_the_repositorys_template():
    read = template.load(ROOT / "template.yaml")
    assert set(read.functions) == {
        "ExchangeApiFunction", "ExchangeWorkerFunction", "CallbackApiFunction",
        "CallbackSenderFunction", "CallbackSweeperFunction",
    }  # fmt: skip
    api = read.functions["ExchangeApiFunction"]
    assert api.code_uri == ROOT / "example_project" / "exchange"
    assert api.handler == "exchange_service.lambda_function.handler"
    assert [(r.api, r.kind, r.path, r.method) for r in api.routes] == [
        ("ExchangeHttpApi", "HttpApi", "/", "ANY"),
        ("ExchangeHttpApi", "HttpApi", "/{proxy+}", "ANY"),
    ]
    assert read.apis["ExchangeHttpApi"].stage == "prod"
    # Globals merged: the function's own value wins; deploy-time values are named, not guessed.
    assert api.environment["LAMBDA_BRIDGE_FUNCTION_TIMEOUT"] == "30"
    assert api.environment["DATABASE_URL"] == "sqlite:////tmp/db.sqlite3"  # HasDatabase is false
    assert {"DJANGO_SECRET_KEY", "EXCHANGE_WORK_QUEUE_URL", "DJANGO_ALLOWED_HOSTS"} <= set(
        api.unresolved
    )
    sender = read.functions["CallbackSenderFunction"]
    assert [(q.queue, q.batch_size, q.report_failures) for q in sender.queues] == [
        ("CallbackQueue", 10, True)
    ]
    sweeper = read.functions["CallbackSweeperFunction"]
    assert [s.name for s in sweeper.schedules] == ["local-callback-sweeper"]
    assert sweeper.environment["CALLBACK_SWEEP_SCHEDULE"] == "local-callback-sweeper"
    assert "CallbackQueue" in read.queues


def test_parameter_overrides_and_conditions():
    read = template.load(
        ROOT / "template.yaml",
        {"Stage": "dev", "DatabaseHost": "db.local", "FunctionTimeout": "60"},
    )
    assert read.apis["CallbackHttpApi"].stage == "dev"
    api = read.functions["CallbackApiFunction"]
    assert api.environment["LAMBDA_BRIDGE_FUNCTION_TIMEOUT"] == "60"
    # No credentials in the URL: the password is read from the secret at connect time.
    assert api.environment["DATABASE_URL"] == "postgres://db.local:5432/app?sslmode=require"
    assert api.environment["DJANGO_DB_SECRET_ARN"] == ""  # the parameter's default
    assert api.environment["DJANGO_CONN_MAX_AGE"] == "none"


def write(tmp_path, body, code=True):
    if code:
        (tmp_path / "svc").mkdir(exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(body))
    return path


FUNCTION = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Name: {Type: String, Default: world}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
"""


def test_function_urls_rest_apis_and_events_not_emulated(tmp_path):
    path = write(tmp_path, FUNCTION + """
      FunctionUrlConfig: {AuthType: NONE}
      Environment:
        Variables:
          GREETING: !Sub "hello ${Name} in ${AWS::Region}"
          JOINED: !Join [",", [a, !Ref Name]]
      Events:
        Rest: {Type: Api, Properties: {Path: /items, Method: get}}
        Upload: {Type: S3, Properties: {Bucket: !Ref Bucket, Events: "s3:ObjectCreated:*"}}
""")  # fmt: skip
    fn = template.load(path).functions["Fn"]
    assert fn.environment == {"GREETING": "hello world in us-east-1", "JOINED": "a,world"}
    assert [(r.kind, r.path, r.method) for r in fn.routes] == [
        ("Api", "/items", "GET"),
        ("FunctionUrl", "/{proxy+}", "ANY"),
    ]
    assert fn.not_emulated == ["Upload (S3)"]


def _fn(old, new):
    return FUNCTION.replace(old, new)


EVENTS = "      Events:\n"
BAD = [
    ("Resources: 3\n", "no Resources"),
    ("Resources: {a: [\n", "not valid YAML"),
    (_fn("CodeUri: svc/", "CodeUri: missing/"), "Fn: CodeUri 'missing/' is not a folder"),
    (_fn("CodeUri: svc/", "CodeUri: {Bucket: b, Key: k}"), "Fn: CodeUri must be a local folder"),
    (_fn("Handler: app.handler", "Handler: handler"), "Fn: Handler must be 'module.function'"),
    (FUNCTION + EVENTS + "        Q: {Type: SQS, Properties: {Queue: arn:aws:sqs:x}}\n",
     "Fn: Events.Q: Queue must be !GetAtt"),
    (FUNCTION + EVENTS + "        E: {Properties: {}}\n", "Fn: Events.E needs a Type"),
    (FUNCTION + "      Environment: {Variables: [a]}\n", "Fn: Environment.Variables must be"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), BAD)
def test_what_cannot_be_emulated_is_named(tmp_path, body, message):
    with pytest.raises(TemplateError, match=re.escape(message)):
        template.load(write(tmp_path, body))


def test_unknown_overrides_and_conditions_are_errors(tmp_path):
    path = write(tmp_path, FUNCTION + """
      Environment:
        Variables:
          X: !If [Nope, a, b]
""")  # fmt: skip
    with pytest.raises(TemplateError, match=r"Unknown parameter.*Typo"):
        template.load(path, {"Typo": "1"})
    with pytest.raises(TemplateError, match="Condition 'Nope' is not defined"):
        template.load(path)


def test_a_missing_template_is_a_clear_error(tmp_path):
    with pytest.raises(TemplateError, match="Cannot read the template"):
        template.load(tmp_path / "nope.yaml")


QUEUES = """
Resources:
  Dead:
    Type: AWS::SQS::Queue
  Work:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 45
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 3}
"""


def test_local_start_makes_the_templates_queues_with_their_redrive(tmp_path, lambda_moto_server):
    from django_lambda_bridge.local import stack

    read = template.load(write(tmp_path, QUEUES, code=False))
    values = stack.create_resources(read, lambda_moto_server)
    sqs = lambda_moto_server.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=values["Work"]["Ref"], AttributeNames=["All"])
    attributes = attributes["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == values["Dead"]["Arn"]
    assert int(redrive["maxReceiveCount"]) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("VisibilityTimeout: 45", "VisibilityTimeout: !GetAtt Dead.Nope"),
         "Work: VisibilityTimeout"),
        (("!GetAtt Dead.Arn", "arn:aws:sqs:us-east-1:1:elsewhere"),
         "Work: RedrivePolicy.deadLetterTargetArn must be !GetAtt"),
        (("!GetAtt Dead.Arn", "!GetAtt Missing.Arn"), "name queues that are not in the template"),
    ],
)  # fmt: skip
def test_queues_local_start_cannot_make_are_named(tmp_path, lambda_moto_server, change, message):
    from django_lambda_bridge.local import stack

    read = template.load(write(tmp_path, QUEUES.replace(*change), code=False))
    with pytest.raises(TemplateError, match=re.escape(message)):
        stack.create_resources(read, lambda_moto_server)
