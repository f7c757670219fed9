"""Credentials from Secrets Manager (on moto) and RDS IAM tokens, against a real server
that checks passwords: a rotation costs one refused attempt, never an error."""

from __future__ import annotations

import logging
import time

import boto3
import psycopg2
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

from django_lambda_bridge.db import iam
from django_lambda_bridge.errors import DatabaseCredentialsError
from tests.db.conftest import bridge_connection

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("forget_credentials")]


@pytest.fixture
def secret_reads(monkeypatch):
    """Counts the real Secrets Manager reads (cache misses), not cache hits."""
    from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider

    reads = []
    real = SecretsProvider._get

    def counting(self, name, **kwargs):
        reads.append(name)
        return real(self, name, **kwargs)

    monkeypatch.setattr(SecretsProvider, "_get", counting)
    return reads


def secret_db(cluster, secret_id, **options):
    return bridge_connection(
        {
            "HOST": cluster.host,
            "PORT": cluster.port,
            "LAMBDA_BRIDGE": {"SECRET_ID": secret_id, **options},
        }
    )


def current_user(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT current_user")
        return cur.fetchone()[0]


def test_the_secret_gives_user_and_password_and_is_read_once(role, db_secret, secret_reads):
    name, _ = db_secret
    conn = secret_db(role.cluster, name)
    assert current_user(conn) == role.name
    conn.close()
    assert current_user(conn) == role.name  # a second connection: the cached secret
    conn.close()
    assert secret_reads == [name]


def test_a_rotation_mid_run_costs_one_refused_attempt(role, db_secret, secret_reads, caplog):
    name, rotate = db_secret
    conn = secret_db(role.cluster, name)
    assert current_user(conn) == role.name
    rotate("rotated-password-1")
    assert current_user(conn) == role.name  # the open connection is not affected
    conn.close()
    with caplog.at_level(logging.WARNING, logger="django_lambda_bridge.db"):
        assert current_user(conn) == role.name  # new connection: refused, re-read, retried
    assert secret_reads == [name, name]
    warnings = [r.getMessage() for r in caplog.records if r.name == "django_lambda_bridge.db"]
    assert len(warnings) == 1
    assert "reading the secret again" in warnings[0]
    assert "rotated-password-1" not in caplog.text


def test_a_wrong_secret_fails_after_one_retry_not_forever(role, db_secret, secret_reads):
    name, _ = db_secret
    role.set_password("changed-behind-the-secrets-back")
    conn = secret_db(role.cluster, name)
    with pytest.raises(OperationalError, match="password authentication failed"):
        current_user(conn)
    assert secret_reads == [name, name]


def test_a_missing_secret_is_a_clear_error_without_the_value(lambda_aws_env, role):
    conn = secret_db(role.cluster, "no-such-secret")
    with pytest.raises(DatabaseCredentialsError, match="'no-such-secret'"):
        current_user(conn)


@pytest.mark.parametrize(
    ("value", "match"),
    [("not json", "not JSON"), ('{"username": "u"}', "needs string 'username' and 'password'")],
)
def test_a_malformed_secret_is_refused(lambda_aws_env, role, value, match):
    client = boto3.client("secretsmanager")
    client.create_secret(Name=f"bad-{role.name}", SecretString=value)
    conn = secret_db(role.cluster, f"bad-{role.name}")
    with pytest.raises(DatabaseCredentialsError, match=match):
        current_user(conn)


@pytest.fixture
def frozen_clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(iam, "clock", lambda: now[0])
    return now


def iam_db(role, **options):
    return bridge_connection(
        {
            "HOST": role.cluster.host,
            "PORT": role.cluster.port,
            "USER": role.name,
            "OPTIONS": options,
            "LAMBDA_BRIDGE": {"IAM_AUTH": True, "REGION": "eu-west-1"},
        }
    )


def test_iam_tokens_are_reused_until_shortly_before_expiry(lambda_aws_env, role, frozen_clock):
    host, port = role.cluster.host, role.cluster.port
    token = iam.auth_token(host, port, role.name, "eu-west-1")
    assert "X-Amz-Signature=" in token
    assert token.startswith(f"{host}:{port}/?")
    role.set_password(token)  # the server plays RDS: this token is the password
    conn = iam_db(role)
    assert current_user(conn) == role.name
    with conn.cursor() as cur:
        cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert cur.fetchone()[0] is True  # sslmode=require by default
    conn.close()
    frozen_clock[0] += iam.TOKEN_REUSE_SECONDS - 1
    assert current_user(conn) == role.name  # still the same token
    conn.close()
    time.sleep(1.1)  # a token signed in another second differs (X-Amz-Date)
    frozen_clock[0] += 2  # past 14 minutes: a new token, which the server does not know
    with pytest.raises(OperationalError, match="password authentication failed"):
        current_user(conn)
    fresh = iam.auth_token(host, port, role.name, "eu-west-1")
    assert fresh != token
    role.set_password(fresh)
    assert current_user(conn) == role.name
    conn.close()


def test_iam_auth_refuses_a_plain_connection_setting(lambda_aws_env, role):
    with pytest.raises(ImproperlyConfigured, match="must only travel over TLS"):
        iam_db(role, sslmode="prefer")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"IAM_AUTH": True, "SECRET_ID": "x"}, "not both"),
        ({"SECRET_MAX_AGE": -1}, "SECRET_MAX_AGE"),
        ({"SECRETID": "x"}, "Unknown key"),
        ({"SECRET_ID": "x", "NAME": ""}, "needs NAME"),
        ({"SECRET_ID": "x", "OPTIONS": {"pool": True}}, "OPTIONS\\['pool'\\]"),
    ],
)
def test_bad_options_fail_with_a_clear_message(options, match):
    entry = {"HOST": "db", "USER": "u", "LAMBDA_BRIDGE": options}
    for key in ("NAME", "OPTIONS"):
        if key in options:
            entry[key] = options.pop(key)
    with pytest.raises(ImproperlyConfigured, match=match):
        bridge_connection(entry)


def test_the_stock_error_is_kept_when_no_credentials_are_managed(role):
    conn = bridge_connection(
        {"HOST": role.cluster.host, "PORT": role.cluster.port, "USER": role.name,
         "PASSWORD": "wrong"}
    )  # fmt: skip
    with pytest.raises(OperationalError, match="password authentication failed"):
        current_user(conn)
    assert psycopg2  # the driver Django uses here


def test_credentials_are_hidden_from_error_reports(role, db_secret, secret_reads):
    """Django's error report (DEBUG page, mail_admins) shows frame locals; not these."""
    import sys

    from django.views.debug import ExceptionReporter

    name, _ = db_secret
    in_secret = role.password
    role.set_password("changed-so-the-secret-is-refused")
    conn = secret_db(role.cluster, name)
    try:
        current_user(conn)
    except OperationalError:
        frames = ExceptionReporter(None, *sys.exc_info()).get_traceback_frames()
    ours = [f for f in frames if "django_lambda_bridge/db/" in f["filename"]]
    assert ours  # the backend's frames are in the report
    shown = "\n".join(f"{k}={v}" for f in ours for k, v in f["vars"])
    assert "conn_params=********************" in shown
    assert in_secret not in shown
