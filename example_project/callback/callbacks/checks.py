"""A send must fit well inside the sender function's timeout, or Lambda kills it mid-batch."""

import os

from django.conf import settings
from django.core import checks


@checks.register()
def timeouts_fit_the_function(app_configs=None, **kwargs):
    raw = os.environ.get("LAMBDA_BRIDGE_FUNCTION_TIMEOUT")
    if not raw:
        return []
    try:
        function_timeout = float(raw)
    except ValueError:
        return []
    config = settings.CALLBACK
    send = config["CONNECT_TIMEOUT_SECONDS"] + config["READ_TIMEOUT_SECONDS"]
    if send * 2 <= function_timeout:
        return []
    return [
        checks.Warning(
            f"A callback send may take {send:g} s (connect + read timeout), more than half "
            f"the function timeout of {function_timeout:g} s.",
            hint="Lower CALLBACK_READ_TIMEOUT_SECONDS or raise the sender function's Timeout: "
            "a batch that runs out of time is retried whole, and its sends happen twice.",
            id="callbacks.W001",
        )
    ]
