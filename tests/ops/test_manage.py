"""Management commands by direct invocation: allow-listed, fully captured, never from HTTP."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections

from django_lambda_bridge.conf import DEFAULT_MANAGE_COMMANDS, BridgeSettings
from django_lambda_bridge.errors import ConfigurationError, UnknownEventError
from django_lambda_bridge.kinds import Kind, classify
from django_lambda_bridge.ops.manage import MAX_OUTPUT_CHARS
from django_lambda_bridge.testing import http_event
from tests.testapp.models import Widget

WIDGET_TABLE = Widget._meta.db_table


def manage(handler: Any, ctx: Any, value: Any) -> dict[str, Any]:
    result = handler({"manage": value}, ctx)
    assert set(result) == {"exit_code", "stdout", "stderr"}
    json.dumps(result)  # it is a Lambda reply
    return result


def widget_table_exists() -> bool:
    with connection.cursor() as cursor:
        return WIDGET_TABLE in connection.introspection.table_names(cursor)


@pytest.fixture
def restore_schema():
    """Put the test app's tables back even if a test that unmigrates them fails."""
    yield
    call_command("migrate", verbosity=0, interactive=False)


# --- settings ---------------------------------------------------------------------------


def test_the_default_allow_list():
    assert DEFAULT_MANAGE_COMMANDS == (
        "migrate",
        "showmigrations",
        "check",
        "collectstatic",
        "createcachetable",
        "clearsessions",
    )
    assert BridgeSettings().MANAGE_COMMANDS == DEFAULT_MANAGE_COMMANDS


def test_the_allow_list_comes_from_settings_and_handler_options(build_handler, settings):
    settings.LAMBDA_BRIDGE = {"MANAGE_COMMANDS": ["check"]}
    assert build_handler().conf.MANAGE_COMMANDS == ("check",)
    assert build_handler(manage_commands=["migrate"]).conf.MANAGE_COMMANDS == ("migrate",)


@pytest.mark.parametrize("value", ["migrate", [1, 2], ["migrate", None]])
def test_a_malformed_allow_list_fails_at_init(build_handler, value):
    with pytest.raises(ConfigurationError, match="MANAGE_COMMANDS"):
        build_handler(manage_commands=value)


# --- commands that really run --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_schema")
def test_migrate_really_runs_against_the_database(handler, ctx):
    assert widget_table_exists()
    down = manage(handler, ctx, "migrate testapp zero --noinput")
    assert down["exit_code"] == 0, down["stderr"]
    assert "Unapplying testapp.0001_initial... OK" in down["stdout"]
    assert not widget_table_exists()

    listed = manage(handler, ctx, ["showmigrations", "testapp"])
    assert listed["exit_code"] == 0
    assert "[ ] 0001_initial" in listed["stdout"]

    up = manage(handler, ctx, ["migrate", "--noinput"])
    assert up["exit_code"] == 0, up["stderr"]
    assert "Applying testapp.0001_initial... OK" in up["stdout"]
    assert widget_table_exists()

    again = manage(handler, ctx, ["migrate", "--noinput"])
    assert "No migrations to apply." in again["stdout"]
    listed = manage(handler, ctx, "showmigrations testapp")
    assert "[X] 0001_initial" in listed["stdout"]


@pytest.mark.django_db
def test_check_reports_no_issues(handler, ctx):
    result = manage(handler, ctx, ["check"])
    assert result == {
        "exit_code": 0,
        "stdout": "System check identified no issues (0 silenced).\n",
        "stderr": "",
    }


@pytest.mark.django_db
def test_a_string_is_split_like_a_shell_would(handler, ctx):
    result = manage(handler, ctx, "check  --tag 'models'  --database=default")
    assert result["exit_code"] == 0, result["stderr"]
    result = manage(handler, ctx, "check --tag 'no such tag'")
    assert result["exit_code"] == 1
    assert 'There is no system check with the "no such tag" tag.' in result["stderr"]


# --- failures keep their exit codes ---------------------------------------------------------


@pytest.mark.django_db
def test_system_check_failures_exit_1_with_the_report(handler, ctx):
    result = manage(handler, ctx, "check --deploy --fail-level WARNING")
    assert result["exit_code"] == 1
    assert result["stderr"].startswith("SystemCheckError: System check identified some issues")
    assert "security.W" in result["stderr"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["migrate", "nosuchapp"], "CommandError: No installed app with label 'nosuchapp'."),
        (["migrate", "--bogus"], "CommandError: Error: unrecognized arguments: --bogus"),
    ],
)
def test_command_errors_exit_with_their_returncode(handler, ctx, argv, message):
    result = manage(handler, ctx, argv)
    assert result["exit_code"] == 1
    assert message in result["stderr"]


@pytest.mark.django_db
def test_a_custom_returncode_is_kept(build_handler, ctx, cmdapp):
    handler = build_handler(manage_commands=cmdapp)
    result = manage(handler, ctx, ["ops_fail"])
    assert result == {
        "exit_code": 3,
        "stdout": "started\n",
        "stderr": "CommandError: the custom failure\n",
    }
    assert manage(handler, ctx, ["ops_fail", "--code", "7"])["exit_code"] == 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("how", "code", "stderr"),
    [("int", 4, ""), ("message", 1, "exiting with a message\n"), ("none", 0, "")],
)
def test_system_exit_becomes_the_exit_code(build_handler, ctx, cmdapp, how, code, stderr):
    result = manage(build_handler(manage_commands=cmdapp), ctx, ["ops_exit", how])
    assert result["exit_code"] == code
    assert result["stderr"] == stderr


@pytest.mark.django_db
def test_an_unexpected_exception_exits_1_with_its_traceback(build_handler, ctx, cmdapp):
    result = manage(build_handler(manage_commands=cmdapp), ctx, ["ops_boom"])
    assert result["exit_code"] == 1
    assert result["stderr"].startswith("Traceback (most recent call last):")
    assert result["stderr"].rstrip().endswith("RuntimeError: boom from ops_boom")


# --- capture --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_of_output_is_captured(build_handler, ctx, cmdapp, capfd):
    result = manage(build_handler(manage_commands=cmdapp), ctx, ["ops_noisy"])
    assert result["exit_code"] == 0
    assert result["stdout"] == "to self.stdout\nto print\nto sys.stdout\n"
    assert result["stderr"] == (
        "to self.stderr\nto sys.stderr\nWARNING tests.ops.noisy: to logging\n"
    )
    leaked = capfd.readouterr()
    assert "to print" not in leaked.out
    assert "to sys.stderr" not in leaked.err


@pytest.mark.django_db
def test_commands_run_without_a_terminal(build_handler, ctx, cmdapp):
    handler = build_handler(manage_commands=cmdapp)
    result = manage(handler, ctx, ["ops_prompt"])
    assert result["exit_code"] == 0
    assert result["stdout"] == "interactive=False\n"
    # A command that prompts anyway gets end-of-file at once instead of hanging.
    result = manage(handler, ctx, ["ops_prompt", "--ask-anyway"])
    assert result["exit_code"] == 1
    assert "EOFError" in result["stderr"]
    assert "Type 'yes' to continue" in result["stdout"]


@pytest.mark.django_db
def test_huge_output_keeps_its_end(build_handler, ctx, cmdapp):
    result = manage(build_handler(manage_commands=cmdapp), ctx, ["ops_big", "1000000"])
    assert result["exit_code"] == 0
    out = result["stdout"]
    assert out.startswith("[600008 earlier characters truncated]\n")
    assert out.endswith("xTAIL")
    assert len(out) < MAX_OUTPUT_CHARS + 100
    small = manage(build_handler(manage_commands=cmdapp), ctx, ["ops_big", "10"])
    assert small["stdout"] == "HEAD" + "x" * 10 + "TAIL"


# --- refusals: nothing runs -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_command_off_the_allow_list_is_refused_and_does_not_run(handler, ctx):
    Widget.objects.create(name="keep me")
    result = manage(handler, ctx, ["flush", "--noinput"])
    assert result["exit_code"] == 2
    assert result["stdout"] == ""
    assert "'flush' may not be run by direct invocation" in result["stderr"]
    assert "LAMBDA_BRIDGE['MANAGE_COMMANDS']" in result["stderr"]
    assert "migrate, showmigrations, check, collectstatic" in result["stderr"]
    assert Widget.objects.filter(name="keep me").exists()


@pytest.mark.django_db
def test_the_allow_list_is_the_only_way_in(build_handler, ctx):
    handler = build_handler(manage_commands=["check"])
    result = manage(handler, ctx, ["migrate", "--noinput"])
    assert result["exit_code"] == 2
    assert "Allowed commands: check." in result["stderr"]
    nothing = build_handler(manage_commands=[])
    assert "Allowed commands: (none)." in manage(nothing, ctx, ["check"])["stderr"]


@pytest.mark.django_db
def test_an_allowed_but_unknown_command_is_refused_clearly(build_handler, ctx):
    result = manage(build_handler(manage_commands=["colectstatic"]), ctx, ["colectstatic"])
    assert result["exit_code"] == 2
    assert "Unknown management command 'colectstatic'" in result["stderr"]
    assert "INSTALLED_APPS" in result["stderr"]


PROCESS_OPTION_SPELLINGS = [
    ["--settings", "evil.settings"],
    ["--settings=evil.settings"],
    ["--sett=evil.settings"],
    ["--sett", "evil.settings"],
    ["--setti", "evil.settings"],
    ["--se=evil.settings"],
    ["--pythonpath=/tmp"],
    ["--pythonpath", "/tmp"],
    ["--pythonp=/tmp"],
    ["--pyth", "/tmp"],
    ["--py=/tmp"],
    ["--deploy", "--sett=evil.settings"],  # after another option
    ["--tag", "models", "--pythonp", "/tmp"],
]


@pytest.mark.django_db
@pytest.mark.parametrize("options", PROCESS_OPTION_SPELLINGS, ids=" ".join)
def test_process_options_are_refused_however_argparse_would_spell_them(handler, ctx, options):
    result = manage(handler, ctx, ["check", *options])
    assert result["exit_code"] == 2, result
    assert result["stdout"] == ""  # check did not run (it would print "no issues")
    assert "cannot be used here" in result["stderr"]
    assert ("--settings" if "evil" in " ".join(options) else "--pythonpath") in result["stderr"]


@pytest.mark.django_db
@pytest.mark.parametrize("options", PROCESS_OPTION_SPELLINGS[:4], ids=" ".join)
def test_process_options_are_refused_in_a_command_line_string(handler, ctx, options):
    result = manage(handler, ctx, " ".join(["check", *options]))
    assert result["exit_code"] == 2
    assert "cannot be used here" in result["stderr"]


@pytest.mark.django_db
def test_an_option_that_only_looks_like_a_process_option_is_accepted(build_handler, ctx, cmdapp):
    handler = build_handler(manage_commands=["ops_secret"])
    # --set is ops_secret's own option (an exact match, as argparse resolves it) ...
    result = manage(handler, ctx, ["ops_secret", "--password", "x", "--set", "a=1"])
    assert result["exit_code"] == 0, result
    assert "set a=1" in result["stdout"]
    # ... a value, or anything after "--", is not an option at all ...
    ok = manage(handler, ctx, ["ops_secret", "--password=--settings=x"])
    assert ok["exit_code"] == 0, ok
    # ... but --sett is a prefix of --settings only, so argparse would take it as that.
    refused = manage(handler, ctx, ["ops_secret", "--password", "x", "--sett=a.b"])
    assert refused["exit_code"] == 2
    assert "cannot be used here" in refused["stderr"]


PASSWORD = "Pa55w0rd-never-in-logs"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "exit_code"),
    [
        (["ops_secret", "--password", PASSWORD], 0),
        (f"ops_secret --password={PASSWORD}", 0),
        (["ops_secret", f"--password={PASSWORD}", "--settings", PASSWORD], 2),
        (["ops_secret", "--password", PASSWORD, "--sett", "x"], 2),
        (["flush", "--password", PASSWORD], 2),  # off the allow-list
        ([PASSWORD, "--noinput"], 2),  # not a command at all
        (f"ops_secret --password '{PASSWORD}", 2),  # unbalanced quote
        (["missing_cmd", f"--password={PASSWORD}"], 2),  # allowed but unknown
    ],
)
def test_arguments_never_reach_the_logs(build_handler, ctx, cmdapp, caplog, value, exit_code):
    handler = build_handler(manage_commands=["ops_secret", "missing_cmd"])
    caplog.set_level(logging.DEBUG)
    result = manage(handler, ctx, value)
    assert result["exit_code"] == exit_code, result
    assert caplog.records, "the request should be logged (by name)"
    for record in caplog.records:
        text = " ".join([record.getMessage(), str(record.args), record.exc_text or ""])
        assert PASSWORD not in text, record
    names = " ".join(r.getMessage() for r in caplog.records)
    if isinstance(value, list) and value[0] == "ops_secret":
        assert "ops_secret" in names  # what ran, or was refused, is still named


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "'manage' must be a list of strings or one command-line string, got int"),
        (None, "got NoneType"),
        ({"cmd": "migrate"}, "got dict"),
        (["migrate", 1], "got list with non-string items"),
        ([], "'manage' is empty"),
        ("", "'manage' is empty"),
        ("   ", "'manage' is empty"),
        ("migrate 'unbalanced", "Could not split the command line"),
        (["--noinput"], "must be a command name, got the option '--noinput'"),
    ],
)
def test_a_malformed_request_gets_a_clear_result_not_a_traceback(handler, ctx, value, message):
    result = manage(handler, ctx, value)
    assert result["exit_code"] == 2
    assert message in result["stderr"]
    assert "Traceback" not in result["stderr"]


def test_extra_keys_are_refused(handler, ctx):
    result = handler({"manage": ["check"], "payload": {}}, ctx)
    assert result["exit_code"] == 2
    assert "it also had: payload" in result["stderr"]


# --- never from HTTP ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_schema")
@pytest.mark.parametrize("fmt", ["v1", "v2", "function-url", "alb"])
def test_an_http_request_carrying_a_manage_payload_runs_nothing(handler, ctx, fmt):
    payload = {"manage": ["migrate", "testapp", "zero", "--noinput"]}
    event = http_event(
        fmt,
        "POST",
        "/echo/",
        query={"manage": "migrate testapp zero --noinput"},
        headers={"Content-Type": "application/json"},
        body=json.dumps(payload),
    )
    event.update(payload)  # even at the top level of a (forged) HTTP event
    assert classify(event).is_http
    reply = handler(event, ctx)
    assert "exit_code" not in reply
    assert reply["statusCode"] == 200
    assert widget_table_exists()


@pytest.mark.parametrize(
    "event",
    [
        {"manage": ["check"], "requestContext": {}},
        {"manage": ["check"], "requestContext": {"http": {"method": "GET"}}},
    ],
)
def test_anything_with_a_request_context_is_never_a_manage_event(handler, ctx, event):
    with pytest.raises(UnknownEventError):
        classify(event)
    with pytest.raises(UnknownEventError):
        handler(event, ctx)
    assert classify({"manage": ["check"]}) is Kind.MANAGE  # the same event without it


# --- database hygiene -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(databases=["default", "postgres"], transaction=True)
def test_a_dead_connection_is_replaced_before_the_command(
    build_handler, ctx, cmdapp, pg_superuser_conn, monkeypatch
):
    """With CONN_MAX_AGE and health checks, as on the HTTP path."""
    pg = connections["postgres"]
    monkeypatch.setitem(pg.settings_dict, "CONN_MAX_AGE", None)
    monkeypatch.setitem(pg.settings_dict, "CONN_HEALTH_CHECKS", True)
    handler = build_handler(manage_commands=cmdapp)

    def kill(pid: int) -> None:
        with pg_superuser_conn.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    # A connection left by earlier code in the container (init, another event kind)
    # whose server went away: the command must not inherit it.
    with pg.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        init_pid = cursor.fetchone()[0]
    kill(init_pid)
    first = manage(handler, ctx, ["ops_pgpid"])
    assert first["exit_code"] == 0, first["stderr"]
    pid = int(first["stdout"])
    assert pid != init_pid
    assert pg.connection is not None  # persistent connections survive the invocation
    # And one the previous command left behind.
    kill(pid)
    second = manage(handler, ctx, ["ops_pgpid"])
    assert second["exit_code"] == 0, second["stderr"]
    assert int(second["stdout"]) != pid


@pytest.mark.postgres
@pytest.mark.django_db(databases=["default", "postgres"], transaction=True)
def test_connections_are_closed_after_the_command_by_default(build_handler, ctx, cmdapp):
    handler = build_handler(manage_commands=cmdapp)
    result = manage(handler, ctx, ["ops_pgpid"])
    assert result["exit_code"] == 0, result["stderr"]
    assert connections["postgres"].connection is None  # CONN_MAX_AGE = 0


@pytest.mark.django_db
def test_a_command_whose_parser_breaks_still_has_its_process_options_refused(
    build_handler, ctx, cmdapp
):
    handler = build_handler(manage_commands=["ops_badparser"])
    refused = manage(handler, ctx, ["ops_badparser", "--sett=evil.settings"])
    assert refused["exit_code"] == 2
    assert "cannot be used here" in refused["stderr"]
    broken = manage(handler, ctx, ["ops_badparser"])
    assert broken["exit_code"] == 1
    assert "no parser today" in broken["stderr"]


def test_a_command_that_fails_to_import_is_logged_by_name(build_handler, ctx, cmdapp, caplog):
    handler = build_handler(manage_commands=["ops_brokenimport"])
    caplog.set_level(logging.DEBUG)
    result = manage(handler, ctx, ["ops_brokenimport", f"--password={PASSWORD}"])
    assert result["exit_code"] == 1
    assert "vendored_dependency" in result["stderr"]  # the caller gets the traceback
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("ops_brokenimport" in r.getMessage() for r in errors), caplog.records
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
