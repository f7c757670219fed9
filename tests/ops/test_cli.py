"""The real CLI, through real boto3 over HTTP, against the real handler in a local Invoke API."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from django_lambda_bridge.cli import main
from django_lambda_bridge.local.invoke import LambdaInvokeServer
from tests.testapp.models import Widget

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("aws_env")


@pytest.fixture
def bridge_server(build_handler, cmdapp):
    """The project's real handler, deployed as function ``api`` with alias ``live``."""
    handler = build_handler(manage_commands=["migrate", "showmigrations", "check", *cmdapp])
    with LambdaInvokeServer(handler, "api", qualifiers={"live": "3"}).running() as server:
        yield server


def cli(server: LambdaInvokeServer, *args: str) -> list[str]:
    return [args[0], "--endpoint-url", server.endpoint_url, "--function", "api", *args[1:]]


def run(capsys: Any, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def table_exists() -> bool:
    with connection.cursor() as cursor:
        return Widget._meta.db_table in connection.introspection.table_names(cursor)


# --- manage ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migrate_runs_in_the_function_and_prints_its_output(bridge_server, capsys):
    code, out, err = run(capsys, cli(bridge_server, "manage", "--", "migrate", "--noinput"))
    assert (code, err) == (0, "")
    assert out.startswith("Operations to perform:\n")
    assert "No migrations to apply." in out


@pytest.mark.django_db(transaction=True)
def test_migrations_really_change_the_database(bridge_server, capsys):
    try:
        code, out, _ = run(
            capsys, cli(bridge_server, "manage", "--", "migrate", "testapp", "zero", "--noinput")
        )
        assert code == 0
        assert "Unapplying testapp.0001_initial... OK" in out
        assert not table_exists()
        code, out, _ = run(capsys, cli(bridge_server, "manage", "--", "showmigrations", "testapp"))
        assert (code, out) == (0, "testapp\n [ ] 0001_initial\n")
    finally:
        code, out, _ = run(capsys, cli(bridge_server, "manage", "--", "migrate", "--noinput"))
    assert code == 0
    assert "Applying testapp.0001_initial... OK" in out
    assert table_exists()


@pytest.mark.django_db(transaction=True)
def test_check_through_an_alias_without_the_separator(bridge_server, capsys):
    code, out, err = run(capsys, cli(bridge_server, "manage", "--qualifier", "live", "check"))
    assert (code, out, err) == (0, "System check identified no issues (0 silenced).\n", "")


@pytest.mark.django_db(transaction=True)
def test_a_refused_command_exits_2_and_says_why(bridge_server, capsys):
    code, out, err = run(capsys, cli(bridge_server, "manage", "--", "flush", "--noinput"))
    assert code == 2
    assert out == ""
    assert "Refused: The management command 'flush' may not be run" in err
    assert "LAMBDA_BRIDGE['MANAGE_COMMANDS']" in err


@pytest.mark.django_db(transaction=True)
def test_a_failing_command_propagates_its_exit_code_and_streams(bridge_server, capsys):
    code, out, err = run(capsys, cli(bridge_server, "manage", "--", "ops_fail", "--code", "5"))
    assert (code, out, err) == (5, "started\n", "CommandError: the custom failure\n")
    code, _, err = run(capsys, cli(bridge_server, "manage", "--", "migrate", "nosuchapp"))
    assert code == 1
    assert "No installed app with label 'nosuchapp'" in err


@pytest.mark.django_db(transaction=True)
def test_output_goes_to_the_matching_stream(bridge_server, capsys):
    code, out, err = run(capsys, cli(bridge_server, "manage", "--", "ops_noisy"))
    assert code == 0
    assert out == "to self.stdout\nto print\nto sys.stdout\n"
    assert err == "to self.stderr\nto sys.stderr\nWARNING tests.ops.noisy: to logging\n"


def test_a_function_error_is_printed_and_exits_1(aws_env, capsys):
    def broken(event: Any, context: Any) -> Any:
        raise RuntimeError("could not reach the database")

    with LambdaInvokeServer(broken, "api").running() as server:
        code, out, err = run(capsys, cli(server, "manage", "--", "migrate"))
    assert code == 1
    assert out == ""
    assert "The function failed (Unhandled): RuntimeError: could not reach the database" in err
    assert "Traceback (in the function):" in err
    assert "in broken" in err


@pytest.mark.parametrize(
    ("reply", "code", "message"),
    [
        ({"exit_code": 256, "stdout": "", "stderr": "x\n"}, 1, "x\n"),
        ({"exit_code": -1, "stdout": "", "stderr": ""}, 1, ""),
        ({"statusCode": 200}, 1, "is not a management command result"),
        ({"exit_code": True, "stdout": "", "stderr": ""}, 1, "is not a management command"),
    ],
)
def test_replies_that_would_look_like_success_do_not(aws_env, capsys, reply, code, message):
    def fake_function(event: Any, context: Any) -> Any:
        return reply

    with LambdaInvokeServer(fake_function, "api").running() as server:
        got, _, err = run(capsys, cli(server, "manage", "--", "migrate"))
    assert got == code
    assert message in err


def test_an_unknown_function_or_alias_is_a_clear_error(aws_env, capsys):
    with LambdaInvokeServer(lambda e, c: {}, "other").running() as server:
        code, _, err = run(capsys, cli(server, "manage", "--", "check"))
        assert code == 1
        assert err.startswith("django-lambda-bridge manage: could not invoke api: ")
        assert "ResourceNotFoundException: Function not found" in err
        code, _, err = run(capsys, cli(server, "manage", "--qualifier", "nope", "--", "check"))
        assert "could not invoke api:nope: ResourceNotFoundException" in err


def test_an_unreachable_endpoint_is_a_clear_error(aws_env, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = run(
        capsys,
        ["manage", "--endpoint-url", f"http://127.0.0.1:{port}", "-f", "api", "--", "check"],
    )
    assert (code, out) == (1, "")
    assert err.startswith("django-lambda-bridge manage: could not invoke api: ")
    assert "Could not connect to the endpoint URL" in err
    assert "Traceback" not in err


def test_no_region_is_a_clear_error(aws_env, monkeypatch, capsys):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, _, err = run(capsys, ["manage", "--function", "api", "--", "check"])
    assert code == 1
    assert "You must specify a region" in err


def test_a_command_is_required(aws_env, capsys):
    code, _, err = run(capsys, ["manage", "--function", "api", "--"])
    assert code == 1
    assert "name the management command after --" in err
    with pytest.raises(SystemExit) as caught:
        main(["manage", "--", "migrate"])  # --function is required
    assert caught.value.code == 2
    assert main([]) == 2


# --- invoke ---------------------------------------------------------------------------------


def test_invoke_sends_an_event_file_and_prints_the_reply(bridge_server, tmp_path, capsys):
    event = tmp_path / "warm.json"
    event.write_text('{"warmup": true}')
    code, out, err = run(capsys, cli(bridge_server, "invoke", "--event", str(event)))
    assert (code, err) == (0, "")
    reply = json.loads(out)
    assert reply["warm"] is True


def test_invoke_reads_stdin_and_reports_function_errors(bridge_server, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", _Stdin('{"neither": "here nor there"}'))
    code, out, err = run(capsys, cli(bridge_server, "invoke", "--event", "-"))
    assert code == 1
    assert out == ""
    assert "UnknownEventError: Cannot tell what kind of event this is" in err
    assert "top-level keys: neither" in err


def test_invoke_rejects_bad_event_files(aws_env, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    code, _, err = run(capsys, ["invoke", "-f", "api", "--event", str(bad)])
    assert code == 1
    assert f"the event in {bad} is not valid JSON" in err
    code, _, err = run(capsys, ["invoke", "-f", "api", "--event", str(tmp_path / "none.json")])
    assert code == 1
    assert "cannot read the event file" in err


def test_invoke_can_show_the_log_tail_and_queue_events(bridge_server, capsys):
    code, _, err = run(capsys, cli(bridge_server, "invoke", "--log"))
    assert code == 1  # {} is not an event the handler knows
    assert err.startswith("START RequestId: ")
    assert "Rejected event: top-level keys: (none)" in err
    assert "The function failed (Unhandled): UnknownEventError" in err
    code, out, err = run(capsys, cli(bridge_server, "invoke", "--invocation-type", "Event"))
    assert (code, out, err) == (0, "", "Accepted (202).\n")


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def read(self) -> str:
        return self.text


# --- as a program -------------------------------------------------------------------------


def _subprocess_env(aws_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws_env)
    env["PYTHONPATH"] = str(REPO / "src")
    return env


@pytest.mark.django_db(transaction=True)
def test_the_console_script_runs_a_command_and_exits_with_its_code(bridge_server, aws_env):
    script = shutil.which("django-lambda-bridge", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "django_lambda_bridge.cli"]
    ok = subprocess.run(
        [*command, *cli(bridge_server, "manage", "--", "showmigrations", "testapp")],
        env=_subprocess_env(aws_env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "testapp\n [X] 0001_initial\n", "")
    failed = subprocess.run(
        [*command, *cli(bridge_server, "manage", "--", "ops_fail", "--code", "9")],
        env=_subprocess_env(aws_env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (failed.returncode, failed.stdout) == (9, "started\n")
    assert failed.stderr == "CommandError: the custom failure\n"


def test_without_boto3_the_cli_says_how_to_install_it(aws_env):
    program = (
        "import sys; sys.modules['boto3'] = None\n"
        "from django_lambda_bridge.cli import main\n"
        "sys.exit(main(['manage', '--function', 'api', '--', 'migrate']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        env=_subprocess_env(aws_env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "needs boto3, which is not installed" in result.stderr
    assert "pip install 'django-lambda-bridge[aws]'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "module",
    ["django_lambda_bridge.handler", "django_lambda_bridge.cli", "django_lambda_bridge.ops.manage"],
)
def test_boto3_stays_off_the_import_path(aws_env, module):
    program = (
        "import sys, django\n"
        "from django.conf import settings\n"
        f"import {module}\n"
        "from django_lambda_bridge import make_handler\n"
        "make_handler('tests.settings')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    env = _subprocess_env(aws_env)
    env["PYTHONPATH"] = f"{REPO / 'src'}{os.pathsep}{REPO}"
    result = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_start_lambda_serves_a_project_for_the_other_commands(aws_env, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _subprocess_env(aws_env)
    env["PYTHONPATH"] = f"{REPO / 'src'}{os.pathsep}{REPO}"
    program = [sys.executable, "-m", "django_lambda_bridge.cli", "start-lambda"]
    server = subprocess.Popen(
        [*program, "--handler", "tests.ops.lambda_function.handler", "--port", str(port)],
        env=env,
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        banner = server.stderr.readline()  # printed once the handler is built
        assert "Serving the Lambda Invoke API for function 'function' at " in banner
        _wait_for_port(port, server)
        endpoint = ["--endpoint-url", f"http://127.0.0.1:{port}", "--function", "function"]
        code, out, err = run(capsys, ["manage", *endpoint, "--", "check"])
        assert (code, out, err) == (0, "System check identified no issues (0 silenced).\n", "")
        code, out, _ = run(capsys, ["invoke", *endpoint])
        assert code == 1  # {} is no known event: the handler raised, as on AWS
        code, _, err = run(capsys, ["manage", *endpoint, "--", "flush"])
        assert code == 2
        assert "'flush' may not be run" in err
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    while process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            continue
    raise AssertionError(f"start-lambda exited with {process.returncode}")
