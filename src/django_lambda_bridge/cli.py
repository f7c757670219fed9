"""The ``django-lambda-bridge`` console script.

``manage`` runs an allow-listed management command inside a deployed function
(``{"manage": [...]}`` by direct invocation) and behaves like ``manage.py``
run locally: the command's output on stdout and stderr, its exit code as ours.
``invoke`` sends any event; ``start-lambda`` serves the Lambda Invoke API on
loopback so both can be tried without AWS.

boto3 is imported only when a command needs it: it is the optional ``aws``
extra, and this module must stay importable without it.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

#: Lambda's own maximum timeout; the CLI waits this long for a reply by default.
MAX_LAMBDA_SECONDS = 900


class CLIError(Exception):
    """Something the user can fix; printed without a traceback, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "local":
        from django_lambda_bridge.local import commands as local_commands

        return local_commands.run(args)
    try:
        status: int = args.run(args)
    except CLIError as exc:
        print(f"django-lambda-bridge {args.command}: {exc}", file=sys.stderr)
        return 1
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="django-lambda-bridge",
        description="Operate Django projects that run on AWS Lambda with django-lambda-bridge.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    manage = commands.add_parser(
        "manage",
        help="run a management command in a deployed function",
        description="Run an allow-listed management command inside the deployed function "
        "(LAMBDA_BRIDGE['MANAGE_COMMANDS']), print its output and exit with its exit code.",
        epilog="example: django-lambda-bridge manage --function api --qualifier live "
        "-- migrate --noinput",
    )
    _add_aws_options(manage)
    manage.add_argument(
        "--timeout",
        type=int,
        default=MAX_LAMBDA_SECONDS,
        help="seconds to wait for the command to finish (default: %(default)s)",
    )
    manage.add_argument(
        "argv",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARGS ...]",
        help="the management command and its arguments",
    )
    manage.set_defaults(run=_manage)

    invoke = commands.add_parser(
        "invoke",
        help="invoke a function with an event and print its reply",
        description="Invoke a function with a JSON event and print the reply payload.",
    )
    _add_aws_options(invoke)
    invoke.add_argument(
        "--event",
        metavar="FILE",
        help="JSON event file, or - for standard input (default: {})",
    )
    invoke.add_argument(
        "--invocation-type",
        choices=("RequestResponse", "Event", "DryRun"),
        default="RequestResponse",
    )
    invoke.add_argument(
        "--log", action="store_true", help="print the tail of the invocation's log to stderr"
    )
    invoke.add_argument("--timeout", type=int, default=MAX_LAMBDA_SECONDS)
    invoke.set_defaults(run=_invoke)

    start = commands.add_parser(
        "start-lambda",
        help="serve the Lambda Invoke API locally for a handler",
        description="Serve the Lambda Invoke API on loopback, running the handler in this "
        "process, so `manage` and `invoke` work with --endpoint-url and no AWS.",
    )
    start.add_argument(
        "--handler",
        help="dotted path of the handler, e.g. myproject.lambda_function.handler "
        "(default: make_handler() with DJANGO_SETTINGS_MODULE)",
    )
    start.add_argument("--function", default="function", help="function name to answer to")
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int, default=3001)
    start.set_defaults(run=_start_lambda)

    from django_lambda_bridge.local import commands as local_commands

    local_commands.add_parser(commands)
    return parser


def _add_aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--function", "-f", required=True, help="function name or ARN")
    parser.add_argument("--qualifier", "-q", help="version or alias (default: $LATEST)")
    parser.add_argument("--region", help="AWS region (default: from your AWS configuration)")
    parser.add_argument("--profile", help="AWS profile name")
    parser.add_argument(
        "--endpoint-url", help="Lambda API endpoint, e.g. from start-lambda (default: AWS)"
    )


def _manage(args: argparse.Namespace) -> int:
    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise CLIError(
            "name the management command after --, as in: "
            "django-lambda-bridge manage --function NAME -- migrate --noinput"
        )
    reply = _call(args, {"manage": argv}, "RequestResponse", timeout=args.timeout)
    if reply.function_error:
        _print_function_error(reply)
        return 1
    result = reply.json()
    if not _is_manage_result(result):
        raise CLIError(
            "the function's reply is not a management command result; is it a "
            f"django-lambda-bridge handler with manage support? It replied: {reply.text()[:500]}"
        )
    sys.stdout.write(result["stdout"])
    sys.stdout.flush()
    sys.stderr.write(result["stderr"])
    sys.stderr.flush()
    code: int = result["exit_code"]
    # Shells see status modulo 256: never let a failure (256, -1) read as success.
    return code if 0 <= code <= 255 else 1


def _is_manage_result(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("exit_code"), int)
        and not isinstance(value.get("exit_code"), bool)
        and isinstance(value.get("stdout"), str)
        and isinstance(value.get("stderr"), str)
    )


def _invoke(args: argparse.Namespace) -> int:
    event = _read_event(args.event)
    reply = _call(args, event, args.invocation_type, timeout=args.timeout, tail=args.log)
    if reply.log:
        sys.stderr.write(reply.log)
    if reply.function_error:
        _print_function_error(reply)
        return 1
    if args.invocation_type != "RequestResponse":
        print(f"Accepted ({reply.status}).", file=sys.stderr)
        return 0
    try:
        print(json.dumps(reply.json(), indent=2, ensure_ascii=False))
    except ValueError:
        print(reply.text())
    return 0


def _read_event(source: str | None) -> Any:
    if source is None:
        return {}
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise CLIError(f"cannot read the event file {source}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        where = "standard input" if source == "-" else source
        raise CLIError(f"the event in {where} is not valid JSON: {exc}") from None


class _Reply:
    def __init__(self, status: int, payload: bytes, function_error: str | None, log: str) -> None:
        self.status = status
        self.payload = payload
        self.function_error = function_error
        self.log = log

    def text(self) -> str:
        return self.payload.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else None


def _call(
    args: argparse.Namespace,
    event: Any,
    invocation_type: str,
    *,
    timeout: int,
    tail: bool = False,
) -> _Reply:
    client, errors = _lambda_client(args, timeout)
    params: dict[str, Any] = {
        "FunctionName": args.function,
        "InvocationType": invocation_type,
        "Payload": json.dumps(event).encode("utf-8"),
    }
    if args.qualifier:
        params["Qualifier"] = args.qualifier
    if tail:
        params["LogType"] = "Tail"
    target = args.function + (f":{args.qualifier}" if args.qualifier else "")
    try:
        response = client.invoke(**params)
        payload = response["Payload"].read()
    except errors.ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "error"), error.get("Message", exc)
        raise CLIError(f"could not invoke {target}: {code}: {message}") from None
    except errors.ReadTimeoutError:
        raise CLIError(
            f"no reply from {target} within {timeout} s. The invocation may still be "
            "running: check the function's logs, and raise --timeout if needed."
        ) from None
    except errors.BotoCoreError as exc:
        raise CLIError(f"could not invoke {target}: {exc}") from None
    log = response.get("LogResult")
    return _Reply(
        int(response.get("StatusCode", 0)),
        payload,
        response.get("FunctionError"),
        base64.b64decode(log).decode("utf-8", "replace") if log else "",
    )


def _lambda_client(args: argparse.Namespace, timeout: int) -> tuple[Any, Any]:
    """A Lambda client that never retries: a retried ``migrate`` would run twice."""
    try:
        boto3 = importlib.import_module("boto3")
        config = importlib.import_module("botocore.config")
        errors = importlib.import_module("botocore.exceptions")
    except ImportError:
        raise CLIError(
            "this command needs boto3, which is not installed. "
            "Install it with: pip install 'django-lambda-bridge[aws]'"
        ) from None
    try:
        session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
        client = session.client(
            "lambda",
            endpoint_url=args.endpoint_url,
            config=config.Config(
                read_timeout=timeout + 10,
                connect_timeout=10,
                retries={"total_max_attempts": 1},
            ),
        )
    except errors.BotoCoreError as exc:
        raise CLIError(f"cannot set up the AWS client: {exc}") from None
    return client, errors


def _print_function_error(reply: _Reply) -> None:
    try:
        error = reply.json()
    except ValueError:
        error = None
    if isinstance(error, dict) and "errorMessage" in error:
        print(
            f"The function failed ({reply.function_error}): "
            f"{error.get('errorType', 'Error')}: {error['errorMessage']}",
            file=sys.stderr,
        )
        trace = error.get("stackTrace") or []
        if isinstance(trace, list) and trace:
            print("Traceback (in the function):", file=sys.stderr)
            sys.stderr.write("".join(str(line) for line in trace))
    else:
        print(f"The function failed ({reply.function_error}): {reply.text()}", file=sys.stderr)
    sys.stderr.flush()


def _start_lambda(args: argparse.Namespace) -> int:
    from django_lambda_bridge.local.invoke import serve_invoke_api

    handler = _load_handler(args.handler)
    print(
        f"Serving the Lambda Invoke API for function {args.function!r} at "
        f"http://{args.host}:{args.port} (Ctrl-C to stop)",
        file=sys.stderr,
    )
    try:
        serve_invoke_api(handler, args.function, args.host, args.port)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise CLIError(f"cannot serve on {args.host}:{args.port}: {exc.strerror}") from None
    return 0


def _load_handler(path: str | None) -> Any:
    sys.path.insert(0, os.getcwd())  # as manage.py does, so the project imports
    if path is None:
        from django_lambda_bridge import make_handler
        from django_lambda_bridge.errors import BridgeError

        try:
            return make_handler()
        except BridgeError as exc:
            raise CLIError(f"{exc} Or pass --handler.") from None
    module_name, sep, attr = path.replace(":", ".").rpartition(".")
    if not sep:
        raise CLIError(f"--handler must be a dotted path like module.handler, got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CLIError(f"cannot import {module_name}: {exc}") from None
    handler = getattr(module, attr, None)
    if not callable(handler):
        raise CLIError(f"{module_name} has no callable {attr!r}")
    return handler


if __name__ == "__main__":
    sys.exit(main())
