"""WSGI entry point for runserver, gunicorn or any WSGI server (unchanged by the move)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callback_service.settings")
application = get_wsgi_application()
