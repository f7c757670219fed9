"""Fixtures for the ops tests: the real handler, test-only commands, a clean container."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from django_lambda_bridge import conf as conf_module
from django_lambda_bridge.handler import LambdaHandler, make_handler
from django_lambda_bridge.ops.warmup import container
from django_lambda_bridge.testing import FakeContext

#: Commands in tests/ops/cmdapp, each misbehaving in its own way.
TEST_COMMANDS = (
    "ops_noisy",
    "ops_fail",
    "ops_exit",
    "ops_boom",
    "ops_prompt",
    "ops_pgpid",
    "ops_big",
)


@pytest.fixture
def build_handler(monkeypatch: pytest.MonkeyPatch) -> Callable[..., LambdaHandler]:
    """``make_handler`` as a deployment calls it; its settings are forgotten afterwards."""
    monkeypatch.setattr(conf_module, "_active", None)

    def build(**options: Any) -> LambdaHandler:
        return make_handler("tests.settings", **options)

    return build


@pytest.fixture
def handler(build_handler: Callable[..., LambdaHandler]) -> LambdaHandler:
    return build_handler()


@pytest.fixture
def ctx() -> FakeContext:
    return FakeContext()


@pytest.fixture
def cmdapp(settings: Any) -> tuple[str, ...]:
    """Install the app with the test-only commands; returns their names."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.ops.cmdapp"]
    return TEST_COMMANDS


@pytest.fixture
def new_container() -> None:
    """Pretend this process is a fresh execution environment."""
    container.reset()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> dict[str, str]:
    """Dummy credentials and no AWS config from this machine: only 127.0.0.1 is reached."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
