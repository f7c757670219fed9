"""The route table: matching, overlaps, autodiscovery, the command and the check."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from django_lambda_bridge import events
from django_lambda_bridge.errors import (
    AmbiguousRouteError,
    NoRouteError,
    RouteConflictError,
)
from django_lambda_bridge.events.checks import check_routes
from django_lambda_bridge.events.routes import Router, arn_resource_name
from django_lambda_bridge.kinds import Kind

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:callbacks"


def noop(arg):
    return arg


def other(arg):
    return arg


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        (QUEUE_ARN, "callbacks"),
        ("arn:aws:sns:eu-west-1:1:topic.fifo", "topic.fifo"),
        ("arn:aws:dynamodb:us-east-1:1:table/orders/stream/2026-01-01T00:00:00.000", "orders"),
        ("arn:aws:kinesis:us-east-1:1:stream/clicks", "clicks"),
        ("arn:aws:events:us-east-1:1:rule/custom-bus/nightly", "nightly"),
        ("plain-name", "plain-name"),
    ],
)
def test_arn_resource_name(arn, name):
    assert arn_resource_name(arn) == name


def test_queue_by_name_matches_any_region_and_arn_only_exactly(router: Router):
    router.sqs(queue="callbacks")(noop)
    by_arn = Router()
    by_arn.sqs(queue=QUEUE_ARN)(noop)
    elsewhere = "arn:aws:sqs:eu-west-1:999999999999:callbacks"
    assert router.find(Kind.SQS, {"arn": elsewhere}, "x") is not None
    assert by_arn.find(Kind.SQS, {"arn": QUEUE_ARN}, "x") is not None
    assert by_arn.find(Kind.SQS, {"arn": elsewhere}, "x") is None
    assert router.find(Kind.SQS, {"arn": QUEUE_ARN.replace("callbacks", "other")}, "x") is None


def test_dynamodb_route_by_table_arn_matches_its_stream(router: Router):
    router.dynamodb(table="arn:aws:dynamodb:us-east-1:1:table/orders")(noop)
    stream = "arn:aws:dynamodb:us-east-1:1:table/orders/stream/2026-01-01T00:00:00.000"
    assert router.find(Kind.DYNAMODB, {"arn": stream}, "x") is not None
    other_table = stream.replace("orders", "ordersx")
    assert router.find(Kind.DYNAMODB, {"arn": other_table}, "x") is None


def test_s3_filters_use_the_decoded_key(router: Router):
    router.s3(bucket="media", prefix="in box/", suffix=".pdf")(noop)
    assert router.find(Kind.S3, {"bucket": "media", "key": "in+box/a+b.pdf"}, "x")
    assert router.find(Kind.S3, {"bucket": "media", "key": "in+box/a.png"}, "x") is None
    assert router.find(Kind.S3, {"bucket": "other", "key": "in+box/a.pdf"}, "x") is None


@pytest.mark.parametrize(
    ("name", "arn", "matches"),
    [
        ("nightly", "arn:aws:events:us-east-1:1:rule/nightly", True),
        ("nightly", "arn:aws:events:us-east-1:1:rule/bus/nightly", True),
        ("bus/nightly", "arn:aws:events:us-east-1:1:rule/bus/nightly", True),
        ("bus/nightly", "arn:aws:events:us-east-1:1:rule/nightly", False),
        ("nightly", "arn:aws:scheduler:us-east-1:1:schedule/default/nightly", True),
        ("ops/nightly", "arn:aws:scheduler:us-east-1:1:schedule/default/nightly", False),
        ("nightly", "arn:aws:events:us-east-1:1:rule/nightly-2", False),
    ],
)
def test_schedule_names(router: Router, name, arn, matches):
    router.schedule(name)(noop)
    assert (router.find(Kind.SCHEDULE, {"resources": [arn]}, "x") is not None) is matches


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        (lambda r: r.sqs(queue="a"), lambda r: r.sqs(queue="b"), False),
        (lambda r: r.sqs(queue="a"), lambda r: r.sqs(), True),
        (lambda r: r.sqs(queue="a"), lambda r: r.sqs(queue="arn:aws:sqs:r:1:a"), True),
        (
            lambda r: r.sqs(queue="arn:aws:sqs:r:1:a"),
            lambda r: r.sqs(queue="arn:aws:sqs:r:2:a"),
            False,
        ),
        (lambda r: r.sqs(queue="a"), lambda r: r.sns(topic="a"), False),
        (
            lambda r: r.s3(bucket="b", prefix="in/"),
            lambda r: r.s3(bucket="b", prefix="in/x/"),
            True,
        ),
        (
            lambda r: r.s3(bucket="b", prefix="in/"),
            lambda r: r.s3(bucket="b", prefix="out/"),
            False,
        ),
        (
            lambda r: r.s3(bucket="b", suffix=".jpg"),
            lambda r: r.s3(bucket="b", suffix=".png"),
            False,
        ),
        (lambda r: r.s3(prefix="in/"), lambda r: r.s3(bucket="b", suffix=".png"), True),
        (lambda r: r.eventbridge(source="s"), lambda r: r.eventbridge(detail_type="d"), True),
        (
            lambda r: r.eventbridge(source="s", detail_type="a"),
            lambda r: r.eventbridge(source="s", detail_type="b"),
            False,
        ),
        (lambda r: r.schedule("nightly"), lambda r: r.schedule("bus/nightly"), True),
        (lambda r: r.schedule("nightly"), lambda r: r.schedule("hourly"), False),
        (lambda r: r.invoke("a"), lambda r: r.invoke("a"), True),
        (lambda r: r.cloudwatch_logs(), lambda r: r.cloudwatch_logs("/g"), True),
    ],
)
def test_overlaps_are_conflicts(router: Router, first, second, overlap):
    first(router)(noop)
    second(router)(other)
    assert bool(router.conflicts()) is overlap
    if overlap:
        with pytest.raises(RouteConflictError, match=r"noop.*other|other.*noop"):
            router.check()
    else:
        router.check()


def test_stacked_decorators_add_routes_and_redeclaring_replaces(router: Router):
    router.sqs(queue="a")(router.sqs(queue="b")(noop))
    assert [r.filter("queue") for r in router] == ["b", "a"]

    def again(arg):  # the same module and name again: what a re-import produces
        return arg

    again.__qualname__ = "noop"
    router.sqs(queue="a")(again)
    assert [r.filter("queue") for r in router] == ["b", "a"]
    assert router.routes()[-1].func is again
    assert not router.conflicts()


def test_ambiguous_match_at_dispatch_runs_nothing(router: Router):
    router.sqs()(noop)
    router.sqs(queue="callbacks")(other)
    with pytest.raises(AmbiguousRouteError, match="matches 2 routes"):
        router.get(Kind.SQS, {"arn": QUEUE_ARN}, "the record")


def test_no_route_names_the_candidates(router: Router):
    router.sqs(queue="billing")(noop)
    with pytest.raises(NoRouteError, match=r"@events\.sqs\(queue='billing'\)"):
        router.get(Kind.SQS, {"arn": QUEUE_ARN}, "the record")


def test_bad_decorator_arguments_fail_at_import(router: Router):
    with pytest.raises(TypeError, match="must be a str"):
        router.sqs(queue=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="name"):
        router.invoke("")
    with pytest.raises(TypeError, match="name"):
        router.schedule(None)  # type: ignore[arg-type]


def test_decorator_returns_the_function_unchanged(router: Router):
    assert router.kinesis(stream="s")(noop) is noop


def test_autodiscovery_found_the_test_apps_routes():
    names = {route.name for route in events.router}
    assert "tests.events.eventsapp.lambda_events.job" in names
    assert "tests.events.eventsapp.lambda_events.reindex" in names


def test_lambda_routes_command_lists_routes():
    out = StringIO()
    call_command("lambda_routes", stdout=out)
    text = out.getvalue()
    assert "@events.sqs(queue='eventsapp-jobs')" in text
    assert "tests.events.eventsapp.lambda_events.atomic_job" in text
    out = StringIO()
    call_command("lambda_routes", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    atomic = next(r for r in rows if r["handler"].endswith(".atomic_job"))
    assert atomic == {**atomic, "atomic": True, "using": "postgres", "kind": "sqs"}


@pytest.fixture
def conflicting_route():
    def clash(record):
        return record

    events.sqs(queue="eventsapp-jobs")(clash)
    yield clash
    events.router._routes = [r for r in events.router if r.func is not clash]


def test_overlapping_routes_are_reported_by_check_command_and_handler_init(conflicting_route):
    errors = check_routes()
    assert [e.id for e in errors] == ["django_lambda_bridge.E010"]
    assert "clash" in errors[0].msg
    err = StringIO()
    call_command("lambda_routes", stdout=StringIO(), stderr=err)
    assert "Ambiguous" in err.getvalue()
    from django_lambda_bridge.conf import BridgeSettings
    from django_lambda_bridge.handler import LambdaHandler

    with pytest.raises(RouteConflictError, match="eventsapp-jobs"):
        LambdaHandler(BridgeSettings(WARM_UP=False))


def test_check_is_clean_for_the_test_project():
    assert check_routes() == []


def test_importing_events_stays_cheap():
    code = (
        "import sys, django_lambda_bridge as d\n"
        "from django_lambda_bridge import events\n"
        "assert d.events is events\n"
        "@events.sqs(queue='q')\n"
        "def f(record): pass\n"
        "heavy = [m for m in ('boto3', 'botocore', 'aws_lambda_powertools', 'django.db')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
