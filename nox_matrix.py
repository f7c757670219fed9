"""Which (Python, Django) cells the nox sessions run on this machine, and why not the others.

Kept apart from ``noxfile.py`` so the selection rules are plain functions the
test suite can check without nox installed. The only I/O is
``find_interpreters``, which runs each candidate interpreter once.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
#: Each supported Django line and the Pythons it supports (Django 6 dropped 3.11).
DJANGO_PYTHONS = {"5.2": ("3.11", "3.12", "3.13"), "6": ("3.12", "3.13")}
DJANGO_REQUIREMENT = {"5.2": "django>=5.2,<5.3", "6": "django>=6.0,<7"}

MATRIX_COMMAND = "nox -s matrix"


@dataclass(frozen=True)
class Cell:
    python: str
    django: str

    @property
    def id(self) -> str:
        return f"py{self.python}-django{self.django}"


#: Every supported combination, in the order sessions are listed and run.
MATRIX = tuple(Cell(p, d) for d, pythons in DJANGO_PYTHONS.items() for p in pythons)


@dataclass(frozen=True)
class Plan:
    """The cells to run, and each other cell of the matrix with the reason it is skipped."""

    run: tuple[Cell, ...]
    skipped: tuple[tuple[Cell, str], ...]

    def reason(self, cell: Cell) -> str | None:
        """Why ``cell`` is skipped, or None when it runs."""
        return next((why for skipped, why in self.skipped if skipped == cell), None)


def _installed(installed: Iterable[str]) -> list[str]:
    found = set(installed)
    return [p for p in SUPPORTED_PYTHONS if p in found]  # oldest first


def _missing(python: str) -> str:
    return f"python{python} was not found on PATH or under pyenv"


def plan_tests(installed: Iterable[str]) -> Plan:
    """The README's ``nox -s tests``: every installed Python once, every Django line once.

    Django 5.2 LTS runs on the oldest installed Python (the floor users deploy
    on), Django 6 on each other installed Python that supports it. When only one
    interpreter is there and it supports Django 6 (3.12 or 3.13 alone), it runs
    both lines. Installed cells this leaves out run under ``nox -s matrix``:
    running all five in CI would double its time for little extra coverage.
    """
    pythons = _installed(installed)
    run: list[Cell] = []
    if pythons:
        run.append(Cell(pythons[0], "5.2"))
        run.extend(Cell(p, "6") for p in pythons[1:] if p in DJANGO_PYTHONS["6"])
        if not any(c.django == "6" for c in run) and pythons[0] in DJANGO_PYTHONS["6"]:
            run.append(Cell(pythons[0], "6"))
    skipped: list[tuple[Cell, str]] = []
    for cell in MATRIX:
        if cell in run:
            continue
        if cell.python not in pythons:
            why = _missing(cell.python)
        else:
            other = next(c.django for c in run if c.python == cell.python)
            why = (
                f"python{cell.python} already runs Django {other} here; "
                f"`{MATRIX_COMMAND}` runs every installed cell"
            )
        skipped.append((cell, why))
    return Plan(tuple(c for c in MATRIX if c in run), tuple(skipped))


def plan_matrix(installed: Iterable[str]) -> Plan:
    """``nox -s matrix``: every supported cell whose Python is installed."""
    pythons = _installed(installed)
    run = tuple(c for c in MATRIX if c.python in pythons)
    skipped = tuple((c, _missing(c.python)) for c in MATRIX if c.python not in pythons)
    return Plan(run, skipped)


def newest_django(python: str) -> str:
    """The newest Django line that supports ``python``."""
    return [d for d, pythons in DJANGO_PYTHONS.items() if python in pythons][-1]


def pick_demo(installed: Iterable[str]) -> Cell | None:
    """The demo runs on the newest installed Python, with the newest Django it supports."""
    pythons = _installed(installed)
    return Cell(pythons[-1], newest_django(pythons[-1])) if pythons else None


def pick_lint(installed: Iterable[str]) -> Cell | None:
    """Lint on the oldest installed Python and Django 5.2: the floor the types must hold on."""
    pythons = _installed(installed)
    return Cell(pythons[0], "5.2") if pythons else None


def none_found_message(searched: str = "PATH or under pyenv") -> str:
    return (
        f"No supported Python ({', '.join(SUPPORTED_PYTHONS)}) was found on {searched}: "
        "install one (python.org, your OS packages, or pyenv) and run the command again."
    )


_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def pyenv_bin_dirs(pyenv_root: str | os.PathLike[str]) -> list[str]:
    """The newest pyenv-installed patch release of each supported minor version.

    pyenv's shims only answer for the active version, so ``python3.12`` on PATH
    fails unless 3.12 is selected; the interpreters' own bin dirs always work.
    """
    versions = Path(pyenv_root).expanduser() / "versions"
    dirs: list[str] = []
    for minor in SUPPORTED_PYTHONS:
        found: list[tuple[tuple[int, ...], Path]] = []
        for path in versions.glob(f"{minor}.*"):
            match = _VERSION.match(path.name)
            if match and path.name.startswith(minor + ".") and (path / "bin").is_dir():
                found.append((tuple(int(n) for n in match.groups()), path / "bin"))
        if found:
            dirs.append(str(max(found)[1]))
    return dirs


def _reports(executable: str, minor: str) -> bool:
    """Whether ``executable`` runs and is Python ``minor`` (a pyenv shim for another is not)."""
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and result.stdout.strip() == minor


def find_interpreters(search_path: str) -> dict[str, str]:
    """Map each supported minor version to the first working ``pythonX.Y`` on ``search_path``."""
    found: dict[str, str] = {}
    for minor in SUPPORTED_PYTHONS:
        for directory in search_path.split(os.pathsep):
            candidate = os.path.join(directory or os.curdir, f"python{minor}")
            runnable = os.path.isfile(candidate) and os.access(candidate, os.X_OK)
            if runnable and _reports(candidate, minor):
                found[minor] = candidate
                break
    return found


def describe(plan: Plan, interpreters: Mapping[str, str]) -> list[str]:
    """Lines saying what runs where and what is skipped, for the session log."""
    lines = [f"runs {c.id} on {interpreters.get(c.python, 'python' + c.python)}" for c in plan.run]
    lines += [f"skips {c.id}: {why}" for c, why in plan.skipped]
    return lines
