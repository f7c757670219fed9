"""Run a test suite in a child process and read back each test's outcome."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SWITCH_VARIABLES = (
    "DJANGO_LAMBDA_EVENTS",
    "DJANGO_LAMBDA_STAGE",
    "DJANGO_LAMBDA_HANDLER",
    "DJANGO_LAMBDA_BINARY_MEDIA_TYPES",
    "DJANGO_LAMBDA_STRICT",
)
LAMBDA_RUNNER = "django_lambda_bridge.testing.runner.LambdaDiscoverRunner"


@dataclass
class SuiteRun:
    returncode: int
    output: str
    outcomes: dict[str, str]

    @property
    def lambda_requests(self):
        found = re.search(r"django-lambda-bridge: (\d+) test client requests", self.output)
        return int(found.group(1)) if found else None

    def failed(self):
        return {name for name, outcome in self.outcomes.items() if outcome != "passed"}


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in SWITCH_VARIABLES}
    env.update(extra)
    return env


def run_pytest(tmp_path, *args, env=None):
    report = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", *args],
        cwd=ROOT,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    outcomes = {}
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            name = f"{case.get('classname')}.{case.get('name')}"
            tags = {child.tag for child in case}
            if tags & {"failure", "error"}:
                outcomes[name] = "failed"
            elif "skipped" in tags:
                outcomes[name] = "skipped"
            else:
                outcomes[name] = "passed"
    return SuiteRun(result.returncode, result.stdout + result.stderr, outcomes)


def run_manage_test(*labels, env, runner=LAMBDA_RUNNER):
    """``manage.py test`` with the Lambda runner, as a project that set TEST_RUNNER to it."""
    runner_option = [f"--testrunner={runner}"] if runner else []
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "test",
            *labels,
            "--settings=tests.settings",
            "-v",
            "2",
            *runner_option,
        ],
        cwd=ROOT,
        env={**env, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},  # this tree, not an installed copy
        capture_output=True,
        text=True,
        timeout=600,
    )
