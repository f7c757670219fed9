"""The init phase's errors and the package's public face, each in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(code: str, *paths: Path, settings: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (ROOT / "src", ROOT, *paths))
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


MAKE = "from django_lambda_bridge import make_handler\nmake_handler({!r})\n"


def test_a_readme_settings_module_pasted_as_is_says_what_to_do():
    done = run(MAKE.format("exchange_service.settings"))
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("django_lambda_bridge.errors.ConfigurationError:"), done.stderr
    assert "'exchange_service.settings' was not found" in last
    assert "Name your own project's settings module" in last
    assert "manage.py" in last
    assert "wsgi.py" in last
    # Chained from the original, which is still shown.
    assert "ModuleNotFoundError: No module named 'exchange_service'" in done.stderr
    assert "direct cause" in done.stderr


def test_a_missing_settings_module_inside_an_existing_package_gets_the_same_hint(tmp_path):
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    done = run(MAKE.format("mysite.settings"), tmp_path)
    assert "ConfigurationError: The settings module 'mysite.settings' was not found" in (
        done.stderr
    )


def test_a_missing_import_inside_the_settings_surfaces_as_itself(tmp_path):
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text("import dj_not_installed_anywhere\n")
    done = run(MAKE.format("mysite.settings"), tmp_path)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == "ModuleNotFoundError: No module named 'dj_not_installed_anywhere'"
    assert "ConfigurationError" not in done.stderr


def test_a_missing_installed_app_surfaces_as_itself(tmp_path):
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(
        "SECRET_KEY = 'x'\nINSTALLED_APPS = ['app_not_installed_anywhere']\n"
    )
    done = run(MAKE.format("mysite.settings"), tmp_path)
    assert "No module named 'app_not_installed_anywhere'" in done.stderr
    assert "ConfigurationError" not in done.stderr


def test_lambda_info_is_importable_from_the_package_lazily():
    code = (
        "import sys, django_lambda_bridge as d\n"
        "assert 'django_lambda_bridge.http.info' not in sys.modules\n"
        "from django_lambda_bridge import lambda_info\n"
        "from django_lambda_bridge.http import lambda_info as direct\n"
        "assert lambda_info is direct and d.lambda_info is direct\n"
        "assert 'lambda_info' in d.__all__\n"
        "class R: META = {}\n"
        "assert lambda_info(R()) is None and lambda_info(object()) is None\n"
        "print('ok')\n"
    )
    done = run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_importing_the_package_stays_cheap():
    code = (
        "import sys, django_lambda_bridge\n"
        "heavy = [m for m in ('django', 'boto3', 'aws_lambda_powertools', 'apig_wsgi',"
        " 'django_lambda_bridge.http') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_unknown_attributes_are_still_attribute_errors():
    done = run(
        "import django_lambda_bridge as d\ntry:\n d.nope\nexcept AttributeError as e:\n print(e)\n"
    )
    assert "has no attribute 'nope'" in done.stdout
