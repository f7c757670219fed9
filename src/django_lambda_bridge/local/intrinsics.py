"""CloudFormation intrinsics, resolved where a local run can know their value.

Parameters (defaults or overrides), pseudo parameters, ``!Sub`` and ``!Join`` of
those, ``!If`` on conditions of parameters. A reference to a resource (a queue
URL, a secret) only has a value in a deployed stack: ``Unresolvable``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class TemplateError(ValueError):
    """The template asks for something the emulator cannot do; the message names where."""


class Unresolvable(Exception):
    """An intrinsic whose value only exists in a deployed stack."""


class Resolver:
    def __init__(
        self,
        parameters: Mapping[str, Any],
        conditions: Mapping[str, Any],
        pseudo: Mapping[str, str],
        resources: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.parameters = parameters
        self.conditions = conditions
        self.pseudo = pseudo
        #: Local stand-ins for resources: ``{"Queue": {"Ref": url, "Arn": arn, ...}}``.
        self.resources = resources or {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str | int | float | bool) or value is None:
            return value
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict) or len(value) != 1:
            raise Unresolvable(value)
        ((key, arg),) = value.items()
        if key == "Ref":
            if arg in self.parameters:
                return self.parameters[arg]
            if arg in self.pseudo:
                return self.pseudo[arg]
            if arg == "AWS::NoValue":
                return None
            if "Ref" in self.resources.get(arg, {}):
                return self.resources[arg]["Ref"]
            raise Unresolvable(value)
        if key == "Fn::GetAtt":
            resource, attribute = arg
            if attribute in self.resources.get(resource, {}):
                return self.resources[resource][attribute]
            raise Unresolvable(value)
        if key == "Fn::Sub":
            template, names = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            local = {k: self.resolve(v) for k, v in names.items()}

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in local:
                    return str(local[name])
                if "." in name and not name.startswith("AWS::"):
                    return str(self.resolve({"Fn::GetAtt": name.split(".", 1)}))
                return str(self.resolve({"Ref": name}))

            if "{{resolve:" in template:
                raise Unresolvable(value)
            return re.sub(r"\$\{([A-Za-z0-9:._-]+)\}", substitute, template)
        if key == "Fn::If":
            condition, yes, no = arg
            return self.resolve(yes if self.condition(condition) else no)
        if key == "Fn::Join":
            separator, items = arg
            return separator.join(str(i) for i in self.resolve(items))
        raise Unresolvable(value)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"Condition {name!r} is not defined in Conditions.")
        return bool(self._truth(self.conditions[name]))

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Fn::Equals":
                a, b = (self.resolve(v) for v in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self._truth(arg[0])
            if key == "Fn::And":
                return all(self._truth(v) for v in arg)
            if key == "Fn::Or":
                return any(self._truth(v) for v in arg)
            if key == "Condition":
                return self.condition(arg)
        raise TemplateError(f"The condition {value!r} cannot be evaluated locally.")
