"""The results table's app: ``INSTALLED_APPS += ["django_lambda_bridge.tasks"]``."""

from __future__ import annotations

from django.apps import AppConfig

APP = "django_lambda_bridge.tasks"


class TasksConfig(AppConfig):
    name = APP
    label = "lambda_bridge_tasks"
    verbose_name = "Lambda tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from django_lambda_bridge.tasks.checks import check_backends, check_immediate_mode

        checks.register(check_backends)
        checks.register(check_immediate_mode, checks.Tags.security, deploy=True)
