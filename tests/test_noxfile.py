"""nox cell selection: which cells run for the installed interpreters, and why not the rest."""

from __future__ import annotations

import itertools
import os
import stat
import sys
from pathlib import Path

import pytest

import nox_matrix
from nox_matrix import MATRIX, Cell

ALL_SUBSETS = [
    frozenset(combo)
    for n in range(len(nox_matrix.SUPPORTED_PYTHONS) + 1)
    for combo in itertools.combinations(nox_matrix.SUPPORTED_PYTHONS, n)
]


def _ids(cells):
    return [cell.id for cell in cells]


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        # This machine: 3.11 as python3, 3.12 and 3.13 under pyenv.
        ({"3.11", "3.12", "3.13"}, ["py3.11-django5.2", "py3.12-django6", "py3.13-django6"]),
        # The README's fresh machine with only 3.12: both Django lines on it.
        ({"3.12"}, ["py3.12-django5.2", "py3.12-django6"]),
        ({"3.13"}, ["py3.13-django5.2", "py3.13-django6"]),
        ({"3.11"}, ["py3.11-django5.2"]),
        ({"3.11", "3.12"}, ["py3.11-django5.2", "py3.12-django6"]),
        ({"3.11", "3.13"}, ["py3.11-django5.2", "py3.13-django6"]),
        ({"3.12", "3.13"}, ["py3.12-django5.2", "py3.13-django6"]),
        (set(), []),
    ],
)
def test_tests_session_cells(installed, expected):
    assert _ids(nox_matrix.plan_tests(installed).run) == expected


@pytest.mark.parametrize("installed", ALL_SUBSETS, ids=lambda s: "+".join(sorted(s)) or "none")
def test_tests_plan_covers_every_installed_python_and_django_line(installed):
    plan = nox_matrix.plan_tests(installed)
    skipped = [cell for cell, _ in plan.skipped]
    # Every matrix cell is either run or skipped with a reason, never both or neither.
    assert sorted(_ids(plan.run) + _ids(skipped)) == sorted(_ids(MATRIX))
    assert all(reason for _, reason in plan.skipped)
    assert {cell.python for cell in plan.run} == set(installed)
    for django, pythons in nox_matrix.DJANGO_PYTHONS.items():
        if set(pythons) & set(installed):
            assert any(cell.django == django for cell in plan.run), django
    # At most one cell per Python, except a lone interpreter that runs both lines.
    assert len(plan.run) <= max(len(installed), 2)


def test_skip_reasons_name_the_missing_interpreter_or_the_matrix_session():
    plan = nox_matrix.plan_tests({"3.11", "3.13"})
    assert plan.reason(Cell("3.12", "6")) == "python3.12 was not found on PATH or under pyenv"
    assert plan.reason(Cell("3.12", "5.2")) == "python3.12 was not found on PATH or under pyenv"
    reason = plan.reason(Cell("3.13", "5.2"))
    assert reason is not None
    assert "python3.13 already runs Django 6" in reason
    assert "nox -s matrix" in reason
    assert plan.reason(Cell("3.11", "5.2")) is None


def test_django_6_is_never_planned_on_python_3_11():
    for installed in ALL_SUBSETS:
        for plan in (nox_matrix.plan_tests(installed), nox_matrix.plan_matrix(installed)):
            assert Cell("3.11", "6") not in plan.run
    assert Cell("3.11", "6") not in MATRIX


def test_matrix_plan_runs_every_installed_cell():
    plan = nox_matrix.plan_matrix({"3.12", "3.13"})
    assert _ids(plan.run) == [
        "py3.12-django5.2",
        "py3.13-django5.2",
        "py3.12-django6",
        "py3.13-django6",
    ]
    assert plan.skipped == ((Cell("3.11", "5.2"), nox_matrix._missing("3.11")),)
    assert len(nox_matrix.plan_matrix(nox_matrix.SUPPORTED_PYTHONS).run) == len(MATRIX) == 5


def test_unsupported_or_garbage_versions_are_ignored():
    plan = nox_matrix.plan_tests({"3.10", "3.14", "", "python3.12", "3.12"})
    assert _ids(plan.run) == ["py3.12-django5.2", "py3.12-django6"]
    assert nox_matrix.plan_tests({"3.10", "2.7"}).run == ()
    assert nox_matrix.pick_demo({"3.10"}) is None
    assert nox_matrix.pick_lint(["3.14"]) is None


def test_demo_and_lint_pick_a_supported_cell():
    assert nox_matrix.pick_demo({"3.11"}) == Cell("3.11", "5.2")
    assert nox_matrix.pick_demo({"3.11", "3.12"}) == Cell("3.12", "6")
    assert nox_matrix.pick_demo({"3.12"}) == Cell("3.12", "6")
    assert nox_matrix.pick_lint({"3.12", "3.13"}) == Cell("3.12", "5.2")
    assert nox_matrix.pick_lint({"3.13", "3.11"}) == Cell("3.11", "5.2")


def test_describe_lists_runs_and_skips():
    plan = nox_matrix.plan_tests({"3.12"})
    lines = nox_matrix.describe(plan, {"3.12": "/opt/py/bin/python3.12"})
    assert lines[:2] == [
        "runs py3.12-django5.2 on /opt/py/bin/python3.12",
        "runs py3.12-django6 on /opt/py/bin/python3.12",
    ]
    assert "skips py3.11-django5.2: python3.11 was not found on PATH or under pyenv" in lines
    assert len(lines) == len(MATRIX)


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_find_interpreters_skips_broken_shims_and_wrong_versions(tmp_path):
    shims, liar, real = tmp_path / "shims", tmp_path / "liar", tmp_path / "real"
    for d in (shims, liar, real):
        d.mkdir()
    # A pyenv shim for a version that is not selected: exits 127.
    _script(shims / "python3.12", "echo 'pyenv: python3.12: command not found' >&2; exit 127")
    # Named 3.12 but is something else.
    _script(liar / "python3.12", "echo 3.11")
    # The real thing: this test's own interpreter, under the name of its version.
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (real / f"python{minor}").symlink_to(sys.executable)
    # Reports 3.12 as asked: found, after the shim and the liar earlier on the path.
    honest = tmp_path / "honest"
    honest.mkdir()
    _script(honest / "python3.12", "echo 3.12")
    (tmp_path / "notexec").mkdir()
    (tmp_path / "notexec" / "python3.13").write_text("not executable")
    search = os.pathsep.join(map(str, (shims, liar, tmp_path / "notexec", honest, real)))
    found = nox_matrix.find_interpreters(search)
    expected = {"3.12": str(honest / "python3.12")}
    if minor in nox_matrix.SUPPORTED_PYTHONS and minor != "3.12":
        expected[minor] = str(real / f"python{minor}")
    assert found == expected


def test_find_interpreters_with_nothing_on_the_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty PATH entry means the current directory
    assert nox_matrix.find_interpreters(str(tmp_path)) == {}
    assert nox_matrix.find_interpreters("") == {}


def test_pyenv_bin_dirs_picks_the_newest_patch_release(tmp_path):
    for name in ("3.12.9", "3.12.10", "3.12-dev", "3.13.0t", "3.13.0", "3.10.13", "3.1.5"):
        (tmp_path / "versions" / name / "bin").mkdir(parents=True)
    (tmp_path / "versions" / "3.11.7").mkdir()  # no bin dir: a broken install
    assert nox_matrix.pyenv_bin_dirs(tmp_path) == [
        str(tmp_path / "versions" / "3.12.10" / "bin"),
        str(tmp_path / "versions" / "3.13.0" / "bin"),
    ]
    assert nox_matrix.pyenv_bin_dirs(tmp_path / "missing") == []
