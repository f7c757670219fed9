"""Reading a SAM ``template.yaml`` into what a local emulator needs to serve it.

Only the parts that decide how a function is called are read: each
``AWS::Serverless::Function``'s code, handler and environment (``Globals``
merged in, as SAM merges them), and its events (HTTP APIs, REST APIs, Function
URLs, SQS queues, schedules), with the APIs' stages. Intrinsic functions are
resolved where a local run can know the answer (parameters, ``AWS::Region``,
``!Sub`` of those, ``!If`` on a condition of parameters); where it cannot (a
queue URL, a secret), the variable is left out and named in ``unresolved``, so
an env file (as with ``sam local --env-vars``) can supply it.

Anything the emulator would have to guess at is refused with a
``TemplateError`` naming the resource and the property.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_lambda_bridge.local.intrinsics import Resolver, TemplateError, Unresolvable

__all__ = ["Api", "Function", "HttpRoute", "QueueTrigger", "ScheduleTrigger", "Template",
           "TemplateError", "load"]  # fmt: skip

FUNCTION = "AWS::Serverless::Function"
HTTP_API = "AWS::Serverless::HttpApi"
REST_API = "AWS::Serverless::Api"
#: Event types a local run can serve or feed; others are listed as not emulated.
EVENT_TYPES = ("HttpApi", "Api", "SQS", "Schedule")
#: What ``AWS::Region`` and friends resolve to locally.
PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "local",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


@dataclass(frozen=True)
class HttpRoute:
    api: str  # logical id of the API resource ("" for the implicit one)
    kind: str  # "HttpApi" (payload v2), "Api" (REST, v1) or "FunctionUrl" (v2)
    path: str
    method: str


@dataclass(frozen=True)
class QueueTrigger:
    queue: str  # logical id of the AWS::SQS::Queue
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class ScheduleTrigger:
    name: str
    expression: str
    input: str | None


@dataclass
class Function:
    name: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    unresolved: list[str] = field(default_factory=list)
    routes: list[HttpRoute] = field(default_factory=list)
    queues: list[QueueTrigger] = field(default_factory=list)
    schedules: list[ScheduleTrigger] = field(default_factory=list)
    not_emulated: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Api:
    name: str
    kind: str
    stage: str


@dataclass
class Template:
    path: Path
    functions: dict[str, Function]
    apis: dict[str, Api]
    queues: list[str]
    #: The template's resources as written (``local start`` creates queues and buses).
    resources: dict[str, Any] = field(default_factory=dict)
    #: Resolves an intrinsic as this template's functions' environments were resolved.
    resolve: Any = None


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:  # pragma: no cover - depends on the environment
        raise TemplateError(
            "Reading template.yaml needs PyYAML: pip install 'django-lambda-bridge[local]'."
        ) from None
    return yaml


def _loader() -> Any:
    yaml = _yaml()

    class Loader(yaml.SafeLoader):  # type: ignore[misc, name-defined]
        """CloudFormation's short tags (``!Ref``, ``!Sub``...) as their long forms."""

    def tag(loader: Any, suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", tag)
    return Loader


def load(
    path: str | Path,
    parameter_overrides: Mapping[str, str] | None = None,
    resources: Mapping[str, Mapping[str, str]] | None = None,
) -> Template:
    """Read ``path``; ``parameter_overrides`` win over the parameters' defaults.

    ``resources`` gives local stand-ins (``{"Queue": {"Ref": url, "Arn": arn}}``) for
    ``!Ref`` and ``!GetAtt`` of the template's resources, as ``local start`` makes them.
    """
    path = Path(path).resolve()
    try:
        text = path.read_text()
    except OSError as exc:
        raise TemplateError(f"Cannot read the template {path}: {exc.strerror}.") from None
    yaml = _yaml()
    try:
        document = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path.name} has no Resources section.")
    return _Reader(path, document, dict(parameter_overrides or {}), resources or {}).read()


class _Reader:
    def __init__(
        self,
        path: Path,
        document: dict[str, Any],
        overrides: dict[str, str],
        resources: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.path = path
        self.document = document
        self.resources: dict[str, Any] = document["Resources"]
        self.parameters = self._parameters(overrides)
        conditions = document.get("Conditions") or {}
        self.resolver = Resolver(self.parameters, conditions, PSEUDO, resources)
        self.resolve = self.resolver.resolve

    def _parameters(self, overrides: dict[str, str]) -> dict[str, Any]:
        declared = self.document.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"Unknown parameter(s) {', '.join(unknown)} in the overrides.")
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in overrides:
                values[name] = overrides[name]
            elif isinstance(spec, dict) and "Default" in spec:
                default = spec["Default"]
                if spec.get("Type") == "CommaDelimitedList" and isinstance(default, str):
                    default = [item for item in default.split(",") if item]
                values[name] = default
        return values

    def read(self) -> Template:
        apis = {
            name: Api(name, "HttpApi" if r["Type"] == HTTP_API else "Api", self._stage(name, r))
            for name, r in self.resources.items()
            if isinstance(r, dict) and r.get("Type") in (HTTP_API, REST_API)
        }
        globals_ = (self.document.get("Globals") or {}).get("Function") or {}
        functions = {
            name: self._function(name, resource, globals_)
            for name, resource in self.resources.items()
            if isinstance(resource, dict) and resource.get("Type") == FUNCTION
        }
        queues = [
            name
            for name, r in self.resources.items()
            if isinstance(r, dict) and r.get("Type") == "AWS::SQS::Queue"
        ]
        return Template(self.path, functions, apis, queues, self.resources, self.resolve)

    def _stage(self, name: str, resource: dict[str, Any]) -> str:
        stage = (resource.get("Properties") or {}).get("StageName", "$default")
        try:
            return str(self.resolve(stage))
        except Unresolvable:
            raise TemplateError(
                f"{name}: StageName {stage!r} cannot be resolved locally."
            ) from None

    def _function(self, name: str, resource: dict[str, Any], globals_: dict[str, Any]) -> Function:
        properties = {**globals_, **(resource.get("Properties") or {})}
        code_uri = properties.get("CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(
                f"{name}: CodeUri must be a local folder (a string); got {code_uri!r}. "
                "Inline code and S3 locations are not emulated."
            )
        folder = (self.path.parent / code_uri).resolve()
        if not folder.is_dir():
            raise TemplateError(
                f"{name}: CodeUri {code_uri!r} is not a folder next to the template."
            )
        handler = properties.get("Handler")
        if not isinstance(handler, str) or "." not in handler:
            raise TemplateError(f"{name}: Handler must be 'module.function', got {handler!r}.")
        function = Function(name, folder, handler, {})
        self._environment(function, globals_, resource.get("Properties") or {})
        for event_name, event in (properties.get("Events") or {}).items():
            self._event(function, event_name, event)
        if properties.get("FunctionUrlConfig") is not None:
            function.routes.append(HttpRoute(f"{name}Url", "FunctionUrl", "/{proxy+}", "ANY"))
        return function

    def _environment(
        self, function: Function, globals_: dict[str, Any], properties: dict[str, Any]
    ) -> None:
        merged: dict[str, Any] = {}
        for source in (globals_, properties):
            variables = (source.get("Environment") or {}).get("Variables") or {}
            if not isinstance(variables, dict):
                raise TemplateError(
                    f"{function.name}: Environment.Variables must be a mapping of names to values."
                )
            merged.update(variables)
        for key, value in merged.items():
            try:
                resolved = self.resolve(value)
            except Unresolvable:
                function.unresolved.append(key)
                continue
            if resolved is not None:
                function.environment[key] = str(resolved)

    def _event(self, function: Function, event_name: str, event: Any) -> None:
        where = f"{function.name}: Events.{event_name}"
        if not isinstance(event, dict) or not isinstance(event.get("Type"), str):
            raise TemplateError(f"{where} needs a Type.")
        kind = event["Type"]
        properties = event.get("Properties") or {}
        if kind in ("HttpApi", "Api"):
            api_ref = properties.get("ApiId" if kind == "HttpApi" else "RestApiId")
            api = self._ref_name(api_ref, where) if api_ref is not None else ""
            path = properties.get("Path", "/{proxy+}" if kind == "HttpApi" else None)
            method = properties.get("Method", "ANY")
            if not isinstance(path, str) or not isinstance(method, str):
                raise TemplateError(f"{where}: Path and Method must be strings.")
            function.routes.append(HttpRoute(api, kind, path, method.upper()))
        elif kind == "SQS":
            queue = properties.get("Queue")
            if not (isinstance(queue, dict) and "Fn::GetAtt" in queue):
                raise TemplateError(
                    f"{where}: Queue must be !GetAtt <queue>.Arn of a queue in this template."
                )
            responses = properties.get("FunctionResponseTypes") or []
            function.queues.append(
                QueueTrigger(
                    queue["Fn::GetAtt"][0],
                    int(self._value(properties.get("BatchSize", 10), where)),
                    "ReportBatchItemFailures" in responses,
                )
            )
        elif kind == "Schedule":
            name = properties.get("Name")
            function.schedules.append(
                ScheduleTrigger(
                    str(self._value(name, where)) if name is not None else event_name,
                    str(self._value(properties.get("Schedule", ""), where)),
                    properties.get("Input"),
                )
            )
        else:
            function.not_emulated.append(f"{event_name} ({kind})")

    def _ref_name(self, value: Any, where: str) -> str:
        if isinstance(value, dict) and isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        raise TemplateError(f"{where}: the API must be a !Ref to an API in this template.")

    def _value(self, value: Any, where: str) -> Any:
        try:
            return self.resolve(value)
        except Unresolvable:
            raise TemplateError(f"{where}: {value!r} cannot be resolved locally.") from None
