"""Run allow-listed Django management commands sent by direct invocation.

``{"manage": ["migrate", "--noinput"]}`` (or the same as one shell-quoted
string) runs the command in the function, with the code and settings it
really deploys, and returns ``{"exit_code", "stdout", "stderr"}``, so a
deploy pipeline can run migrations without a bastion host.

The request is checked before anything runs: only commands named in
``LAMBDA_BRIDGE["MANAGE_COMMANDS"]`` are accepted, and only by name, so an
event can never choose code to execute. Problems with the request come back
as a result with exit code 2 (the usage-error convention) rather than as a
Lambda error, so the caller sees one shape either way.
"""

from __future__ import annotations

import io
import logging
import shlex
import sys
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import TYPE_CHECKING, Any, TypedDict

from django_lambda_bridge.errors import CommandRefusedError

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

logger = logging.getLogger("django_lambda_bridge.ops")

#: The exit code of a request that was refused before anything ran.
EXIT_REFUSED = 2

#: Global options that ``call_command`` would silently ignore; refusing them is clearer.
_PROCESS_OPTIONS = ("--settings", "--pythonpath")

#: Each captured stream keeps at most this many characters (its end, where errors are),
#: so the reply stays under Lambda's 6 MB response limit even when JSON-escaped.
MAX_OUTPUT_CHARS = 400_000


class ManageResult(TypedDict):
    exit_code: int
    stdout: str
    stderr: str


def parse_request(event: Mapping[str, Any]) -> list[str]:
    """The argv a manage event asks for; raises ``CommandRefusedError`` if malformed."""
    extra = sorted(str(k) for k in event if k != "manage")
    if extra:
        raise CommandRefusedError(
            f"A management command event has exactly one key, 'manage'; it also had: "
            f'{", ".join(extra)}. Send {{"manage": ["migrate", "--noinput"]}}.'
        )
    value = event.get("manage")
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise CommandRefusedError(
                f"Could not split the command line {value!r}: {exc}. Check its quoting, "
                'or send a list of arguments instead: {"manage": ["migrate", "--noinput"]}.'
            ) from None
    elif isinstance(value, list) and all(isinstance(arg, str) for arg in value):
        argv = list(value)
    else:
        raise CommandRefusedError(
            f"'manage' must be a list of strings or one command-line string, got "
            f"{type(value).__name__}{' with non-string items' if isinstance(value, list) else ''}"
            '. Send {"manage": ["migrate", "--noinput"]} or {"manage": "migrate --noinput"}.'
        )
    if not argv:
        raise CommandRefusedError(
            '\'manage\' is empty: name a command, as in {"manage": ["migrate", "--noinput"]}.'
        )
    if argv[0].startswith("-"):
        raise CommandRefusedError(
            f"The first item of 'manage' must be a command name, got the option {argv[0]!r}."
        )
    return argv


class _Refused(CommandRefusedError):
    """A refusal with a reason that is safe to log: it never holds argument values."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_allowed(argv: Sequence[str], allowed: Sequence[str]) -> str:
    """Return the app that provides the command, or refuse it; nothing has run yet."""
    from django.core.management import get_commands

    name = argv[0]
    if name not in allowed:
        listed = ", ".join(allowed) if allowed else "(none)"
        raise _Refused(
            f"The management command {name!r} may not be run by direct invocation. "
            f"Allowed commands: {listed}. To allow it, add it to "
            "LAMBDA_BRIDGE['MANAGE_COMMANDS'] in your settings.",
            "not on the allow-list",
        )
    app = get_commands().get(name)
    if app is None:
        raise _Refused(
            f"Unknown management command {name!r}: it is allowed, but no installed app "
            "provides it. Check the name, and that its app is in INSTALLED_APPS.",
            "no installed app provides it",
        )
    return app


def check_options(command: BaseCommand, argv: Sequence[str]) -> None:
    """Refuse ``--settings``/``--pythonpath`` however argparse would accept them.

    argparse takes any unambiguous prefix of a long option (``--sett=x``,
    ``--pythonp x``), so each option is resolved against the command's own
    parser, and refused if it could mean one of them.
    """
    dests: dict[str, str] = {option: option.lstrip("-") for option in _PROCESS_OPTIONS}
    abbreviations = True
    try:
        parser = command.create_parser("manage.py", argv[0])
    except Exception:
        pass  # the run reports it; meanwhile judge against the two option names alone
    else:
        abbreviations = parser.allow_abbrev
        dests = {
            option: action.dest for action in parser._actions for option in action.option_strings
        }
    for arg in argv[1:]:
        if arg == "--":
            break  # argparse reads everything after it as positional
        if not arg.startswith("-") or arg == "-":
            continue
        name = arg.split("=", 1)[0]
        if name in dests:
            meant = {dests[name]}
        elif name.startswith("--") and abbreviations:
            meant = {dest for option, dest in dests.items() if option.startswith(name)}
        else:
            meant = set()
        if name in _PROCESS_OPTIONS and not meant:
            meant = {name.lstrip("-")}  # a parser without them: still not ours to accept
        forbidden = sorted(meant & {option.lstrip("-") for option in _PROCESS_OPTIONS})
        if forbidden:
            raise _Refused(
                f"The option {name} (--{forbidden[0]}) cannot be used here: the function "
                "runs with the settings and code it was deployed with.",
                f"the option --{forbidden[0]}",
            )


def refused(error: CommandRefusedError) -> ManageResult:
    return {"exit_code": EXIT_REFUSED, "stdout": "", "stderr": f"Refused: {error}\n"}


def _log_name(argv: Sequence[str] | None, allowed: Sequence[str]) -> str:
    """The command name for the log, only when it is a real command (never a stray value)."""
    if not argv:
        return "(none)"
    from django.core.management import get_commands

    name = argv[0]
    return repr(name) if name in allowed or name in get_commands() else "(an unknown command)"


def run_manage_event(event: Mapping[str, Any], allowed: Sequence[str]) -> ManageResult:
    """Check a manage event against the allow-list, then run it with output captured."""
    argv: list[str] | None = None
    try:
        argv = parse_request(event)
        app = check_allowed(argv, allowed)
        command = _load(app, argv[0])
        if isinstance(command, dict):
            return command  # it failed to import: the result holds the traceback
        check_options(command, argv)
    except CommandRefusedError as exc:
        # The name only: arguments (and the request's text) may hold passwords.
        reason = exc.reason if isinstance(exc, _Refused) else "a malformed request"
        logger.warning(
            "Refused a management command request for %s: %s", _log_name(argv, allowed), reason
        )
        return refused(exc)
    from django.db import close_old_connections

    started = time.monotonic()
    close_old_connections()
    try:
        result = run_command(command, argv)
    finally:
        close_old_connections()
    # The name only: arguments may carry values that must not reach the logs.
    logger.info(
        "Management command %s exited with %d in %d ms",
        argv[0],
        result["exit_code"],
        int((time.monotonic() - started) * 1000),
    )
    return result


def _load(app: str, name: str) -> BaseCommand | ManageResult:
    """The command object, or a result with the traceback if its module fails to import."""
    from django.core.management import load_command_class

    err = io.StringIO()
    try:
        return load_command_class(app, name)
    except Exception as exc:
        # Logged by name and exception type only; the traceback goes to the caller.
        logger.error("Management command %r could not be imported: %s", name, type(exc).__name__)
        traceback.print_exc(file=err)
        return {"exit_code": 1, "stdout": "", "stderr": _tail(err.getvalue())}


def run_command(command: BaseCommand, argv: Sequence[str]) -> ManageResult:
    """Run one command as ``manage.py`` would, capturing every way it can write output."""
    from django.core.management import call_command
    from django.core.management.base import CommandError, SystemCheckError

    out, err = io.StringIO(), io.StringIO()
    name, args = argv[0], list(argv[1:])
    with _captured(out, err):
        try:
            # There is no terminal to answer prompts: run as with --noinput.
            options = {"interactive": False} if _accepts(command, name, "interactive") else {}
            call_command(command, *args, stdout=out, stderr=err, **options)
            code = 0
        except SystemCheckError as exc:
            err.write(f"{exc}\n")
            code = exc.returncode
        except CommandError as exc:
            err.write(f"CommandError: {exc}\n")
            code = exc.returncode
        except SystemExit as exc:
            code = _exit_status(exc, err)
        except Exception:
            traceback.print_exc(file=err)
            code = 1
    return {"exit_code": code, "stdout": _tail(out.getvalue()), "stderr": _tail(err.getvalue())}


def _accepts(command: BaseCommand, name: str, dest: str) -> bool:
    parser = command.create_parser("manage.py", name)
    return any(action.dest == dest for action in parser._actions)


def _exit_status(exc: SystemExit, err: io.StringIO) -> int:
    """Map ``SystemExit`` to a status the way the Python interpreter does."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    err.write(f"{exc.code}\n")
    return 1


def _tail(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    dropped = len(text) - MAX_OUTPUT_CHARS
    return f"[{dropped} earlier characters truncated]\n" + text[-MAX_OUTPUT_CHARS:]


class _StreamHandler(logging.Handler):
    def __init__(self, stream: io.StringIO) -> None:
        super().__init__()
        self.stream = stream
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


@contextmanager
def _captured(out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    """Send ``print``, ``sys.stderr`` and log records to the result as on a terminal.

    Log records still reach the function's own handlers (CloudWatch) as well.
    Standard input is empty so a stray ``input()`` fails at once instead of hanging.
    """
    handler = _StreamHandler(err)
    root = logging.getLogger()
    root.addHandler(handler)
    stdin = sys.stdin
    sys.stdin = io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            yield
    finally:
        sys.stdin = stdin
        root.removeHandler(handler)
