"""A real headless Chromium against the deployed entry point, behind an emulated REST API.

``LambdaHTTPServer`` listens on 127.0.0.1 and turns each browser request into an
API Gateway v1 event under the ``prod`` stage for
``exchange_service.lambda_function.handler``; static files come from WhiteNoise
inside the handler, as deployed. The browser logs in to the admin, opens the
Swagger UI and the browsable API, and every response it receives is recorded:
a page whose CSS or JavaScript does not load fails the test.

Screenshots of each step go to ``test-artifacts/`` (gitignored).
"""

import io
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from exchange_service.lambda_function import handler
from messaging.models import ExchangeMessage

from django_lambda_bridge.local.server import LambdaHTTPServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TIMEOUT_MS = 10_000
TRANSPARENT = "rgba(0, 0, 0, 0)"

def _unavailable(message):
    # CI must not pass by skipping the only test that loads the pages in a browser.
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    path = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path or not Path(path).exists():
        _unavailable("no Chromium: install Debian's chromium or set CHROMIUM_PATH")
    # Playwright's sync API keeps an asyncio loop on this thread, and Django then refuses
    # the test's own (synchronous) ORM calls; nothing async touches the ORM here.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def gateway():
    """The emulated REST API on a free port; yields its base URL (``http://127.0.0.1:N``).

    Django behind API Gateway sees HTTPS while the browser here speaks plain HTTP,
    so the browser's ``Origin`` (http://...) must be trusted for its form POSTs.
    CsrfViewMiddleware caches CSRF_TRUSTED_ORIGINS on its instance, and the
    handler's middleware lives for the whole process, so it is reloaded after the
    change and again after it is undone. The test clients do this
    themselves; a real server in front of the handler does not.
    """
    server = LambdaHTTPServer(("127.0.0.1", 0), handler, fmt="v1", stage="prod", static=None)
    base = f"http://127.0.0.1:{server.server_port}"
    assert server.prefix == "/prod"
    with override_settings(CSRF_TRUSTED_ORIGINS=[base]):
        handler.wsgi_app.load_middleware()
        with server.running():
            yield base
    handler.wsgi_app.load_middleware()


@pytest.fixture
def demo_data():
    # Partners acme/globex/initech and superuser admin, all with password demo-password;
    # committed (the module's transaction=True), so the server thread sees them.
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert ExchangeMessage.objects.count() == 3


class Recorder:
    """Every response, failed request and uncaught page error a page produced."""

    def __init__(self, page):
        self.responses = []
        self.failed = []
        self.errors = []
        page.on("response", lambda r: self.responses.append((r.status, r.url)))
        page.on("requestfailed", lambda r: self.failed.append((r.failure, r.url)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    @property
    def bad(self):
        return [(status, url) for status, url in self.responses if status >= 400]

    def assert_clean(self, base):
        assert self.bad == []  # e.g. a stylesheet linked outside the stage: 403
        assert self.failed == []
        assert self.errors == []


@pytest.fixture
def page(chromium):
    context = chromium.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.recorder = Recorder(page)
    yield page
    context.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"), full_page=True)


def stylesheet_rules(page, suffix):
    """cssRules counts of the loaded stylesheets whose URL ends with ``suffix``."""
    return page.evaluate(
        """suffix => Array.from(document.styleSheets)
            .filter(sheet => sheet.href && new URL(sheet.href).pathname.endsWith(suffix))
            .map(sheet => sheet.cssRules.length)""",
        suffix,
    )


def background(page, selector):
    return page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor")


def test_admin_login_changelist_and_change_page(page, gateway, demo_data):
    base = gateway
    page.goto(f"{base}/prod/admin/")
    page.wait_for_url(f"{base}/prod/admin/login/?next=/prod/admin/")
    shot(page, "01-admin-login")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/prod/admin/")
    assert page.title().startswith("Site administration")
    assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME, ADMIN")
    shot(page, "02-admin-index")

    page.click("a[href='/prod/admin/messaging/exchangemessage/']")
    page.wait_for_url(f"{base}/prod/admin/messaging/exchangemessage/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert {"order.created", "order.confirmed", "invoice.issued"} <= set(
        page.locator("#result_list tbody td.field-type").all_inner_texts()
    )
    shot(page, "03-admin-message-changelist")

    message = ExchangeMessage.objects.get(type="invoice.issued")
    page.click(f"#result_list a[href='/prod/admin/messaging/exchangemessage/{message.pk}/change/']")
    page.wait_for_url(f"{base}/prod/admin/messaging/exchangemessage/{message.pk}/change/")
    assert page.input_value("#id_type") == "invoice.issued"
    assert "I-77" in page.input_value("#id_payload")
    # The audit-trail inline shows the seeded event.
    assert "seeded" in " ".join(page.locator(".inline-group").all_inner_texts())
    shot(page, "04-admin-message-change")

    page.recorder.assert_clean(base)
    # The admin's CSS really applied: base.css is a readable stylesheet and sets the header.
    assert stylesheet_rules(page, "/admin/css/base.css") not in ([], [0])
    assert background(page, "#header") == "rgb(65, 118, 144)"  # --secondary, light scheme


def test_swagger_ui_renders_the_schema_fetched_through_the_stage(page, gateway):
    base = gateway
    page.goto(f"{base}/prod/api/v1/docs/")
    page.wait_for_load_state("networkidle")
    shot(page, "05-swagger-ui")
    page.recorder.assert_clean(base)

    page.wait_for_selector(".opblock")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/messages/" in paths, paths
    assert page.locator(".opblock").count() >= 5
    schema = [
        (status, url)
        for status, url in page.recorder.responses
        if url.split("?")[0] == f"{base}/prod/api/v1/schema/"
    ]
    assert schema, page.recorder.responses
    assert all(status == 200 for status, _ in schema), schema
    assert stylesheet_rules(page, "/swagger-ui.css") not in ([], [0])
    shot(page, "05-swagger-ui")  # again, now that the operations are on the page
    page.recorder.assert_clean(base)


def test_browsable_api_after_session_login(page, gateway, demo_data):
    base = gateway
    page.goto(f"{base}/prod/api/v1/auth/login/?next=/prod/api/v1/messages/")
    shot(page, "06-api-session-login")
    page.fill("#id_username", "acme")
    page.fill("#id_password", "demo-password")
    page.click("#submit-id-submit, button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/prod/api/v1/messages/")

    assert "Message List" in page.locator(".page-header, .content-main h1").first.inner_text()
    content = page.locator(".response-info").inner_text()
    assert "HTTP 200 OK" in content
    # acme sent or received every seeded message.
    for text in ("order.created", "order.confirmed", "invoice.issued", "A-1001", "I-77"):
        assert text in content, text
    assert "acme" in page.locator(".navbar").inner_text()
    shot(page, "07-browsable-api-messages")

    page.recorder.assert_clean(base)
    assert stylesheet_rules(page, "/rest_framework/css/bootstrap.min.css") not in ([], [0])
    assert background(page, ".navbar") != TRANSPARENT
