"""``manage.py test`` through the Lambda handler: a test runner the project opts into.

Set ``TEST_RUNNER = "django_lambda_bridge.testing.runner.LambdaDiscoverRunner"``
once; then ``manage.py test --lambda-events=v1`` (or ``DJANGO_LAMBDA_EVENTS=v1
manage.py test``) routes the standard clients, and without the switch the
runner is Django's own. After the run it prints the same summary line as the
pytest plugin and fails when the switch is on but no request went through the
handler; ``--lambda-strict`` also fails a run where some requests bypassed it.
Parallel runs (``--parallel``) add up every worker's count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.test.runner import DiscoverRunner, ParallelTestSuite

from django_lambda_bridge.apps import ENV_RUNNER_ACTIVE
from django_lambda_bridge.errors import ConfigurationError
from django_lambda_bridge.testing import tally
from django_lambda_bridge.testing.events import FORMATS
from django_lambda_bridge.testing.route import parse_media_types
from django_lambda_bridge.testing.switch import (
    active_route,
    route_clients,
    route_from_env,
    strict_from_env,
    unroute_clients,
)
from django_lambda_bridge.testing.tally import Tally

RouteArgs = tuple[str, str | None, str | None, tuple[str, ...] | None]

#: Django's own subsuite runner (a module-level function, as multiprocessing needs).
_DJANGO_RUN_SUBSUITE: Any = ParallelTestSuite.__dict__["run_subsuite"]

#: Directory where parallel workers leave their counts, one file per subsuite.
_tally_dir: str | None = None


def _worker_setup(route: RouteArgs | None, tally_dir: str | None) -> None:
    """Run in each spawned worker before it imports tests: the parent's switch, again."""
    global _tally_dir
    _tally_dir = tally_dir
    if route is not None:
        import django

        django.setup()  # Django's worker would do it next; the clients need the app registry
        route_clients(*route)


def _run_counted_subsuite(args: Any) -> Any:
    """Django's subsuite runner, leaving this subsuite's counts in the tally directory."""
    before = tally.process_tally()
    result = _DJANGO_RUN_SUBSUITE(args)
    if _tally_dir is not None:
        after = tally.process_tally()
        delta = Tally(after.routed - before.routed, after.bypassed - before.bypassed)
        path = Path(_tally_dir) / f"{os.getpid()}-{args[1]}.json"
        path.write_text(json.dumps(delta.as_dict()))
    return result


class LambdaParallelTestSuite(ParallelTestSuite):
    """Django's parallel suite, with workers that route clients and count requests."""

    run_subsuite = _run_counted_subsuite
    process_setup = _worker_setup


class LambdaDiscoverRunner(DiscoverRunner):
    """``DiscoverRunner`` with the ``--lambda-*`` switch."""

    parallel_test_suite = LambdaParallelTestSuite
    #: Tells the app's system check (W090) that this runner reads the switch.
    applies_lambda_switch = True

    def __init__(
        self,
        *args: Any,
        lambda_events: str | None = None,
        lambda_stage: str | None = None,
        lambda_handler: str | None = None,
        lambda_binary_media_types: str | None = None,
        lambda_strict: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        os.environ[ENV_RUNNER_ACTIVE] = "1"  # the app's W090 check: this runner reads the switch
        self.lambda_args = self._lambda_args(
            lambda_events, lambda_stage, lambda_handler, lambda_binary_media_types
        )
        strict_env = strict_from_env()
        self.lambda_strict = lambda_strict or strict_env
        self.lambda_tally: Tally | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        group = parser.add_argument_group("django-lambda-bridge")
        group.add_argument(
            "--lambda-events",
            choices=FORMATS,
            help="Send every Django/DRF test client request through the Lambda handler "
            "as events of this format (default: $DJANGO_LAMBDA_EVENTS, else in-process).",
        )
        group.add_argument(
            "--lambda-stage",
            help="API Gateway stage in the URL for v1/v2 events (v1 default: prod).",
        )
        group.add_argument("--lambda-handler", help="The handler as 'module:attribute'.")
        group.add_argument(
            "--lambda-binary-media-types",
            help="The REST API's binaryMediaTypes for v1 events (default '*/*').",
        )
        group.add_argument(
            "--lambda-strict",
            action="store_true",
            help="Also fail when some requests bypassed the Lambda handler.",
        )

    @staticmethod
    def _lambda_args(
        events: str | None, stage: str | None, handler: str | None, media: str | None
    ) -> RouteArgs | None:
        from_env = route_from_env()
        if not events:
            return from_env
        env_stage, env_handler, env_media = from_env[1:] if from_env else (None, None, None)
        return (
            events,
            stage if stage is not None else env_stage,
            handler or env_handler,
            parse_media_types(media) if media is not None else env_media,
        )

    def setup_test_environment(self, **kwargs: Any) -> None:
        # Before build_suite() imports the test modules, like the pytest plugin.
        super().setup_test_environment(**kwargs)
        if self.lambda_args is None:
            return
        global _tally_dir
        try:
            route_clients(*self.lambda_args)
        except ConfigurationError as exc:
            sys.stderr.write(f"django-lambda-bridge: {exc}\n")
            raise SystemExit(2) from exc
        _tally_dir = tempfile.mkdtemp(prefix="django-lambda-bridge-")
        LambdaParallelTestSuite.process_setup_args = (self.lambda_args, _tally_dir)
        route = active_route()
        self.log(f"django-lambda-bridge: test clients send {route.describe() if route else '?'}")

    def teardown_test_environment(self, **kwargs: Any) -> None:
        super().teardown_test_environment(**kwargs)
        if self.lambda_args is not None:
            self.lambda_tally = self._collect()
            unroute_clients()

    def _collect(self) -> Tally:
        global _tally_dir
        total = tally.process_tally()
        if _tally_dir is not None:
            for path in Path(_tally_dir).glob("*.json"):
                total.merge(json.loads(path.read_text()))
            shutil.rmtree(_tally_dir, ignore_errors=True)
            _tally_dir = None
        return total

    def suite_result(self, suite: Any, result: Any, **kwargs: Any) -> int:
        failures: int = super().suite_result(suite, result, **kwargs)
        total = self.lambda_tally
        if total is None:
            return failures
        sys.stderr.write(total.summary() + "\n")
        problems = total.problems()
        for problem in problems:
            sys.stderr.write(f"django-lambda-bridge: {problem}\n")
        if not total.routed or (problems and self.lambda_strict):
            sys.stderr.write("django-lambda-bridge: the run fails because of the above.\n")
            return failures + 1
        return failures
