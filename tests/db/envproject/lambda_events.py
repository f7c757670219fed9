from django_lambda_bridge import events
from tests.db.envproject.urls import connections_of_this_environment

seen: list[int] = []


@events.sqs(queue="env-jobs")
def job(record):
    seen.append(connections_of_this_environment())
    if record.body == "fail":
        raise ValueError("this record fails on purpose")
    if max(seen) > 1:
        raise AssertionError(f"more than one connection in this environment: {seen}")
