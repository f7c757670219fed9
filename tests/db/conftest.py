"""A PostgreSQL cluster that checks passwords and speaks TLS, as RDS does.

The suite's shared cluster trusts every local connection, so it cannot show
a rotated password being refused. This one needs scram-sha-256 passwords over
TCP and has a self-signed certificate; each test gets its own role.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import psycopg2
import pytest
from django.db.utils import ConnectionHandler

from tests.postgres import PostgresCluster, find_binaries

SUPERUSER_PASSWORD = "superuser-password-for-tests"


@pytest.fixture(scope="session")
def auth_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(find_binaries(), password=SUPERUSER_PASSWORD, ssl=True).start()
    yield cluster
    cluster.stop()


def superuser_connection(cluster: PostgresCluster) -> Any:
    conn = psycopg2.connect(
        host=cluster.host,
        port=cluster.port,
        user="postgres",
        password=SUPERUSER_PASSWORD,
        dbname="postgres",
    )
    conn.autocommit = True
    return conn


@pytest.fixture
def superuser(auth_cluster) -> Iterator[Any]:
    conn = superuser_connection(auth_cluster)
    yield conn
    conn.close()


@dataclass
class Role:
    name: str
    password: str
    cluster: PostgresCluster
    admin: Any

    def set_password(self, password: str) -> None:
        with self.admin.cursor() as cur:
            cur.execute(f'ALTER ROLE "{self.name}" PASSWORD %s', [password])
        self.password = password

    def backends(self) -> list[int]:
        with self.admin.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE usename = %s", [self.name])
            return [row[0] for row in cur.fetchall()]


@pytest.fixture
def role(superuser, auth_cluster) -> Iterator[Role]:
    name = f"app_{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex
    with superuser.cursor() as cur:
        cur.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', [password])
    made = Role(name, password, auth_cluster, superuser)
    yield made
    with made.admin.cursor() as cur:  # a test that restarted the server reconnected it
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [name]
        )
        cur.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture
def db_secret(lambda_aws_env, role) -> tuple[str, Any]:
    """The role's credentials as a secret on moto; ``rotate(password)`` changes both."""
    client = boto3.client("secretsmanager")
    name = f"db-{role.name}"

    def value() -> str:
        return json.dumps({"username": role.name, "password": role.password})

    client.create_secret(Name=name, SecretString=value())

    def rotate(password: str) -> None:
        role.set_password(password)
        client.put_secret_value(SecretId=name, SecretString=value())

    return name, rotate


def bridge_connection(entry: dict[str, Any], alias: str = "default") -> Any:
    """A connection of our backend, outside pytest-django's test databases."""
    settings = {"ENGINE": "django_lambda_bridge.db.backends.postgresql", "NAME": "postgres"}
    return ConnectionHandler({alias: {**settings, **entry}})[alias]


@pytest.fixture
def forget_credentials(django_db_blocker) -> Iterator[None]:
    """Powertools keeps secrets, and its boto3 client, per process: start each test clean.

    These connections are not pytest-django's test databases, so they are unblocked.
    """
    from aws_lambda_powertools.utilities.parameters import base

    from django_lambda_bridge.db import iam, pinning

    def clean() -> None:
        base.DEFAULT_PROVIDERS.clear()
        iam.forget_tokens()
        pinning._reported.clear()

    clean()
    with django_db_blocker.unblock():
        yield
    clean()
