"""Django app config: add ``"django_lambda_bridge"`` to INSTALLED_APPS for commands and checks."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoLambdaBridgeConfig(AppConfig):
    name = "django_lambda_bridge"
    verbose_name = "Django Lambda Bridge"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django_lambda_bridge import checks, conf

        conf.connect_signals()
        checks.register()
