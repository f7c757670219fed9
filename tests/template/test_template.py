"""template.yaml: it lints, it builds without Docker, and what it builds answers events.

Run by ``nox -s template`` (which installs aws-sam-cli and cfn-lint); outside CI,
a missing ``sam`` or a missing Python for the template's runtime skips with the
reason. The build uses a wheel of this checkout (``PIP_FIND_LINKS``), as a
user's build would use the package from PyPI.

Each built artifact is imported in a fresh interpreter started with ``-I -S``
(no site-packages, no PYTHONPATH) and only the artifact on ``sys.path``, so a
dependency missing from a service's requirements.txt, or an import that only
works from the development tree, fails here and not at deploy time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    os.uname().machine
)
#: The execute-api domain the probes' HTTP events carry.
API_HOST = "abc123.execute-api.us-east-1.amazonaws.com"
#: ELF e_machine values of the two Lambda architectures.
ELF_MACHINE = {"x86_64": 62, "arm64": 183}


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub...) read as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"Fn::{suffix}" if suffix not in ("Ref", "Condition") else suffix: value}


_Loader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Loader)


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def runtime_python() -> str:
    runtime = load_template()["Globals"]["Function"]["Runtime"]  # e.g. python3.12
    found = shutil.which(runtime)
    if found is None:
        reason = f"{runtime} (the template's runtime) is not on PATH or under pyenv"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {reason}")
        pytest.skip(reason)
    return found


def sam() -> str:
    found = shutil.which("sam")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs aws-sam-cli (nox -s template installs it)")
        pytest.skip("aws-sam-cli is not installed (nox -s template installs it)")
    return found


# ----- static checks -------------------------------------------------------------------


def test_cfn_lint_is_clean():
    if shutil.which("cfn-lint") is None:
        pytest.skip("cfn-lint is not installed (nox -s template installs it)")
    run = subprocess.run(["cfn-lint", str(TEMPLATE)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_sam_validate_lint_is_clean():
    run = subprocess.run(
        [sam(), "validate", "--lint", "--template", str(TEMPLATE)],
        capture_output=True, text=True, env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_template_names_what_others_rely_on():
    template = load_template()
    found = functions(template)
    assert set(found) == {
        "ExchangeApiFunction", "ExchangeWorkerFunction", "CallbackApiFunction",
        "CallbackSenderFunction", "CallbackSweeperFunction",
    }  # fmt: skip
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] >= "python3.12"
    assert globals_["AutoPublishAlias"] == "live"
    assert globals_["Architectures"] == [{"Ref": "Architecture"}]
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    for name in ("ExchangeWorkerFunction", "CallbackSenderFunction"):
        (event,) = found[name]["Events"].values()
        assert event["Type"] == "SQS"
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    (sweep,) = found["CallbackSweeperFunction"]["Events"].values()
    assert sweep["Type"] == "Schedule"
    for queue in ("ExchangeWorkQueue", "CallbackQueue"):
        properties = template["Resources"][queue]["Properties"]
        assert "deadLetterTargetArn" in properties["RedrivePolicy"]
    params = template["Parameters"]
    assert params["QueueVisibilityTimeout"]["Default"] >= 6 * params["FunctionTimeout"]["Default"]
    for name in ("ExchangeApiFunction", "CallbackApiFunction"):
        warm = found[name]["Events"]["WarmUp"]["Properties"]
        assert json.loads(warm["Input"]) == {"warmup": True}
        assert "DeploymentPreference" in found[name]


def test_each_api_function_allows_exactly_its_own_api_domain():
    """API Gateway sends its own domain as Host: {api-id}.execute-api.{region}.amazonaws.com
    (not a subdomain of execute-api.amazonaws.com, so a suffix pattern would miss it)."""
    for properties in functions(load_template()).values():
        apis = {
            e["Properties"]["ApiId"]["Ref"]
            for e in properties.get("Events", {}).values()
            if e["Type"] == "HttpApi"
        }
        if not apis:
            continue
        (api,) = apis
        hosts = properties["Environment"]["Variables"]["DJANGO_ALLOWED_HOSTS"]["Fn::Sub"]
        assert hosts == f"${{{api}}}.execute-api.${{AWS::Region}}.amazonaws.com,${{AllowedHosts}}"


def test_the_sweepers_schedule_is_the_one_its_route_names():
    sweeper = functions(load_template())["CallbackSweeperFunction"]
    rule = sweeper["Events"]["Sweep"]["Properties"]["Name"]
    assert rule == sweeper["Environment"]["Variables"]["CALLBACK_SWEEP_SCHEDULE"]


# ----- sam build -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT), "-w", str(out)],
        check=True,
    )
    return out


def sam_build(arch: str, wheels: Path, out: Path, *only: str) -> Path:
    python = runtime_python()
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "PIP_FIND_LINKS": str(wheels),
        "PATH": os.pathsep.join([str(Path(python).parent), os.environ["PATH"]]),
    }
    run = subprocess.run(
        [sam(), "build", *only, "--template", str(TEMPLATE), "--build-dir", str(out),
         "--parameter-overrides", f"Architecture={arch}"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def host_build(wheels, tmp_path_factory):
    if HOST_ARCH is None:
        pytest.skip(f"no Lambda architecture for this machine ({os.uname().machine})")
    return sam_build(HOST_ARCH, wheels, tmp_path_factory.mktemp(f"build-{HOST_ARCH}"))


PROBE = r"""
import json, sys
artifact, module, events = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, artifact)
handler = __import__(module, fromlist=["handler"]).handler
from django_lambda_bridge.testing.context import FakeContext
replies = []
for event in events:
    try:
        replies.append({"reply": handler(event, FakeContext())})
    except Exception as exc:
        replies.append({"error": f"{type(exc).__name__}: {exc}"})
outside = sorted(
    name for name, mod in list(sys.modules.items())
    if getattr(mod, "__file__", None) and not mod.__file__.startswith((artifact, sys.base_prefix))
)
print(json.dumps({"replies": replies, "outside": outside}))
"""


def invoke_artifact(artifact: Path, handler: str, events: list[dict], tmp_path: Path) -> dict:
    module = handler.rsplit(".", 1)[0]
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SECRET_KEY": "build-test-only",
        "DJANGO_ALLOWED_HOSTS": API_HOST,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    run = subprocess.run(
        [runtime_python(), "-I", "-S", "-c", PROBE, str(artifact), module, json.dumps(events)],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def trigger_events(name: str, properties: dict) -> list[dict]:
    """A migrate, a warm-up ping, then an event of each of the function's triggers."""
    from django_lambda_bridge.testing import scheduled_event, sqs_event
    from django_lambda_bridge.testing.events import http_event

    events: list[dict] = [{"manage": ["migrate", "--noinput"]}, {"warmup": True}]
    for event in properties.get("Events", {}).values():
        if event["Type"] == "HttpApi":
            events.append(
                http_event(
                    "v2",
                    "GET",
                    "/api/v1/health/",
                    stage="prod",
                    host="abc123.execute-api.us-east-1.amazonaws.com",
                )
            )
            break
    for event in properties.get("Events", {}).values():
        if event["Type"] == "SQS":
            body = {"callback_id": "00000000-0000-0000-0000-000000000000", "attempt": 1}
            if name.startswith("Exchange"):
                body = {"message_id": "00000000-0000-0000-0000-000000000000"}
            events.append(sqs_event(json.dumps(body), queue="work"))
        elif event["Type"] == "Schedule" and "Name" in event["Properties"]:
            events.append(scheduled_event("callback-sweeper"))
    return events


def test_every_built_function_imports_alone_and_answers_its_triggers(host_build, tmp_path):
    built = load_template(host_build / "template.yaml")
    for name, properties in functions(built).items():
        artifact = host_build / properties["CodeUri"]
        result = invoke_artifact(artifact, properties["Handler"], trigger_events(name, properties),
                                 tmp_path / name)  # fmt: skip
        assert result["outside"] == [], f"{name} imported from outside its artifact"
        migrate, warm, *triggers = result["replies"]
        assert migrate["reply"]["exit_code"] == 0, (name, migrate)
        assert warm["reply"]["warm"] is True, (name, warm)
        assert triggers, name
        for reply in triggers:
            if "error" in reply:  # the exchange worker: the message names no stored message
                assert name == "ExchangeWorkerFunction", (name, reply)
                assert "DoesNotExist" in reply["error"], reply
            elif "statusCode" in reply["reply"]:
                assert reply["reply"]["statusCode"] == 200, (name, reply)
            else:
                assert reply["reply"] in (
                    {"batchItemFailures": []},
                    {"found": 0, "enqueued": 0},
                    {"found": 0, "attempted": 0},
                ), (name, reply)


def test_boto3_is_not_bundled_and_sizes_are_reported(host_build, capsys):
    built = load_template(host_build / "template.yaml")
    sizes = {}
    for name, properties in functions(built).items():
        artifact = host_build / properties["CodeUri"]
        assert not (artifact / "boto3").exists(), f"{name} bundles boto3; the runtime has it"
        assert not (artifact / "botocore").exists(), name
        sizes[name] = sum(f.stat().st_size for f in artifact.rglob("*") if f.is_file())
        assert sizes[name] < 250 * 1024 * 1024, "over Lambda's unzipped limit"
    with capsys.disabled():
        for name, size in sorted(sizes.items()):
            print(f"\n{name}: {size / 1024 / 1024:.1f} MiB unzipped", end="")


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


def test_the_arm64_build_carries_aarch64_binaries(wheels, tmp_path):
    # One function per service is enough: functions of one CodeUri share an artifact.
    build = sam_build("arm64", wheels, tmp_path / "build-arm64", "ExchangeApiFunction")
    built = load_template(build / "template.yaml")
    checked = []
    for name, properties in functions(built).items():
        artifact = (build / str(properties["CodeUri"])).resolve()
        if build.resolve() not in artifact.parents:
            continue  # not built in this run: it still points at the source
        checked.append(name)
        binaries = list(artifact.rglob("*.so"))
        assert binaries, f"{name}: no compiled extension found (psycopg2-binary has some)"
        machines = {elf_machine(b) for b in binaries}
        assert machines == {ELF_MACHINE["arm64"]}, (name, machines)
    assert checked == ["ExchangeApiFunction"]


def test_no_database_password_is_baked_into_the_deployment(tmp_path):
    """The password is read from the secret when a connection opens (so a rotation needs
    no redeploy), with GetSecretValue granted; connections persist, health-checked."""
    assert "SecretString:password" not in TEMPLATE.read_text()
    template = load_template()
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["DJANGO_DB_SECRET_ARN"] == {
        "Fn::If": ["HasDatabase", {"Ref": "DatabaseSecretArn"}, ""]
    }
    assert "{{resolve" not in json.dumps(env["DATABASE_URL"])
    grant = {
        "Fn::If": [
            "HasDatabase",
            {"Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                            "Resource": {"Ref": "DatabaseSecretArn"}}]},
            {"Ref": "AWS::NoValue"},
        ]
    }  # fmt: skip
    for name, function in functions(template).items():
        assert grant in function["Policies"], name
    # What both services' settings make of that environment.
    for service in ("exchange", "callback"):
        code = (
            "import django, json; from django.conf import settings; django.setup(); "
            "db = settings.DATABASES['default']; "
            "print(json.dumps([db['ENGINE'], db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'], "
            "db['LAMBDA_BRIDGE'], db['PASSWORD'], settings.LAMBDA_BRIDGE]))"
        )
        run = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT / "example_project" / service,
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": f"{service}_service.settings",
                 "DJANGO_CONN_MAX_AGE": env["DJANGO_CONN_MAX_AGE"],
                 "DJANGO_DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:db",
                 "DATABASE_URL": "postgres://db.example.com:5432/app?sslmode=require",
                 "LAMBDA_JSON_LOGS": env["LAMBDA_JSON_LOGS"],
                 "POWERTOOLS_METRICS_NAMESPACE": "Stack"},
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout) == [
            "django_lambda_bridge.db.backends.postgresql", None, True,
            {"SECRET_ID": "arn:aws:secretsmanager:eu-west-1:1:secret:db"}, "",
            {"JSON_LOGS": True, "METRICS": True},
        ], service  # fmt: skip
