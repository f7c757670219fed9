"""Run the real ``manage.py runlambda`` in a subprocess, for the tests that need the command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_command(
    *args: str, settings: str = "tests.settings", env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start ``runlambda``; returns once it says where it serves (or has died).

    The returned text is its stdout up to and including the "Serving" line:
    the migration warning, when there is one, comes first, as with runserver.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", "runlambda", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job ignores SIGINT and children inherit that; undo it
        # so the command's own Ctrl-C handling is what stop() exercises.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Serving"):
        line = proc.stdout.readline()  # blocks until serving, or "" if it died
        if not line:
            break
        lines.append(line)
    return proc, "".join(lines)


def port_of(proc: subprocess.Popen[str], out: str) -> int:
    match = re.search(r"Serving .* at http://127\.0\.0\.1:(\d+)/", out)
    if not match:
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"runlambda did not start; stdout {out!r}, stderr {err}")
    return int(match[1])


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err
