"""Background work, as ``django.tasks`` tasks: queued on commit, run by the worker.

The task carries the message id only; ``workflow.process`` starts from the
state in the database, so a retried or duplicated task is harmless.
"""

import uuid

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task

from messaging import workflow


@task
def process_message(message_id):
    """Validate, route and deliver one submitted message (as far as it can go)."""
    message = workflow.process(uuid.UUID(message_id))
    return message.state
