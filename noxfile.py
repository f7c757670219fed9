"""Test, lint and demo sessions.

``nox -s tests`` is the README's (and CI's) test command: one cell of each Django
line. ``nox -s matrix`` runs every supported cell, ``nox -s lint`` ruff and mypy,
``nox -s demo`` the demo service through the local Lambda emulator.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
DJANGO = {"5.2": "django>=5.2,<5.3", "6": "django>=6.0,<7"}

#: (python, django) cells. ``tests`` covers each Django line once, ``matrix`` all of them.
TESTS_CELLS = [("3.11", "5.2"), ("3.13", "6")]
MATRIX_CELLS = [("3.11", "5.2"), ("3.12", "5.2"), ("3.13", "5.2"), ("3.12", "6"), ("3.13", "6")]

nox.options.sessions = ["tests", "lint"]
nox.options.error_on_missing_interpreters = True
if hasattr(nox.options, "download_python"):
    nox.options.download_python = "never"  # use this machine's interpreters, fetch nothing


def _pyenv_bin_dirs() -> list[str]:
    """The newest pyenv-installed patch release of each supported minor version.

    pyenv's shims only answer for the active version, so ``python3.12`` on PATH
    fails unless 3.12 is selected; the interpreters' own bin dirs always work.
    """
    versions = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser() / "versions"
    dirs: list[str] = []
    for minor in SUPPORTED_PYTHONS:
        found = [
            path
            for path in versions.glob(f"{minor}.*")
            if re.fullmatch(rf"{re.escape(minor)}\.\d+", path.name)
            and (path / "bin" / f"python{minor}").exists()
        ]
        if found:
            newest = max(found, key=lambda p: tuple(int(n) for n in p.name.split(".")))
            dirs.append(str(newest / "bin"))
    return dirs


os.environ["PATH"] = os.pathsep.join([*_pyenv_bin_dirs(), os.environ.get("PATH", "")])


def _run_tests(session: nox.Session, django: str) -> None:
    session.install("-e", ".[test]", DJANGO[django])
    session.run("python", "-m", "django", "--version")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
@nox.parametrize("python,django", TESTS_CELLS, ids=[f"py{p}-django{d}" for p, d in TESTS_CELLS])
def tests(session: nox.Session, django: str) -> None:
    """The suite on one cell of each supported Django line (what CI runs)."""
    _run_tests(session, django)


@nox.session
@nox.parametrize("python,django", MATRIX_CELLS, ids=[f"py{p}-django{d}" for p, d in MATRIX_CELLS])
def matrix(session: nox.Session, django: str) -> None:
    """The suite on every supported Python and Django combination."""
    _run_tests(session, django)


#: The oldest Powertools pyproject.toml allows; ``tests`` gets the newest below 4.
POWERTOOLS_MIN = "aws-lambda-powertools==3.0.0"


@nox.session(python="3.11")
def powertools_min(session: nox.Session) -> None:
    """The suite against the lowest supported Powertools (the top of the range is ``tests``)."""
    session.install("-e", ".[test]", DJANGO["5.2"], POWERTOOLS_MIN)
    session.run("python", "-c", "import aws_lambda_powertools as p; print(p.__version__)")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and strict mypy on the package."""
    session.install("-e", ".[dev]", DJANGO["5.2"])
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")
    session.run("mypy", "src")


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """Serve the demo DRF service through the real Lambda handler on 127.0.0.1:8000/prod/.

    Extra arguments go to ``runlambda``, e.g. ``nox -s demo -- 8001 --format v2``.
    """
    session.install("-e", ".[drf]", DJANGO["5.2"])
    session.chdir(ROOT / "example_project")
    session.run("python", "manage.py", "migrate", "--noinput", "--verbosity", "0")
    session.run(
        "python", "manage.py", "runlambda", *(session.posargs or ["8000", "--format", "v1"])
    )
