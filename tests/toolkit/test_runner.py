"""``manage.py test`` with ``LambdaDiscoverRunner``: the same switch, summary and verdicts."""

import re
import subprocess
import sys

import pytest

from tests.toolkit.runner import ROOT, clean_env, run_manage_test

ROUTED = "tests.toolkit.manage_suites.routed"
BYPASS = "tests.toolkit.manage_suites.bypass"


def routed_count(output):
    found = re.search(r"django-lambda-bridge: (\d+) test client requests went through", output)
    return int(found.group(1)) if found else None


def test_the_option_routes_the_clients_and_prints_the_count():
    run = run_manage_test(ROUTED, "--lambda-events=v1", env=clean_env())
    assert run.returncode == 0, run.stderr[-3000:]
    assert "test clients send v1 events under stage 'prod'" in run.stdout + run.stderr
    assert routed_count(run.stderr) == 8
    assert "WARNING" not in run.stderr


def test_parallel_workers_are_counted():
    run = run_manage_test(ROUTED, "--lambda-events=v2", "--parallel=2", env=clean_env())
    assert run.returncode == 0, run.stderr[-3000:]
    assert routed_count(run.stderr) == 8


def test_no_request_through_the_handler_fails_loudly():
    run = run_manage_test(BYPASS, env=clean_env(DJANGO_LAMBDA_EVENTS="v2"))
    assert run.returncode == 1
    assert "OK" in run.stderr  # every test passed: only the switch's proof is missing
    assert routed_count(run.stderr) == 0
    assert "1 test client requests bypassed the Lambda handler" in run.stderr
    assert "django-ninja's TestClient are never routed" in run.stderr
    assert "the run fails because of the above" in run.stderr
    assert "W090" not in run.stderr  # this runner does apply the switch


def test_strict_also_fails_a_partial_bypass():
    labels = (ROUTED, BYPASS)
    loose = run_manage_test(*labels, "--lambda-events=v1", env=clean_env())
    assert loose.returncode == 0, loose.stderr[-3000:]
    assert "WARNING: 1 test client requests bypassed" in loose.stderr
    strict = run_manage_test(*labels, "--lambda-events=v1", "--lambda-strict", env=clean_env())
    assert strict.returncode == 1
    assert "the run fails because of the above" in strict.stderr


def test_without_the_switch_it_is_djangos_runner():
    run = run_manage_test(BYPASS, env=clean_env())
    assert run.returncode == 0, run.stderr[-3000:]
    assert "django-lambda-bridge:" not in run.stderr + run.stdout


def test_a_bad_switch_is_refused():
    run = run_manage_test(
        ROUTED, env=clean_env(DJANGO_LAMBDA_EVENTS="v1", DJANGO_LAMBDA_STAGE="a/b")
    )
    assert run.returncode == 2
    assert "one path segment" in run.stderr


@pytest.mark.parametrize("events", ["", "v1"])
def test_the_app_config_imports_no_test_machinery(events):
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "import django.test\n"
        "assert 'django_lambda_bridge.testing' not in sys.modules, 'imported'\n"
        "assert django.test.Client.__module__ == 'django.test.client', 'patched'\n"
        "print('clean')\n"
    )
    env = clean_env(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
    if events:
        env["DJANGO_LAMBDA_EVENTS"] = events
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "clean", result.stderr


def test_the_switch_with_djangos_own_runner_warns_before_the_run():
    run = run_manage_test(BYPASS, env=clean_env(DJANGO_LAMBDA_EVENTS="v1"), runner=None)
    assert run.returncode == 0  # Django's runner: in-process, as before the switch
    assert "django_lambda_bridge.W090" in run.stderr
    assert "LambdaDiscoverRunner" in run.stderr
    ours = run_manage_test(BYPASS, env=clean_env(), runner=None)
    assert "W090" not in ours.stderr


def test_spawned_parallel_workers_are_routed_and_counted():
    """macOS's (and Python 3.14's) start methods re-import everything in each worker."""
    code = (
        "import multiprocessing\n"
        "multiprocessing.set_start_method('spawn')\n"
        "from django.core.management import execute_from_command_line\n"
        f"execute_from_command_line(['manage.py', 'test', {ROUTED!r}, '--parallel=2',\n"
        "    '--testrunner=django_lambda_bridge.testing.runner.LambdaDiscoverRunner',\n"
        "    '--lambda-events=v2'])\n"
    )
    env = clean_env(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert routed_count(run.stderr) == 8
