"""The plugin's summary proves the switch reached the clients, across xdist workers too."""

import json

import pytest

from tests.toolkit.runner import ROOT, SWITCH_VARIABLES

pytest_plugins = ["pytester"]

EARLY_CONFTEST = """
import json
import pytest
from django.test import RequestFactory
from django.test.client import ClientHandler

@pytest.fixture
def in_process_get():
    # A client built on Django's in-process handler, as some third-party clients are.
    def get(path):
        environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
        return json.loads(ClientHandler()(environ).content)
    return get
"""

TESTS = """
def test_routed(client):
    assert client.get("/echo/").json()["kind"] == "apigateway-http"

def test_bypassed(in_process_get):
    assert in_process_get("/echo/")["kind"] is None
"""

# A root conftest binds the client classes before the plugin's switch applies.
EARLY_BOUND_CONFTEST = """
import pytest
from django.test import Client as EarlyClient
from rest_framework.test import APIClient as EarlyAPIClient

@pytest.fixture
def early_client():
    return EarlyClient()

@pytest.fixture
def early_api_client(django_user_model):
    client = EarlyAPIClient()
    client.force_authenticate(django_user_model(username="forced"))
    return client
"""

EARLY_BOUND_TESTS = """
def test_django_client(early_client):
    reply = early_client.get("/echo/")
    assert reply.json()["kind"] == "apigateway-rest"
    assert type(early_client).__name__ == "LambdaClient"

def test_drf_client_keeps_its_forced_user(early_api_client):
    assert early_api_client.get("/echo/").json()["kind"] == "apigateway-rest"
    assert type(early_api_client).__name__ == "LambdaAPIClient"
    assert early_api_client.handler._force_user.username == "forced"

def test_absolute_link_from_a_reply_keeps_one_stage(early_client):
    reply = early_client.get("http://testserver/prod/echo/")
    assert (reply.json()["script_name"], reply.json()["path_info"]) == ("/prod", "/echo/")
"""


@pytest.fixture
def project(pytester, monkeypatch):
    for name in SWITCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", f"{ROOT / 'src'}:{ROOT}")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.settings")
    pytester.makeini("[pytest]\n")
    return pytester


def run(project, *args):
    return project.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_requests_that_bypass_the_handler_are_named_loudly(project):
    project.makeconftest(EARLY_CONFTEST)
    project.makepyfile(test_app=TESTS)
    result = run(project, "--lambda-events=v2")
    assert result.ret == 0  # a warning, not a failure, unless strict
    result.stdout.fnmatch_lines(
        [
            "django-lambda-bridge: 1 test client requests went through the Lambda handler",
            "django-lambda-bridge: WARNING: 1 test client requests bypassed the Lambda handler*",
        ]
    )


def test_clients_bound_before_the_switch_are_routed_too(project):
    project.makeconftest(EARLY_BOUND_CONFTEST)
    project.makepyfile(test_app=EARLY_BOUND_TESTS)
    result = run(project, "--lambda-events=v1", "--lambda-stage=prod", "--lambda-strict")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*: 3 test client requests went through the Lambda handler"])


def test_strict_fails_a_run_with_bypassed_requests(project):
    project.makeconftest(EARLY_CONFTEST)
    project.makepyfile(test_app=TESTS)
    result = run(project, "--lambda-events=v2", "--lambda-strict")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*--lambda-strict: the run fails because of the above."])


def test_strict_from_the_environment(project, monkeypatch):
    project.makeconftest(EARLY_CONFTEST)
    project.makepyfile(test_app=TESTS)
    monkeypatch.setenv("DJANGO_LAMBDA_STRICT", "1")
    assert run(project, "--lambda-events=v2").ret == pytest.ExitCode.TESTS_FAILED


def test_no_request_through_the_handler_is_a_warning_and_strict_fails(project):
    project.makepyfile(test_app="def test_nothing():\n    pass\n")
    loose = run(project, "--lambda-events=v1")
    assert loose.ret == 0
    loose.stdout.fnmatch_lines(
        ["*: 0 test client requests went through*", "*WARNING: the switch is on, but no test*"]
    )
    assert run(project, "--lambda-events=v1", "--lambda-strict").ret == 1


def test_a_clean_routed_run_has_no_warning(project):
    project.makepyfile(test_app="def test_routed(client):\n    client.get('/echo/')\n")
    result = run(project, "--lambda-events=v1", "--lambda-strict")
    assert result.ret == 0
    assert "WARNING" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*: 1 test client requests went through the Lambda handler"])


def test_without_the_switch_nothing_is_counted_or_printed(project):
    project.makeconftest(EARLY_CONFTEST)
    project.makepyfile(test_app="def test_x(in_process_get):\n    in_process_get('/echo/')\n")
    result = run(project, "--lambda-strict")
    assert result.ret == 0
    assert "django-lambda-bridge:" not in result.stdout.str()


# --- pytest-xdist -----------------------------------------------------------------

WORKER_CONFTEST = """
import json, os
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    config.workerinput = {"workerid": "gw0"}  # what xdist sets on a worker
    config.workeroutput = {}

def pytest_unconfigure(config):
    with open(os.environ["WORKER_OUTPUT"], "w") as f:
        json.dump(config.workeroutput, f)
"""


def test_a_worker_sends_its_counts_back_and_prints_nothing(project, tmp_path, monkeypatch):
    out = tmp_path / "workeroutput.json"
    monkeypatch.setenv("WORKER_OUTPUT", str(out))
    project.makeconftest(WORKER_CONFTEST + EARLY_CONFTEST)
    project.makepyfile(test_app=TESTS)
    result = run(project, "--lambda-events=v2", "--lambda-strict")
    assert result.ret == 0  # a worker's verdict is the controller's to give
    assert "went through the Lambda handler" not in result.stdout.str()
    assert json.loads(out.read_text()) == {"django_lambda_bridge": {"routed": 1, "bypassed": 1}}


CONTROLLER_TESTS = """
from types import SimpleNamespace

def test_workers_report(request, client):
    client.get("/echo/")
    for counts in ({"routed": 40, "bypassed": 0}, {"routed": 2, "bypassed": 7}, None):
        output = {"django_lambda_bridge": counts} if counts else {}
        node = SimpleNamespace(config=request.config, workeroutput=output)
        request.config.hook.pytest_testnodedown(node=node, error=None)
"""


def test_the_controller_adds_up_every_workers_counts(project):
    project.makepyfile(test_app=CONTROLLER_TESTS)
    result = run(project, "--lambda-events=v1")
    result.stdout.fnmatch_lines(
        [
            "django-lambda-bridge: 43 test client requests went through the Lambda handler",
            "*WARNING: 7 test client requests bypassed*",
        ]
    )


def test_a_real_xdist_run_counts_every_worker(project):
    pytest.importorskip("xdist", reason="pytest-xdist is not installed in this environment")
    project.makepyfile(
        test_app="\n".join(f"def test_{n}(client):\n    client.get('/echo/')\n" for n in range(6))
    )
    result = run(project, "--lambda-events=v2", "-n", "2", "--lambda-strict")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*: 6 test client requests went through the Lambda handler"])


# --- fixture names -------------------------------------------------------------------


def test_a_projects_own_generic_fixtures_do_not_clash_with_the_plugins(project):
    project.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def moto_server():
    return "the project's own, not a MotoServer"

@pytest.fixture
def invoke():
    return 42
"""
    )
    project.makepyfile(
        test_app="""
from django_lambda_bridge.testing.fixtures import Invoker

def test_both(moto_server, invoke, lambda_invoke, lambda_sqs_queue):
    assert moto_server == "the project's own, not a MotoServer"
    assert invoke == 42
    assert isinstance(lambda_invoke, Invoker)
    lambda_sqs_queue.send("x")
    assert [m["Body"] for m in lambda_sqs_queue.receive()] == ["x"]
"""
    )
    result = run(project)
    result.assert_outcomes(passed=1)
