"""``django-lambda-bridge local``: the repository's template served over real HTTP on loopback.

Each function runs in a worker process of its own (as each has its own Django
project); requests go through the real event path, API by API, port by port.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from django_lambda_bridge.local import emulator, template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
# Run by `nox -s template`, which installs both example services' requirements.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_pair() -> int:
    """A free port whose next one is free too: the two APIs take consecutive ports."""
    for _ in range(20):
        first = free_port()
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", first + 1))
        except OSError:
            continue
        return first
    raise AssertionError("no two consecutive free ports on 127.0.0.1")


def cli(*args, stdin=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "django_lambda_bridge.cli", *args],
        input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="module")
def env_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("emulator")
    data = {
        "Parameters": {"DJANGO_SECRET_KEY": "local-only", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"},
        "ExchangeApiFunction": {"DATABASE_URL": f"sqlite:///{folder / 'exchange.sqlite3'}"},
        "CallbackApiFunction": {"DATABASE_URL": f"sqlite:///{folder / 'callback.sqlite3'}"},
    }
    path = folder / "env.json"
    path.write_text(json.dumps(data))
    for function in ("ExchangeApiFunction", "CallbackApiFunction"):
        run = cli("local", "invoke", function, "--env-vars", str(path),
                  stdin='{"manage": ["migrate", "--noinput"]}')  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["exit_code"] == 0
    return path


@pytest.fixture(scope="module")
def running(env_file):
    read = template.load(TEMPLATE)
    system = emulator.Emulator(read, free_port_pair(), emulator.read_env_file(env_file))
    with system.running():
        yield system


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_each_api_gets_its_own_port_and_its_own_function(running):
    urls = {api: (url, functions) for api, url, functions in running.urls()}
    assert set(urls) == {"ExchangeHttpApi", "CallbackHttpApi"}
    assert urls["ExchangeHttpApi"][1] == ["ExchangeApiFunction"]
    assert urls["CallbackHttpApi"][1] == ["CallbackApiFunction"]
    ports = sorted(int(url.split(":")[2].split("/")[0]) for url, _ in urls.values())
    assert ports == [running.port, running.port + 1]
    for url, _ in urls.values():
        assert url.endswith("/prod/")
        status, body = get(url + "api/v1/health/")
        assert status == 200, body
        assert json.loads(body) == {"status": "ok", "database": "ok"}


def test_the_same_path_reaches_different_services(running):
    urls = {api: url for api, url, _ in running.urls()}
    exchange, _ = get(urls["ExchangeHttpApi"] + "api/v1/messages/")
    callback, body = get(urls["CallbackHttpApi"] + "api/v1/callbacks/")
    assert exchange == 401
    assert callback == 401
    assert b"credentials" in body
    assert get(urls["ExchangeHttpApi"] + "api/v1/callbacks/")[0] == 404  # not the exchange's


def test_outside_the_stage_is_the_gateways_404(running):
    base = running.urls()[0][1].rsplit("/prod/", 1)[0]
    status, body = get(base + "/other/path")
    assert status == 404
    assert json.loads(body) == {"message": "Not Found"}


def test_one_log_line_per_request_names_the_function(running, caplog):
    caplog.set_level(logging.INFO, logger="django_lambda_bridge.local")
    url = dict((api, u) for api, u, _ in running.urls())["CallbackHttpApi"]
    get(url + "api/v1/health/")
    lines = [r.getMessage() for r in caplog.records if "health" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("GET /prod/api/v1/health/ -> 200 (CallbackApiFunction, ")


def test_a_changed_file_restarts_its_worker(env_file, tmp_path):
    project = tmp_path / "callback"
    shutil.copytree(ROOT / "example_project" / "callback", project,
                    ignore=shutil.ignore_patterns("tests", "*.sqlite3", "__pycache__"))  # fmt: skip
    source = TEMPLATE.read_text().replace("example_project/callback/", str(project) + "/")
    copy = tmp_path / "template.yaml"
    copy.write_text(
        source.replace(
            "example_project/exchange/", str(ROOT / "example_project" / "exchange") + "/"
        )
    )
    system = emulator.Emulator(template.load(copy), free_port(), emulator.read_env_file(env_file))
    with system.running():
        worker = system.workers["CallbackApiFunction"]
        before = worker.process.pid
        assert system.reload_changed() == []
        later = time.time() + 5
        os.utime(project / "callbacks" / "views.py", (later, later))
        assert system.reload_changed() == ["CallbackApiFunction"]
        assert worker.process.pid != before
        url = dict((api, u) for api, u, _ in system.urls())["CallbackHttpApi"]
        assert get(url + "api/v1/health/")[0] == 200


def test_a_function_that_cannot_import_is_a_clear_error(tmp_path):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text("raise ImportError('boom')\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: svc/\n      Handler: app.handler\n"
        "      Events:\n        Web: {Type: HttpApi}\n"
    )
    system = emulator.Emulator(template.load(tmp_path / "template.yaml"), free_port())
    with pytest.raises(emulator.EmulatorError, match="Fn did not start"):
        system.start()
    system.stop()


def test_local_invoke_prints_the_reply(env_file):
    event = json.dumps({"warmup": True})
    run = cli("local", "invoke", "CallbackSweeperFunction", "--env-vars", str(env_file),
              stdin=event)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["warm"] is True


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["local", "invoke", "NoSuchFunction"], "{}", "no function 'NoSuchFunction'"),
        (["local", "invoke", "CallbackApiFunction"], "{not json", "the event is not JSON"),
        (["local", "invoke", "CallbackApiFunction", "--event", "/nope.json"], "", "cannot read"),
        (["local", "start-api", "--template", "/nope.yaml"], "", "Cannot read the template"),
        (["local", "start-api", "--parameter-overrides", "Stage"], "", "KEY=VALUE"),
        (["local", "start-api", "--env-vars", "/nope.json"], "", "Cannot read the env file"),
    ],
)
def test_mistakes_are_one_line_not_a_traceback(args, stdin, message):
    run = cli(*args, stdin=stdin)
    assert run.returncode == 1
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def worker_pids(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "django_lambda_bridge.local.worker" in cmdline and marker in cmdline:
            pids.append(int(proc.name))
    return pids


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
def test_workers_never_outlive_the_emulator(env_file, tmp_path, signal_name):
    import signal

    project = tmp_path / "svc-copy"
    shutil.copytree(ROOT / "example_project" / "callback", project,
                    ignore=shutil.ignore_patterns("tests", "*.sqlite3", "__pycache__"))  # fmt: skip
    copy = tmp_path / "template.yaml"
    source = TEMPLATE.read_text().replace("example_project/callback/", str(project) + "/")
    copy.write_text(source.replace(
        "example_project/exchange/", str(ROOT / "example_project" / "exchange") + "/"
    ))  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "django_lambda_bridge.cli", "local", "start-api", "--template",
         str(copy), "--env-vars", str(env_file), "--port", str(free_port_pair())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        output = []
        for line in process.stdout:
            output.append(line)
            if line.startswith("CallbackHttpApi:"):
                break
        else:
            raise AssertionError("the emulator stopped before serving:\n" + "".join(output))
        assert len(worker_pids(str(project))) == 1
        process.send_signal(getattr(signal, signal_name))
        process.wait(30)
        deadline = time.monotonic() + 10
        while worker_pids(str(project)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert worker_pids(str(project)) == []
        if signal_name == "SIGTERM":
            assert process.returncode == 0  # stopped as by Ctrl-C, cleaning up itself
    finally:
        if process.poll() is None:
            process.kill()


def test_rest_apis_and_function_urls_get_their_own_event_formats(env_file, tmp_path):
    """A REST API (payload v1, stage Prod) and a Function URL (v2, no stage) for one function."""
    code = ROOT / "example_project" / "callback"
    (tmp_path / "template.yaml").write_text(f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  CallbackApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}/
      Handler: callback_service.lambda_function.handler
      FunctionUrlConfig: {{AuthType: NONE}}
      Events:
        Rest: {{Type: Api, Properties: {{Path: /api/v1/health/, Method: get}}}}
""")
    read = template.load(tmp_path / "template.yaml")
    system = emulator.Emulator(read, free_port(), emulator.read_env_file(env_file))
    with system.running():
        urls = {api: url for api, url, _ in system.urls()}
        assert set(urls) == {"ServerlessApi", "CallbackApiFunctionUrl"}
        assert urls["ServerlessApi"].endswith("/Prod/")
        assert not urls["CallbackApiFunctionUrl"].endswith("/Prod/")
        for url in urls.values():
            status, body = get(url + "api/v1/health/")
            assert status == 200, body
        # Only GET /api/v1/health/ is routed on the REST API: the rest is its 403.
        status, body = get(urls["ServerlessApi"] + "api/v1/callbacks/")
        assert status == 403
        assert json.loads(body) == {"message": "Missing Authentication Token"}
        kinds = {g.api: g.fmt for g in system.gateways}
        assert kinds == {"ServerlessApi": "v1", "CallbackApiFunctionUrl": "function-url"}


def test_a_function_that_prints_a_lot_is_not_blocked(tmp_path):
    """What a function prints after start-up is passed on, never left to fill a pipe."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text(
        "def handler(event, context):\n"
        "    print('x' * 200_000)\n"
        "    return {'statusCode': 200, 'body': 'printed'}\n"
    )
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: svc/\n      Handler: app.handler\n"
        "      Events:\n        Web: {Type: HttpApi}\n"
    )
    system = emulator.Emulator(template.load(tmp_path / "template.yaml"), free_port())
    with system.running():
        (url,) = [u for _, u, _ in system.urls()]
        for _ in range(3):  # 600 KB in all: far past a pipe's 64 KB
            status, body = get(url + "print")  # {proxy+} needs a segment
            assert (status, body) == (200, b"printed")
