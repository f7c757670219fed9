"""The signed event proxy view: run event handlers on a server, before or beside Lambda.

During a migration the same ``lambda_events.py`` handlers can be fed by a queue
poller or forwarder that POSTs ``{"event": {...}}`` here, signed with
``signing.sign_event``. Only events that routes handle are accepted: never HTTP
events, warm-ups or management commands. Each signature runs once: it is kept in
``LAMBDA_BRIDGE["PROXY_REPLAY_CACHE"]``, which ``proxy_config`` insists every
server process shares.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from django_lambda_bridge.conf import get_settings
from django_lambda_bridge.errors import BatchFailedError, EventError, SignatureError
from django_lambda_bridge.events.proxy_config import proxy_secrets, refusal
from django_lambda_bridge.events.routes import ROUTABLE_KINDS
from django_lambda_bridge.events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from django_lambda_bridge.kinds import classify

logger = logging.getLogger("django_lambda_bridge.events")


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # authenticated by its signature, not a session
@require_POST
@transaction.non_atomic_requests  # each record gets its own hygiene and atomic, as on Lambda
def event_proxy(request: HttpRequest) -> HttpResponse:
    conf = get_settings()
    body = request.body
    signed = request.headers.get(SIGNATURE_HEADER)
    try:
        verify(
            body,
            request.headers.get(TIMESTAMP_HEADER),
            signed,
            proxy_secrets(conf),
            conf.PROXY_MAX_AGE_SECONDS,
        )
        # Checked per request too: runserver and gunicorn never call make_handler.
        unsafe = refusal(conf)
        if unsafe is not None:
            logger.error("Refused an event proxy request, its setup is unsafe: %s", unsafe)
            return _error(403, "Forbidden: the request is not correctly signed.")
        if not caches[conf.PROXY_REPLAY_CACHE].add(
            f"django_lambda_bridge:proxy:{signed}", 1, timeout=2 * conf.PROXY_MAX_AGE_SECONDS + 1
        ):
            raise SignatureError("this signed request was already used")
    except SignatureError as exc:
        logger.warning("Refused an event proxy request: %s", exc)
        return _error(403, "Forbidden: the request is not correctly signed.")

    try:
        envelope = json.loads(body)
    except ValueError:
        return _error(400, 'The body must be JSON: {"event": {...}}.')
    event = envelope.get("event") if isinstance(envelope, dict) else None
    if not isinstance(event, dict):
        return _error(400, 'The body must be a JSON object {"event": {...}}.')
    try:
        kind = classify(event)
        if kind not in ROUTABLE_KINDS:
            return _error(
                400, f"{kind.value} events are not accepted here, only events for @events routes."
            )
        from django_lambda_bridge.events.dispatch import dispatch_event

        result: Any = dispatch_event(event, None, kind, conf)
    except BatchFailedError as exc:
        logger.error("Event proxy: %s", exc)
        return _error(500, str(exc))
    except EventError as exc:
        logger.error("Event proxy: %s", exc)
        return _error(400, str(exc))
    except Exception:
        logger.exception("Event proxy: the event handler failed")
        return _error(500, "The event handler failed; see the server log.")
    return JsonResponse({"result": result}, encoder=DjangoJSONEncoder, safe=False)
