"""Whole execution environments (one process each) against a real server and moto:
one connection per environment, a server restart between invocations, a password
rotation mid-run, and SIGTERM closing the connection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from django_lambda_bridge.testing.events import http_event
from django_lambda_bridge.testing.records import sqs_event, sqs_record
from tests.db.conftest import superuser_connection

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[2]


class Environment:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.db.envproject.run"],
            cwd=REPO,
            env={**env, "ENV_NAME": name},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._read_until("@@ready")

    def _read_until(self, marker: str) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(marker):
                return line[len(marker) :].strip()
            self.output.append(line.rstrip("\n"))
        raise AssertionError(f"environment exited: {self.process.wait()}\n" + self.log())

    def send(self, event: dict) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict:
        return json.loads(self._read_until("@@reply"))

    def invoke(self, event: dict) -> dict:
        self.send(event)
        return self.reply()

    def get(self, path: str) -> dict:
        reply = self.invoke(http_event("v2", "GET", path))
        assert reply.get("statusCode") == 200, (reply, self.log())
        return json.loads(reply["body"])

    def log(self) -> str:
        return "\n".join(self.output)

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.output if line.startswith("{")]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def environments(auth_cluster, db_secret, lambda_aws_env):
    secret, _ = db_secret
    base = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
        "ENV_DB_HOST": auth_cluster.host,
        "ENV_DB_PORT": str(auth_cluster.port),
        "ENV_DB_SECRET": secret,
        "DJANGO_SETTINGS_MODULE": "tests.db.envproject.settings",
    }
    made: list[Environment] = []

    def start() -> Environment:
        made.append(Environment(f"env-{uuid.uuid4().hex[:8]}", base))
        return made[-1]

    yield start
    for environment in made:
        environment.stop()


def server_count(role, name: str) -> int:
    with role.admin.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
        return int(cur.fetchone()[0])


def test_each_environment_holds_at_most_one_connection(environments, role):
    first, second = environments(), environments()
    for i in range(6):
        for env in (first, second):
            assert env.get("/count/") == {"connections": 1}
            records = [sqs_record("ok", queue="env-jobs") for _ in range(3)]
            if i % 2:
                records.append(sqs_record("fail", queue="env-jobs"))
            reply = env.invoke(sqs_event(*records))
            assert len(reply["batchItemFailures"]) == i % 2, env.log()
            assert server_count(role, env.name) == 1
    assert len(role.backends()) == 2  # two environments, two connections, whatever the load


def test_a_server_restart_between_invocations_costs_nothing(environments, role, auth_cluster):
    env = environments()
    assert env.get("/count/") == {"connections": 1}
    old = role.backends()
    auth_cluster.restart()  # the environment's connection is now dead; it does not know
    role.admin = superuser_connection(auth_cluster)  # ours died too
    assert env.get("/count/") == {"connections": 1}  # health check: reconnected first
    assert role.backends()
    assert role.backends() != old
    reply = env.invoke(sqs_event(sqs_record("ok", queue="env-jobs")))
    assert reply == {"batchItemFailures": []}


def test_a_restart_during_an_invocation_fails_only_the_work_in_flight(
    environments, role, auth_cluster
):
    env = environments()
    assert env.get("/count/") == {"connections": 1}
    slow, quick = sqs_record("slow", queue="env-jobs"), sqs_record("ok", queue="env-jobs")
    env.send(sqs_event(slow, quick))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until the slow record's query is running
        with role.admin.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%'"
            )
            if cur.fetchone()[0]:
                break
        time.sleep(0.05)
    auth_cluster.restart()
    role.admin = superuser_connection(auth_cluster)
    reply = env.reply()
    # The record in flight failed, and so did any that ran while the server was going
    # down: reported for redelivery, or the whole batch raised for Lambda to retry.
    # Nothing is reported done that was not.
    if "raised" in reply:
        assert reply["raised"] == "BatchFailedError", reply
    else:
        failed = {f["itemIdentifier"] for f in reply["batchItemFailures"]}
        assert slow["messageId"] in failed, reply
    # The redelivery, once the server is back, runs on a new connection.
    assert env.invoke(sqs_event(quick)) == {"batchItemFailures": []}, env.log()
    assert env.get("/count/") == {"connections": 1}


def test_a_password_rotation_mid_run_is_picked_up_by_the_next_connection(
    environments, role, db_secret
):
    _, rotate = db_secret
    env = environments()
    assert env.get("/count/") == {"connections": 1}
    rotate("rotated-" + uuid.uuid4().hex)
    assert env.get("/count/") == {"connections": 1}  # the open connection still works
    with role.admin.cursor() as cur:  # the connection ends (idle timeout, failover...)
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s", [env.name])  # fmt: skip
    assert env.get("/count/") == {"connections": 1}  # new connection, with the new password
    refused = [
        line for line in env.json_lines() if "refused the credentials" in line.get("message", "")
    ]
    assert len(refused) == 1
    assert role.password not in env.log()


def test_sigterm_closes_the_connection_and_exits_cleanly(environments, role):
    env = environments()
    assert env.get("/count/") == {"connections": 1}
    env.process.send_signal(signal.SIGTERM)
    assert env.process.wait(timeout=30) == 0
    env._read_rest = env.process.stdout.read() if env.process.stdout else ""
    deadline = time.monotonic() + 5
    while server_count(role, env.name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_count(role, env.name) == 0  # closed by us, not left for the server to find
    assert "SIGTERM: closing database connections" in env._read_rest


def test_every_invocation_writes_its_metrics(environments):
    env = environments()
    env.get("/count/")
    env.invoke(sqs_event(sqs_record("ok", queue="env-jobs"), sqs_record("fail", queue="env-jobs")))
    emf = [line for line in env.json_lines() if "_aws" in line]
    assert len(emf) == 2
    http, batch = ({k: v[0] if isinstance(v, list) else v for k, v in m.items()} for m in emf)
    assert http["Requests"] == 1.0
    assert http["Http5xx"] == 0.0
    assert http["ColdStart"] == 1.0
    assert batch["BatchItemFailures"] == 1.0
    assert "ColdStart" not in batch
    assert {m["Name"] for m in http["_aws"]["CloudWatchMetrics"][0]["Metrics"]} >= {
        "Requests", "Http4xx", "Http5xx", "Latency"
    }  # fmt: skip
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "EnvTests"
