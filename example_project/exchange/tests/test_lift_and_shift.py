"""The service is a plain Django project: Lambda is two files, and Django is happy.

Only the Lambda entry point and the event handlers may know about
django_lambda_bridge; everything else must run unchanged under runserver or
gunicorn. The project must also pass Django's own checks, with no migration
missing, and the deployment checklist must report no errors.
"""

import ast
import io
import os
import secrets
import subprocess
import sys
import tokenize
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BRIDGE = "django_lambda_bridge"
ALLOWED_IMPORTERS = {"exchange_service/lambda_function.py", "messaging/lambda_events.py"}
ENTRY_POINT = PROJECT / "exchange_service" / "lambda_function.py"


def project_sources():
    for path in sorted(PROJECT.rglob("*.py")):
        relative = path.relative_to(PROJECT)
        if relative.parts[0] in {"tests", "test-artifacts"} or any(
            part.startswith(".") or part in {"__pycache__", "node_modules"}
            for part in relative.parts
        ):
            continue
        yield relative.as_posix(), path


def imports_bridge(tree):
    """Line numbers of ``import django_lambda_bridge[...]`` / ``from django_lambda_bridge[...]``."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == BRIDGE or name.startswith(BRIDGE + ".") for name in names):
            lines.append(node.lineno)
    return lines


def test_only_the_lambda_files_import_the_bridge():
    importers = {}
    for relative, path in project_sources():
        found = imports_bridge(ast.parse(path.read_text(), filename=str(path)))
        if found:
            importers[relative] = found
    offenders = {name: lines for name, lines in importers.items() if name not in ALLOWED_IMPORTERS}
    assert not offenders, (
        f"Only {sorted(ALLOWED_IMPORTERS)} may import {BRIDGE}; the rest of the project must "
        "stay plain Django. Offenders (file: lines): "
        + "; ".join(f"{name}: {lines}" for name, lines in sorted(offenders.items()))
    )
    assert "exchange_service/lambda_function.py" in importers, "the entry point lost its import"


def test_the_scan_sees_imports_but_not_installed_apps_strings():
    tree = ast.parse(
        "import django_lambda_bridge\n"
        "import django_lambda_bridge.kinds as k\n"
        "from django_lambda_bridge.conf import x\n"
        "from django_lambda_bridgework import y\n"
        "from .django_lambda_bridge import z\n"
        "INSTALLED_APPS = ['django_lambda_bridge']\n"
    )
    assert imports_bridge(tree) == [1, 2, 3]
    settings = PROJECT / "exchange_service" / "settings.py"
    assert f'"{BRIDGE}"' in settings.read_text()
    assert imports_bridge(ast.parse(settings.read_text())) == []


NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}


def code_lines(path):
    """Source lines other than blanks, comments and docstrings."""
    source = path.read_text()
    docstring_lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstring_lines.update(range(first.lineno, first.end_lineno + 1))
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in NOT_CODE:
            continue
        lines.update(range(token.start[0], token.end[0] + 1))
    return sorted(lines - docstring_lines)


def test_the_lambda_entry_point_is_at_most_two_lines():
    lines = code_lines(ENTRY_POINT)
    text = ENTRY_POINT.read_text().splitlines()
    assert len(lines) <= 2, "exchange_service/lambda_function.py has grown:\n" + "\n".join(
        f"{n}: {text[n - 1]}" for n in lines
    )


def manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") or key == "DJANGO_SETTINGS_MODULE"
    }
    environment.setdefault("DJANGO_SETTINGS_MODULE", "exchange_service.settings")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_check_passes():
    result = manage("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_migrations_are_missing():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, "models changed without a migration:\n" + result.stdout


def test_deploy_checklist_has_no_errors():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "ERROR",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_DEBUG="0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERRORS:" not in result.stderr, result.stderr
