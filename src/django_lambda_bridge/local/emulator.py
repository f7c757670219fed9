"""``local start-api``: a template's HTTP APIs on localhost, through the real event path.

Each function with an HTTP route runs in a worker process of its own (its
project, its settings, its environment from the template and the env file)
that answers the Lambda Invoke API; each API of the template gets a front door
on its own port, which turns a request into the API's event (v2 for HTTP APIs
and Function URLs, v1 for REST APIs), picks the function by the template's
routes and invokes its worker. Two services that both serve
``/api/v1/health/`` thus stay apart, as they are on AWS. A worker whose code
changes is restarted, as ``runserver`` reloads.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_lambda_bridge.local import api_routes
from django_lambda_bridge.local.server import LambdaHTTPServer, _RequestHandler
from django_lambda_bridge.local.template import Function, Template, TemplateError

logger = logging.getLogger("django_lambda_bridge.local")

#: How long a worker may take to import its handler (the init phase).
START_SECONDS = 60
_SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".git", ".aws-sam", "test-artifacts"}


#: Variables of the developer's shell that must not leak into a function: they
#: belong to whatever project the shell was last used for (Lambda has none of them).
_SHELL_ONLY = ("DJANGO_SETTINGS_MODULE", "DJANGO_LAMBDA_HANDLER", "DJANGO_LAMBDA_EVENTS")


def function_environment(
    function: Function, env_file: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The shell's environment (PATH, proxies, AWS_ENDPOINT_URL...) without another
    project's Django variables, then the template's, then the env file's."""
    env = {k: v for k, v in os.environ.items() if k not in _SHELL_ONLY}
    env.update(function.environment)
    env.update(env_file.get("Parameters", {}))
    env.update(env_file.get(function.name, {}))
    return env


class EmulatorError(Exception):
    """The emulator cannot start; the message says what to fix."""


def read_env_file(path: str | Path | None) -> dict[str, dict[str, str]]:
    """SAM's ``--env-vars`` file: ``{"Parameters": {...}, "<FunctionId>": {...}}``."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise EmulatorError(f"Cannot read the env file {path}: {exc.strerror}.") from None
    except ValueError as exc:
        raise EmulatorError(f"The env file {path} is not JSON: {exc}.") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and all(isinstance(x, str | int | float | bool) for x in v.values())
        for v in data.values()
    ):
        raise EmulatorError(
            f"The env file {path} must map 'Parameters' or function ids to objects of "
            'variables, e.g. {"Parameters": {"DJANGO_DEBUG": "1"}}.'
        )
    return {k: {n: str(x) for n, x in v.items()} for k, v in data.items()}


@dataclass
class Worker:
    """One function's process, answering the Invoke API on ``port``."""

    function: Function
    port: int
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    stamp: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self.stamp = sources_stamp(self.function.code_uri)
        command = [
            sys.executable, "-m", "django_lambda_bridge.local.worker", self.function.name,
            str(self.function.code_uri), self.function.handler, str(self.port),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=None, text=True
        )
        deadline = time.monotonic() + START_SECONDS
        ready = _read_line(self.process, START_SECONDS)
        while ready not in ("ready", None, "") and time.monotonic() < deadline:
            print(ready, flush=True)  # the function's own output during init (JSON logs)
            ready = _read_line(self.process, max(0.0, deadline - time.monotonic()))
        if ready == "ready":
            _forward(self.process)
        else:
            self.stop()
            raise EmulatorError(
                f"{self.function.name} did not start (its handler "
                f"{self.function.handler!r} in {self.function.code_uri} failed to import; "
                "its traceback is above)."
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart_if_changed(self) -> bool:
        if sources_stamp(self.function.code_uri) == self.stamp:
            return False
        with self.lock:
            self.stop()
            self.start()
        return True

    def invoke(self, event: Mapping[str, Any]) -> tuple[Any, bool]:
        """``(payload, function_error)`` of one synchronous invocation."""
        url = f"http://127.0.0.1:{self.port}/2015-03-31/functions/{self.function.name}/invocations"
        request = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST")
        with self.lock, urllib.request.urlopen(request, timeout=900) as reply:
            payload = json.loads(reply.read() or b"null")
            return payload, bool(reply.headers.get("X-Amz-Function-Error"))


def _read_line(process: subprocess.Popen[str], seconds: float) -> str | None:
    result: list[str] = []
    reader = threading.Thread(
        target=lambda: result.append((process.stdout.readline() if process.stdout else "").strip()),
        daemon=True,
    )
    reader.start()
    reader.join(seconds)
    return result[0] if result else None


def _forward(process: subprocess.Popen[str]) -> None:
    """Pass on what the function prints after start-up, so a full pipe never blocks it."""

    def copy() -> None:
        for line in process.stdout or ():
            sys.stdout.write(line)
            sys.stdout.flush()

    threading.Thread(target=copy, daemon=True, name="worker-stdout").start()


def sources_stamp(folder: Path) -> float:
    """The newest modification time of the folder's Python files (what reloading watches)."""
    newest = 0.0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith(".py"):
                with suppress(OSError):
                    newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    return newest


class _QuietRequestHandler(_RequestHandler):
    """The gateway logs its own line per request (with the function); no second one."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Gateway(LambdaHTTPServer):
    """One API's front door: its stage, its routes, its functions' workers."""

    def __init__(
        self,
        api: str,
        kind: str,
        stage: str,
        targets: list[api_routes.Target],
        workers: Mapping[str, Worker],
        port: int,
    ) -> None:
        self.api = api
        self.targets = targets
        self.workers = workers
        self._chosen = threading.local()
        fmt = {"Api": "v1", "FunctionUrl": "function-url"}.get(kind, "v2")
        super().__init__(("127.0.0.1", port), self.dispatch, fmt=fmt, stage=stage)
        self.RequestHandlerClass = _QuietRequestHandler

    def to_event(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, peer: str
    ) -> dict[str, Any] | None:
        path = target
        if self.prefix:
            if not (path == self.prefix or path.startswith((self.prefix + "/", self.prefix + "?"))):
                return None
            path = path[len(self.prefix) :] or "/"
        chosen = api_routes.pick(self.targets, method, path)
        if chosen is None:
            logger.info("%s %s -> no route on %s", method, target, self.api)
            return None
        self._chosen.target = chosen
        self._chosen.request = f"{method} {target}"
        return super().to_event(method, target, headers, body, peer)

    def dispatch(self, event: dict[str, Any], context: Any) -> Any:
        target: api_routes.Target = self._chosen.target
        started = time.monotonic()
        payload, failed = self.workers[target.function].invoke(event)
        took = (time.monotonic() - started) * 1000
        status = payload.get("statusCode", "?") if isinstance(payload, dict) else "?"
        logger.info(
            "%s -> %s (%s, %.0f ms)", self._chosen.request, 502 if failed else status,
            target.function, took,
        )  # fmt: skip
        if failed:
            raise RuntimeError(f"{target.function} raised: {payload}")
        return payload


@dataclass
class Emulator:
    """Workers and front doors for every HTTP API of a template."""

    template: Template
    port: int = 3000
    env_file: dict[str, dict[str, str]] = field(default_factory=dict)
    workers: dict[str, Worker] = field(default_factory=dict)
    gateways: list[Gateway] = field(default_factory=list)

    def plan(self) -> list[tuple[str, str, str, list[api_routes.Target]]]:
        """``[(api id, kind, stage, targets)]`` in template order."""
        apis: dict[str, tuple[str, str, list[api_routes.Target]]] = {}
        for function in self.template.functions.values():
            for route in function.routes:
                if route.kind == "FunctionUrl":
                    key, kind, stage = route.api, "FunctionUrl", "$default"
                elif route.api:
                    if route.api not in self.template.apis:
                        raise TemplateError(
                            f"{function.name}: its {route.kind} event names {route.api!r}, "
                            "which is not an API of this template."
                        )
                    api = self.template.apis[route.api]
                    key, kind, stage = api.name, api.kind, api.stage
                else:  # SAM's implicit API for events without ApiId/RestApiId
                    key = f"Serverless{route.kind}"
                    kind, stage = route.kind, "$default" if route.kind == "HttpApi" else "Prod"
                apis.setdefault(key, (kind, stage, []))[2].append(
                    api_routes.Target(function.name, route.path, route.method)
                )
        return [(key, kind, stage, targets) for key, (kind, stage, targets) in apis.items()]

    def environment(self, function: Function) -> dict[str, str]:
        env = function_environment(function, self.env_file)
        missing = [name for name in function.unresolved if name not in env]
        if missing:
            logger.warning(
                "%s: %s only have values in a deployed stack; set them in the env file "
                '(--env-vars, {"%s": {...}}) if the code needs them locally',
                function.name, ", ".join(missing), function.name,
            )  # fmt: skip
        return env

    #: Functions to run besides the APIs' (``local start`` adds queue and schedule ones).
    extra_functions: list[str] = field(default_factory=list)
    #: Variables every function gets (``local start``: the moto endpoint and credentials).
    extra_env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        plan = self.plan()
        if not plan:
            raise EmulatorError("The template has no function with an HTTP API event to serve.")
        names = sorted(
            {t.function for _, _, _, targets in plan for t in targets} | set(self.extra_functions)
        )
        for name in names:
            function = self.template.functions[name]
            for event in function.not_emulated:
                logger.warning("%s: event %s is not emulated by start-api", name, event)
            worker = Worker(
                function, _free_port(), {**self.environment(function), **self.extra_env}
            )
            worker.start()
            self.workers[name] = worker
        for offset, (api, kind, stage, targets) in enumerate(plan):
            self.gateways.append(
                Gateway(api, kind, stage, targets, self.workers, self.port + offset)
            )

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()

    def urls(self) -> list[tuple[str, str, list[str]]]:
        return [
            (
                g.api,
                f"http://127.0.0.1:{g.server_address[1]}{g.prefix}/",
                sorted({t.function for t in g.targets}),
            )
            for g in self.gateways
        ]

    def start_lines(self) -> list[str]:
        """One line per API: its id, its local URL and the functions behind it."""
        return [f"{api}: {url}  ({', '.join(fns)})" for api, url, fns in self.urls()]

    @contextmanager
    def running(self) -> Iterator[Emulator]:
        """Start everything, serve from background threads, stop it all on exit."""
        self.start()
        threads = []
        try:
            for gateway in self.gateways:
                thread = threading.Thread(target=gateway.serve_forever, args=(0.05,), daemon=True)
                thread.start()
                threads.append(thread)
            yield self
        finally:
            for gateway in self.gateways:
                gateway.shutdown()
                gateway.server_close()
            self.stop()

    def reload_changed(self) -> list[str]:
        return [name for name, worker in self.workers.items() if worker.restart_if_changed()]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_until_interrupted(emulator: Emulator, lines: list[str]) -> None:
    """Print the start lines, then reload changed workers every second until Ctrl-C."""
    try:  # a Ctrl-C (or SIGTERM) right after the last line is printed still stops cleanly
        for line in lines:
            print(line, flush=True)
        while True:
            time.sleep(1)
            for name in emulator.reload_changed():
                print(f"{name}: code changed, worker restarted", flush=True)
    except KeyboardInterrupt:
        pass


def start_api(template: Template, port: int, env_file: dict[str, dict[str, str]]) -> None:
    """Serve until Ctrl-C, printing one line per API and reloading changed workers."""
    emulator = Emulator(template, port, env_file)
    with emulator.running():
        serve_until_interrupted(emulator, emulator.start_lines())
