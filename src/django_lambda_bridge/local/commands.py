"""``django-lambda-bridge local ...``: run a SAM template's functions without Docker.

``local start-api`` serves the template's HTTP APIs (see ``local/emulator.py``);
``local invoke`` calls one function with an event, like ``sam local invoke``.
Both take the template's environment for the function, overridden by an
``--env-vars`` file in SAM's format.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class LocalError(Exception):
    """Printed without a traceback by the CLI; exit status 1."""


def add_parser(commands: Any) -> None:
    local = commands.add_parser(
        "local",
        help="run a SAM template's functions locally, without Docker",
        description="Serve or invoke the functions of a SAM template through the real "
        "event path, each function in its own process with its template environment.",
    )
    sub = local.add_subparsers(dest="local_command", metavar="SUBCOMMAND", required=True)

    start = sub.add_parser("start-api", help="serve the template's HTTP APIs on localhost")
    _common(start)
    start.add_argument(
        "--port", type=int, default=3000,
        help="port of the first API; each further API takes the next (default: %(default)s)",
    )  # fmt: skip
    start.set_defaults(run=_start_api)

    everything = sub.add_parser(
        "start",
        help="the APIs, plus the template's queues (on a local moto server) and schedules",
    )
    _common(everything)
    everything.add_argument("--port", type=int, default=3000, help="port of the first API")
    everything.set_defaults(run=_start)

    invoke = sub.add_parser("invoke", help="invoke one function with an event")
    invoke.add_argument("function", help="the function's logical id in the template")
    invoke.add_argument(
        "--event", "-e", default="-", help="JSON event file, or - for stdin (default)"
    )
    _common(invoke)
    invoke.set_defaults(run=_invoke)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", "-t", default="template.yaml")
    parser.add_argument("--env-vars", "-n", help="JSON file of variables, as sam local takes")
    parser.add_argument(
        "--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE",
        help="template parameters (default: their defaults)",
    )  # fmt: skip


def _load(args: argparse.Namespace) -> tuple[Any, dict[str, dict[str, str]], dict[str, str]]:
    """``(template, env file, parameter overrides)`` from the common options."""
    from django_lambda_bridge.local import emulator, template

    overrides = {}
    for item in args.parameter_overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise LocalError(f"--parameter-overrides takes KEY=VALUE, got {item!r}")
        overrides[key] = value
    try:
        read = template.load(args.template, overrides)
        return read, emulator.read_env_file(args.env_vars), overrides
    except (template.TemplateError, emulator.EmulatorError) as exc:
        raise LocalError(str(exc)) from None


@contextmanager
def _serving(port: int) -> Iterator[None]:
    """Starting errors as one line each, and the log lines the servers print."""
    import logging

    from django_lambda_bridge.local import emulator, template

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    try:
        yield
    except (emulator.EmulatorError, template.TemplateError) as exc:
        raise LocalError(str(exc)) from None
    except OSError as exc:
        raise LocalError(f"cannot serve on port {port} and up: {exc.strerror}") from None


def _stop_on_sigterm() -> None:
    """``kill`` stops the emulator as Ctrl-C does, so it stops what it started."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def run(args: argparse.Namespace) -> int:
    _stop_on_sigterm()
    try:
        status: int = args.run(args)
    except LocalError as exc:
        print(f"django-lambda-bridge local {args.local_command}: {exc}", file=sys.stderr)
        return 1
    return status


def _start_api(args: argparse.Namespace) -> int:
    from django_lambda_bridge.local import emulator

    read, env, _overrides = _load(args)
    with _serving(args.port):
        emulator.start_api(read, args.port, env)
    return 0


def _start(args: argparse.Namespace) -> int:
    from django_lambda_bridge.local import emulator, stack

    read, env, overrides = _load(args)
    system = stack.LocalStack(read, args.port, env, overrides)
    with _serving(args.port), system.running():
        assert system.emulator is not None
        emulator.serve_until_interrupted(system.emulator, system.urls())
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from django_lambda_bridge.local import worker
    from django_lambda_bridge.testing.context import FakeContext

    template, env, _overrides = _load(args)
    function = template.functions.get(args.function)
    if function is None:
        raise LocalError(
            f"no function {args.function!r} in {args.template}; it has "
            + ", ".join(sorted(template.functions))
        )
    try:
        text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text()
        event = json.loads(text)
    except OSError as exc:
        raise LocalError(f"cannot read the event {args.event}: {exc.strerror}") from None
    except ValueError as exc:
        raise LocalError(f"the event is not JSON: {exc}") from None
    from django_lambda_bridge.local.emulator import function_environment

    environment = function_environment(function, env)
    os.environ.clear()
    os.environ.update(environment)
    # What the function prints is its log (JSON logs, EMF metrics): stderr here, as
    # `sam local invoke` does, so stdout holds the reply alone.
    with contextlib.redirect_stdout(sys.stderr):
        handler = worker.load_handler(str(function.code_uri), function.handler)
        reply = handler(event, FakeContext(function_name=function.name))
    print(json.dumps(reply, indent=2, default=str))
    return 0
