from django.db import connection

from django_lambda_bridge import events
from tests.db.envproject.urls import connections_of_this_environment

seen: list[int] = []


@events.sqs(queue="env-jobs")
def job(record):
    seen.append(connections_of_this_environment())
    if record.body == "slow":  # in flight long enough for the test to restart the server
        with connection.cursor() as cur:
            cur.execute("SELECT pg_sleep(3)")
    if record.body == "fail":
        raise ValueError("this record fails on purpose")
    if max(seen) > 1:
        raise AssertionError(f"more than one connection in this environment: {seen}")
