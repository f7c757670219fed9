"""Test, lint and demo sessions, on whichever supported Pythons this machine has.

``nox -s tests`` is the README's (and CI's) test command: every installed
Python once and every Django line once (rules in ``nox_matrix.plan_tests``).
``nox -s matrix`` runs every supported cell whose Python is installed, ``nox -s
lint`` ruff and mypy, ``nox -s demo`` the demo service through the local Lambda
emulator. Cells whose Python is missing are listed as skipped, with the reason.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import nox_matrix  # noqa: E402  (needs ROOT on sys.path)
from nox_matrix import DJANGO_REQUIREMENT, MATRIX, Cell, Plan  # noqa: E402

nox.options.sessions = ["tests", "lint"]
nox.options.error_on_missing_interpreters = True
# uv makes each session's virtualenv and installs in seconds rather than a minute (the
# README's commands install it beside nox); without uv, nox falls back to virtualenv.
nox.options.default_venv_backend = "uv|virtualenv"
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")  # this machine's interpreters only
# Compile .pyc at install as pip does: with PYTHONDONTWRITEBYTECODE set (as on this
# machine), nothing else would, and every subprocess a test starts would compile Django.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")
if hasattr(nox.options, "download_python"):
    nox.options.download_python = "never"  # use this machine's interpreters, fetch nothing

os.environ["PATH"] = os.pathsep.join(
    [*nox_matrix.pyenv_bin_dirs(os.environ.get("PYENV_ROOT", "~/.pyenv")), os.environ["PATH"]]
)
INTERPRETERS = nox_matrix.find_interpreters(os.environ["PATH"])
TESTS_PLAN = nox_matrix.plan_tests(INTERPRETERS)
MATRIX_PLAN = nox_matrix.plan_matrix(INTERPRETERS)
LINT = nox_matrix.pick_lint(INTERPRETERS)
DEMO = nox_matrix.pick_demo(INTERPRETERS)


def _params(plan: Plan) -> list[object]:
    """One session per matrix cell; a skipped cell gets no virtualenv (python=False)."""
    return [
        nox.param(
            cell.python if cell in plan.run else False,
            cell.django,
            plan.reason(cell) or "",
            id=cell.id,
        )
        for cell in MATRIX
    ]


EXAMPLES = ROOT / "example_project"
#: The example services' suites run in these modes: in-process, API Gateway REST
#: with a stage, HTTP API. Each mode once per run, spread over the cells.
EXAMPLE_MODES: dict[str, list[str]] = {
    "in-process": [],
    "v1-prod": ["--lambda-events=v1", "--lambda-stage=prod", "--lambda-binary-media-types=*/*"],
    "v2": ["--lambda-events=v2"],
}
#: Example services with their own suites (each folder has requirements-test.txt), and what
#: their SQLite in-process run leaves out (the modes run everything).
EXAMPLE_SERVICES: dict[str, list[str]] = {
    "exchange": ["-m", "not browser"],
    "callback": [],
}
#: Kept for the tests and older notes: the exchange's modes are the examples' modes.
EXCHANGE = EXAMPLES / "exchange"
EXCHANGE_MODES = EXAMPLE_MODES


#: Modes each service's suite runs on PostgreSQL. The callback suite's in-process run is
#: its SQLite one (its PostgreSQL races run in both Lambda modes), to keep CI under 15 min.
SERVICE_MODES: dict[str, list[str]] = {
    "exchange": list(EXAMPLE_MODES),
    "callback": ["v1-prod", "v2"],
}


def _exchange_modes(plan: Plan, cell: Cell, modes: list[str] | None = None) -> list[str]:
    """Each mode once per run: one per cell, and the last cell takes what is left."""
    modes = list(EXAMPLE_MODES) if modes is None else modes
    index = plan.run.index(cell)
    if index == len(plan.run) - 1:
        return modes[index:] if index < len(modes) else []
    return [modes[index]] if index < len(modes) else []


def _have_postgres() -> bool:
    from tests.postgres import PostgresUnavailable, find_binaries

    try:
        find_binaries()
    except PostgresUnavailable:
        return False
    return True


def _run_examples(session: nox.Session, plan: Plan, cell: Cell) -> None:
    """Each example service's own suite on PostgreSQL (and SQLite in the first cell)."""
    database = ["python", str(ROOT / "tests" / "with_postgres.py"), "--"]
    if not _have_postgres():
        if os.environ.get("CI"):
            session.error("CI needs PostgreSQL for the example suites: initdb was not found")
        session.log("initdb not found: the example suites' modes run on SQLite")
        database = []
    for service, sqlite_only in EXAMPLE_SERVICES.items():
        folder = EXAMPLES / service
        session.install("-r", str(folder / "requirements-test.txt"))
        with session.chdir(folder):
            if cell == plan.run[0]:
                session.log(f"{service} suite, SQLite, in-process")
                session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *sqlite_only)
            for mode in _exchange_modes(plan, cell, SERVICE_MODES[service]):
                session.log(f"{service} suite, {mode}")
                args = EXAMPLE_MODES[mode]
                session.run(
                    *database, "python", "-m", "pytest", "-p", "no:cacheprovider",
                    *args, *(["--lambda-strict"] if args else []),
                )  # fmt: skip


def _run_tests(session: nox.Session, plan: Plan, django: str, skip_reason: str) -> None:
    if not plan.run:
        session.error(nox_matrix.none_found_message())
    if skip_reason:
        session.skip(skip_reason)
    if Cell(str(session.python), django) == plan.run[0]:
        for line in nox_matrix.describe(plan, INTERPRETERS):
            session.log(line)
    session.install("-e", ".[test]", DJANGO_REQUIREMENT[django])
    session.run("python", "-m", "django", "--version")
    # Two workers by default: this suite's time is mostly waiting on subprocesses and sockets.
    session.run(
        "python", "-m", "pytest", "--ignore=tests/template", *(session.posargs or ["-n", "auto"])
    )
    if not session.posargs:  # `nox -s tests -- -k x` narrows the library suite only
        cell = Cell(str(session.python), django)
        _run_examples(session, plan, cell)
        if plan is TESTS_PLAN and cell == plan.run[-1]:
            session.notify("template")  # so "all the tests" includes the template's


@nox.session
@nox.parametrize("python,django,skip_reason", _params(TESTS_PLAN))
def tests(session: nox.Session, django: str, skip_reason: str) -> None:
    """Every installed Python once, every Django line once (what CI runs)."""
    _run_tests(session, TESTS_PLAN, django, skip_reason)


@nox.session
@nox.parametrize("python,django,skip_reason", _params(MATRIX_PLAN))
def matrix(session: nox.Session, django: str, skip_reason: str) -> None:
    """Every supported Python and Django combination whose Python is installed."""
    _run_tests(session, MATRIX_PLAN, django, skip_reason)


#: The suites that import Powertools: the event path, startup, kinds, ops, and what
#: JSON logs, EMF metrics and database secrets (Parameters) load.
POWERTOOLS_SUITES = [
    "tests/events",
    "tests/ops",
    "tests/test_startup.py",
    "tests/test_kinds.py",
    "tests/db",
    "tests/test_observability.py",
]
#: The oldest Powertools pyproject.toml allows; ``tests`` gets the newest below 4.
POWERTOOLS_MIN = "aws-lambda-powertools==3.0.0"


@nox.session(python=LINT.python if LINT else False)
def powertools_min(session: nox.Session) -> None:
    """The suite against the lowest supported Powertools (the top of the range is ``tests``)."""
    if LINT is None:
        session.error(nox_matrix.none_found_message())
    session.install("-e", ".[test]", DJANGO_REQUIREMENT[LINT.django], POWERTOOLS_MIN)
    session.run("python", "-c", "import aws_lambda_powertools as p; print(p.__version__)")
    # Powertools is imported on the event path (events/), for JSON logs and metrics, and for
    # database secrets: these are the suites that reach it. The full suite on the newest
    # Powertools is `tests`.
    session.run("python", "-m", "pytest", *(session.posargs or [*POWERTOOLS_SUITES, "-n", "auto"]))


@nox.session(python=LINT.python if LINT else False)
def template(session: nox.Session) -> None:
    """template.yaml: lint, sam build (no Docker), artifacts invoked, the local emulator.

    The build needs the template's runtime Python (python3.12) on PATH or under pyenv.
    """
    if LINT is None:
        session.error(nox_matrix.none_found_message())
    # pip too: the build test makes the checkout's wheel with it, as a user's build would.
    session.install(
        "-e", ".[test]", DJANGO_REQUIREMENT[LINT.django], "aws-sam-cli", "cfn-lint", "pip"
    )
    for service in EXAMPLE_SERVICES:  # the emulator tests serve both services from the template
        session.install("-r", str(EXAMPLES / service / "requirements.txt"))
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "tests/template", "-v",
                *session.posargs)  # fmt: skip


@nox.session(python=LINT.python if LINT else False)
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and strict mypy on the package."""
    if LINT is None:
        session.error(nox_matrix.none_found_message())
    session.install("-e", ".[dev]", DJANGO_REQUIREMENT[LINT.django])
    files = ["src", "tests", "noxfile.py", "nox_matrix.py"]
    session.run("ruff", "check", *files)
    session.run("ruff", "format", "--check", *files)
    session.run("mypy", "src")


@nox.session(python=DEMO.python if DEMO else False)
def up(session: nox.Session) -> None:
    """The whole system from template.yaml: both services, their queues, a webhook receiver.

    Through the Docker-free emulator (``django-lambda-bridge local start``), on SQLite,
    migrated and seeded; prints the URLs and a curl sequence. Ctrl-C stops it all.
    Extra arguments go to ``example_project/up.py``, e.g. ``nox -s up -- --port 4000``.
    """
    if DEMO is None:
        session.error(nox_matrix.none_found_message())
    session.install("-e", ".[local]", DJANGO_REQUIREMENT[DEMO.django])
    for service in EXAMPLE_SERVICES:
        session.install("-r", str(EXAMPLES / service / "requirements.txt"))
    session.run("python", str(EXAMPLES / "up.py"), *session.posargs)


@nox.session(python=DEMO.python if DEMO else False)
def demo(session: nox.Session) -> None:
    """Serve the demo DRF service through the real Lambda handler on 127.0.0.1:8000/prod/.

    Runs on the newest installed supported Python, with the newest Django it
    supports. Extra arguments go to ``runlambda``, e.g. ``nox -s demo -- 8001 --format v2``.
    """
    if DEMO is None:
        session.error(nox_matrix.none_found_message())
    session.install("-e", ".[drf]", DJANGO_REQUIREMENT[DEMO.django])
    session.chdir(ROOT / "example_project")
    session.run("python", "manage.py", "migrate", "--noinput", "--verbosity", "0")
    session.run(
        "python", "manage.py", "runlambda", *(session.posargs or ["8000", "--format", "v1"])
    )
