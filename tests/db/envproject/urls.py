import os

from django.db import connection
from django.http import JsonResponse
from django.urls import path


def connections_of_this_environment() -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [os.environ["ENV_NAME"]],
        )
        return int(cur.fetchone()[0])


def count(request):
    return JsonResponse({"connections": connections_of_this_environment()})


urlpatterns = [path("count/", count)]
