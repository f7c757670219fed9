"""``path("", include("django_lambda_bridge.urls"))`` adds the signed event proxy view.

Its path is ``LAMBDA_BRIDGE["PROXY_PATH"]`` (default ``lambda-proxy-non-api-events``);
it answers 403 to everything until ``LAMBDA_BRIDGE["PROXY_SECRET"]`` is set, and
while its replay cache is not shared by every process (see docs/events.md).
"""

from __future__ import annotations

from django.urls import path

from django_lambda_bridge.conf import get_settings
from django_lambda_bridge.events.proxy import event_proxy

app_name = "django_lambda_bridge"

urlpatterns = [
    path(f"{get_settings().PROXY_PATH}", event_proxy, name="event-proxy"),
]
