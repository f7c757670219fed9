"""The sample app's own API suite, unchanged, gives the same results through the
Lambda path as in-process; and through a bare apig-wsgi handler it does not."""

import re

import pytest

from tests.toolkit.runner import clean_env, run_manage_test, run_pytest

SUITE = "tests/sampleapp"
BARE = "tests.toolkit.bare_apig_wsgi:handler"

#: Sample tests that depend on the stage prefix (links, redirects, login ``next``).
STAGE_DEPENDENT = {
    "tests.sampleapp.tests.test_books.BookListTests.test_next_link_leads_to_the_second_page",
    "tests.sampleapp.tests.test_books.BookListTests.test_detail_link_can_be_followed",
    "tests.sampleapp.tests.test_books.BookListTests.test_legacy_url_redirects_permanently",
    "tests.sampleapp.tests.test_books.BookListTests.test_legacy_url_followed",
    "tests.sampleapp.tests.test_files.AttachmentTests.test_download_returns_the_same_bytes",
    "tests.sampleapp.tests.test_auth.SessionAuthTests.test_login_required_page_sends_back_after_login",
}


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    run = run_pytest(tmp_path_factory.mktemp("in-process"), SUITE)
    assert run.returncode == 0, run.output[-3000:]
    assert len(run.outcomes) >= 50
    assert run.lambda_requests is None  # nothing was routed: the baseline is in-process
    return run


@pytest.mark.parametrize(
    "switch",
    [
        pytest.param(["--lambda-events=v1", "--lambda-stage=prod"], id="v1-stage-prod"),
        pytest.param(["--lambda-events=v2"], id="v2"),
        pytest.param(["--lambda-events=v2", "--lambda-stage=live"], id="v2-stage-live"),
        pytest.param(["--lambda-events=alb-multi"], id="alb-multi"),
    ],
)
def test_same_outcomes_through_the_lambda_path(in_process, tmp_path, switch):
    run = run_pytest(tmp_path, SUITE, *switch)
    assert run.returncode == 0, run.output[-3000:]
    assert run.outcomes == in_process.outcomes
    # Every test made at least one request, and they all went through the handler.
    assert run.lambda_requests >= len(run.outcomes)


def test_environment_variable_routes_the_suite(in_process, tmp_path):
    run = run_pytest(tmp_path, SUITE, env=clean_env(DJANGO_LAMBDA_EVENTS="v1"))
    assert run.returncode == 0, run.output[-3000:]
    assert run.outcomes == in_process.outcomes
    assert run.lambda_requests >= len(run.outcomes)
    assert "test clients send v1 events under stage 'prod'" in run.output


def test_bare_apig_wsgi_breaks_the_stage_dependent_tests(in_process, tmp_path):
    run = run_pytest(
        tmp_path, SUITE, "--lambda-events=v1", "--lambda-stage=prod", f"--lambda-handler={BARE}"
    )
    assert run.returncode == 1
    assert set(run.outcomes) == set(in_process.outcomes)
    assert run.failed() >= STAGE_DEPENDENT


def test_bad_switch_is_a_usage_error(tmp_path):
    run = run_pytest(tmp_path, SUITE, "--lambda-events=v1", "--lambda-stage=a/b")
    assert run.returncode == 4  # pytest's usage error
    assert "one path segment" in run.output
    run = run_pytest(tmp_path, SUITE, "--lambda-events=v9")
    assert run.returncode == 4
    assert "invalid choice" in run.output


def test_manage_py_test_with_the_environment_variable():
    env = clean_env(DJANGO_LAMBDA_EVENTS="v2", DJANGO_LAMBDA_STAGE="prod")
    ours = run_manage_test("tests.sampleapp.tests", env=env)
    assert ours.returncode == 0, ours.stderr[-3000:]
    assert "OK" in ours.stderr
    count = re.search(r"django-lambda-bridge: (\d+) test client requests went through", ours.stderr)
    assert count, ours.stderr[-2000:]
    assert int(count.group(1)) >= 50
    bare = run_manage_test("tests.sampleapp.tests", env={**env, "DJANGO_LAMBDA_HANDLER": BARE})
    assert bare.returncode == 1
    assert "test_next_link_leads_to_the_second_page" in bare.stderr
