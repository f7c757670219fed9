"""Django app config: add ``"django_lambda_bridge"`` to INSTALLED_APPS for commands and checks.

Nothing here imports test machinery: ``manage.py test`` users opt into the
Lambda switch with ``TEST_RUNNER`` (``testing.runner.LambdaDiscoverRunner``).
"""

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import register


class DjangoLambdaBridgeConfig(AppConfig):
    name = "django_lambda_bridge"
    verbose_name = "Django Lambda Bridge"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django_lambda_bridge import checks, conf

        conf.connect_signals()
        checks.register()
        from django_lambda_bridge import events
        from django_lambda_bridge.events.checks import check_routes

        events.autodiscover()  # lambda_events.py modules, the way the admin finds admin.py
        register(check_routes)
