from django.apps import AppConfig


class CallbacksConfig(AppConfig):
    name = "callbacks"
    verbose_name = "Callbacks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from callbacks import checks  # noqa: F401  (registers the system check)
