"""Tasks the suite enqueues, declared as a project declares them (either import path)."""

from __future__ import annotations

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the backport
    from django_tasks import task

#: What ran in this process, in order: ``(task name, argument)``.
CALLS: list[tuple[str, object]] = []


@task
def add(a, b):
    CALLS.append(("add", (a, b)))
    return a + b


@task(takes_context=True)
def fail_until(context, succeed_on):
    CALLS.append(("fail_until", context.attempt))
    if context.attempt < succeed_on:
        raise RuntimeError(f"not yet: attempt {context.attempt}")
    return context.attempt


@task
def always_fails(secret):
    CALLS.append(("always_fails", "called"))
    raise ValueError("boom")


@task
def returns_object():
    return object()


@task(queue_name="other")
def on_other_queue(n):
    CALLS.append(("on_other_queue", n))
    return n


@task
async def async_double(n):
    CALLS.append(("async_double", n))
    return n * 2


NOT_A_TASK = 42
