"""Background work, as ``django.tasks`` tasks: queued on commit, run by the sender function.

The manual retry is one: ``POST .../retry/`` commits the re-drive and a task
makes the first new attempt. If that attempt fails, the sender's own retries
take over from there, as for any callback; the task fails (and is retried) only
when the attempt could not be made at all.
"""

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task

from callbacks import sender
from callbacks.models import Callback


@task
def redeliver(callback_id, attempt):
    """Make attempt ``attempt`` of a re-driven callback; return the state it ends in."""
    [(_, made)] = sender.deliver_now([(callback_id, attempt)])
    if not made:
        raise RuntimeError(f"attempt {attempt} of callback {callback_id} could not be made")
    return Callback.objects.get(pk=callback_id).state
