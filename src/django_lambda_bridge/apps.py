"""Django app config: add ``"django_lambda_bridge"`` to INSTALLED_APPS for commands and checks.

Nothing here imports test machinery: ``manage.py test`` users opt into the
Lambda switch with ``TEST_RUNNER`` (``testing.runner.LambdaDiscoverRunner``).
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig
from django.core import checks as django_checks
from django.core.checks import CheckMessage, register

#: The switch ``manage.py test`` users set; read by ``testing.runner``, not here.
ENV_EVENTS = "DJANGO_LAMBDA_EVENTS"
LAMBDA_RUNNER = "django_lambda_bridge.testing.runner.LambdaDiscoverRunner"
#: Set by that runner while it runs (it may be chosen with --testrunner, not TEST_RUNNER).
ENV_RUNNER_ACTIVE = "DJANGO_LAMBDA_RUNNER_ACTIVE"


def check_test_switch(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when the switch is set but the test runner cannot apply it.

    ``manage.py test`` runs the system checks first, so a suite that would
    otherwise run in-process and pass silently says so before it starts.
    """
    if not os.environ.get(ENV_EVENTS, "").strip() or os.environ.get(ENV_RUNNER_ACTIVE):
        return []
    from django.conf import settings
    from django.utils.module_loading import import_string

    runner = getattr(settings, "TEST_RUNNER", "django.test.runner.DiscoverRunner")
    try:
        applies = bool(getattr(import_string(runner), "applies_lambda_switch", False))
    except ImportError:
        return []  # Django reports a bad TEST_RUNNER itself
    if applies:
        return []
    return [
        django_checks.Warning(
            f"${ENV_EVENTS} is set, but TEST_RUNNER ({runner}) does not apply it: "
            "manage.py test would run every request in-process.",
            hint=f'Set TEST_RUNNER = "{LAMBDA_RUNNER}" (pytest users: --lambda-events).',
            id="django_lambda_bridge.W090",
        )
    ]


class DjangoLambdaBridgeConfig(AppConfig):
    name = "django_lambda_bridge"
    verbose_name = "Django Lambda Bridge"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django_lambda_bridge import checks, conf

        conf.connect_signals()
        checks.register()
        from django_lambda_bridge.deploy_checks import register_deploy_checks

        register_deploy_checks()
        from django_lambda_bridge import events
        from django_lambda_bridge.events.checks import check_routes

        events.autodiscover()  # lambda_events.py modules, the way the admin finds admin.py
        register(check_routes)
        register(check_test_switch)
