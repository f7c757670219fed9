"""``local start``: the APIs of ``local start-api``, plus the template's queues and schedules.

The template's SQS queues (with their redrive policies) and EventBridge buses
are created on a local moto server, and the functions' ``!Ref`` / ``!GetAtt`` of
them resolve to the local ones, so the code sends to real (local) queues. Each
SQS-triggered function is fed from its queue as Lambda's event source mapping
feeds it: its batch size, ``ReportBatchItemFailures`` honoured, successes
deleted, failures left to come back after the visibility timeout (and to the
DLQ after ``maxReceiveCount``). Schedules run on demand:
``POST http://127.0.0.1:<control port>/schedules/<name>``.

A reference to one of the template's APIs (``https://${Api}.execute-api...``)
becomes that API's local URL, so one service calls the other on this machine.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django_lambda_bridge.local import template as templates
from django_lambda_bridge.local.emulator import Emulator, EmulatorError, Worker
from django_lambda_bridge.local.intrinsics import Unresolvable

logger = logging.getLogger("django_lambda_bridge.local")

#: Stand-in for an API id, replaced by the API's local URL in resolved values.
_API_MARKER = "local-api-{}"


def _moto() -> Any:
    """A started moto server on 127.0.0.1."""
    from django_lambda_bridge.testing.aws import MotoServer

    try:
        return MotoServer().start()
    except ImportError:  # pragma: no cover - depends on the environment
        raise EmulatorError(
            "local start needs moto[server] and boto3: pip install 'django-lambda-bridge[local]'."
        ) from None


def _value(read: templates.Template, resource: str, prop: str, value: Any) -> Any:
    try:
        return read.resolve(value)
    except Unresolvable:
        raise templates.TemplateError(
            f"{resource}: {prop} {value!r} cannot be resolved locally."
        ) from None


def create_resources(read: templates.Template, moto: Any) -> dict[str, dict[str, str]]:
    """Queues and buses on the moto server; the values ``!Ref``/``!GetAtt`` resolve to."""
    sqs, events = moto.client("sqs"), moto.client("events")
    values: dict[str, dict[str, str]] = {}
    pending = list(read.queues)
    while pending:  # dead-letter queues before the queues that name them
        progressed = False
        for name in list(pending):
            properties = read.resources[name].get("Properties") or {}
            redrive = properties.get("RedrivePolicy")
            target = None
            if isinstance(redrive, dict):
                arn = redrive.get("deadLetterTargetArn")
                target = (
                    arn["Fn::GetAtt"][0] if isinstance(arn, dict) and "Fn::GetAtt" in arn else None
                )
                if target is None:
                    raise templates.TemplateError(
                        f"{name}: RedrivePolicy.deadLetterTargetArn must be !GetAtt <queue>.Arn."
                    )
                if target not in values:
                    continue
            attributes: dict[str, str] = {}
            if "VisibilityTimeout" in properties:
                timeout = properties["VisibilityTimeout"]
                attributes["VisibilityTimeout"] = str(
                    _value(read, name, "VisibilityTimeout", timeout)
                )
            if target is not None:
                count = _value(read, name, "RedrivePolicy.maxReceiveCount",
                               redrive.get("maxReceiveCount", 5))  # type: ignore[union-attr]  # fmt: skip
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": values[target]["Arn"], "maxReceiveCount": str(count)}
                )
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            values[name] = {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}
            pending.remove(name)
            progressed = True
        if not progressed:
            raise templates.TemplateError(
                f"The redrive policies of {', '.join(pending)} name queues that are not in the "
                "template, or each other."
            )
    for name, resource in read.resources.items():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Events::EventBus":
            bus_name = (resource.get("Properties") or {}).get("Name", name)
            bus = str(_value(read, name, "Name", bus_name))
            arn = events.create_event_bus(Name=bus)["EventBusArn"]
            values[name] = {"Ref": bus, "Arn": arn, "Name": bus}
    for api in read.apis:
        values[api] = {"Ref": _API_MARKER.format(api)}
    return values


def _localise(env: dict[str, str], urls: Mapping[str, str]) -> None:
    """``https://local-api-X.execute-api.<region>.amazonaws.com/<path>`` → X's local origin
    and the same path (which starts with the stage, as on AWS)."""
    for key, value in env.items():
        for api, url in urls.items():
            host = f"https://{_API_MARKER.format(api)}.execute-api."
            if value.startswith(host):
                rest = value[len(host) :].split("/", 1)
                env[key] = url + (rest[1] if len(rest) > 1 else "")


@dataclass
class QueuePump:
    """One SQS trigger: receive a batch, invoke the worker, delete what succeeded."""

    sqs: Any
    queue: str
    url: str
    arn: str
    worker: Worker
    trigger: templates.QueueTrigger
    stop: threading.Event = field(default_factory=threading.Event)

    def poll(self, wait_seconds: int = 1) -> int:
        from django_lambda_bridge.testing.records import sqs_event_from_messages

        reply = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(10, self.trigger.batch_size),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait_seconds,
        )
        messages = reply.get("Messages", [])
        if not messages:
            return 0
        event = sqs_event_from_messages(messages, self.arn, self.sqs.meta.region_name)
        try:
            payload, error = self.worker.invoke(event)
        except OSError as exc:
            payload, error = {"errorMessage": str(exc)}, True
        if error:
            failed = {m["MessageId"] for m in messages}
        elif self.trigger.report_failures and isinstance(payload, dict):
            failed = {f["itemIdentifier"] for f in payload.get("batchItemFailures", [])}
        else:
            failed = set()
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        logger.info(
            "%s: %d records -> %s (%d failed, back after the visibility timeout)",
            self.queue, len(messages), self.worker.function.name, len(failed),
        )  # fmt: skip
        return len(messages)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.poll()
            except Exception:  # keep pumping: a local server hiccup must not end the loop
                logger.exception("%s: polling failed", self.queue)
                self.stop.wait(1)


@dataclass
class LocalStack:
    """``local start``: APIs, queues with their pumps, and schedules on demand."""

    read: templates.Template
    port: int = 3000
    env_file: dict[str, dict[str, str]] = field(default_factory=dict)
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    emulator: Emulator | None = None
    pumps: list[QueuePump] = field(default_factory=list)
    moto: Any = None
    control: ThreadingHTTPServer | None = None

    @contextmanager
    def running(self) -> Iterator[LocalStack]:
        self.moto = _moto()
        try:
            values = create_resources(self.read, self.moto)
            read = templates.load(self.read.path, self.parameter_overrides, values)
            triggered = [
                name for name, f in read.functions.items()
                if f.queues or any(s.input is None for s in f.schedules)
            ]  # fmt: skip
            env = {
                "AWS_ENDPOINT_URL": self.moto.endpoint_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": self.moto.region,
            }
            self.emulator = Emulator(read, self.port, self.env_file, extra_functions=triggered,
                                     extra_env=env)  # fmt: skip
            plan = self.emulator.plan()
            urls = {}
            for offset, (api, _kind, _stage, _targets) in enumerate(plan):
                urls[api] = f"http://127.0.0.1:{self.port + offset}/"  # the path keeps the stage
            for function in read.functions.values():
                _localise(function.environment, urls)
            with self.emulator.running():
                self._start_pumps(read, values)
                self._start_control(read, self.port + len(plan))
                try:
                    yield self
                finally:
                    for pump in self.pumps:
                        pump.stop.set()
                    if self.control is not None:
                        self.control.shutdown()
                        self.control.server_close()
        finally:
            self.moto.stop()

    def _start_pumps(self, read: templates.Template, values: Mapping[str, Any]) -> None:
        assert self.emulator is not None
        sqs = self.moto.client("sqs")
        for function in read.functions.values():
            for trigger in function.queues:
                queue = values[trigger.queue]
                pump = QueuePump(sqs, trigger.queue, queue["Ref"], queue["Arn"],
                                 self.emulator.workers[function.name], trigger)  # fmt: skip
                threading.Thread(target=pump.run, daemon=True, name=f"pump-{trigger.queue}").start()
                self.pumps.append(pump)

    def schedules(self) -> dict[str, Worker]:
        assert self.emulator is not None
        return {
            s.name: self.emulator.workers[f.name]
            for f in self.emulator.template.functions.values()
            for s in f.schedules
            if s.input is None and f.name in self.emulator.workers
        }

    def run_schedule(self, name: str) -> Any:
        from django_lambda_bridge.testing.records import scheduled_event

        worker = self.schedules().get(name)
        if worker is None:
            raise KeyError(name)
        payload, _error = worker.invoke(scheduled_event(name))
        logger.info("schedule %s -> %s", name, worker.function.name)
        return payload

    def _start_control(self, read: templates.Template, port: int) -> None:
        stack = self

        class Control(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._reply(200, {"schedules": sorted(stack.schedules())})

            def do_POST(self) -> None:
                name = self.path.rstrip("/").rsplit("/", 1)[-1]
                if not self.path.startswith("/schedules/"):
                    self._reply(404, {"message": "POST /schedules/<name>"})
                    return
                try:
                    self._reply(200, stack.run_schedule(name))
                except KeyError:
                    self._reply(404, {"message": f"no schedule {name!r}",
                                      "schedules": sorted(stack.schedules())})  # fmt: skip

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.control = ThreadingHTTPServer(("127.0.0.1", port), Control)
        threading.Thread(target=self.control.serve_forever, daemon=True).start()

    def urls(self) -> list[str]:
        assert self.emulator is not None
        assert self.control is not None
        lines = self.emulator.start_lines()
        for pump in self.pumps:
            lines.append(f"{pump.queue}: {pump.url} -> {pump.worker.function.name}")
        control = f"http://127.0.0.1:{self.control.server_address[1]}"
        for name in sorted(self.schedules()):
            lines.append(f"schedule {name}: curl -X POST {control}/schedules/{name}")
        lines.append(f"moto (SQS, EventBridge...): {self.moto.endpoint_url}")
        return lines
