"""Static files through the Lambda handler: what WhiteNoise serves arrives byte for byte.

The service has no collectstatic step: WhiteNoise inside the function serves the
app directories' files (``WHITENOISE_USE_FINDERS``). Fonts and images are not
text, so the handler base64-encodes them into the reply and API Gateway must
turn them back into bytes; CSS and JavaScript travel as JSON text. Each test
compares what a client receives with the file ``finders.find`` names on disk.

The clients here are built explicitly (REST API v1 under the ``prod`` stage with
``binaryMediaTypes: */*``, as a deployment configures it, and HTTP API v2), so
they go through the handler whatever ``--lambda-events`` says; the one test that
uses pytest-django's ``client`` follows the suite's mode.
"""

import http.client
from base64 import b64encode
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.staticfiles import finders
from exchange_service.lambda_function import handler

from django_lambda_bridge.local.server import LambdaHTTPServer
from django_lambda_bridge.testing import LambdaClient

# path under STATIC_URL -> (media type WhiteNoise sends, Accept header a browser sends for it)
FONT = ("font/woff2", "*/*")
IMAGE = ("image/png", "image/avif,image/webp,image/apng,image/*,*/*;q=0.8")
CSS = ("text/css", "text/css,*/*;q=0.1")
SCRIPT = ("text/javascript", "*/*")
FILES = {
    "rest_framework/fonts/glyphicons-halflings-regular.woff2": FONT,
    "rest_framework/fonts/fontawesome-webfont.woff": ("application/font-woff", "*/*"),
    "rest_framework/img/glyphicons-halflings.png": IMAGE,
    "drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png": IMAGE,
    "admin/css/base.css": CSS,
    "admin/js/urlify.js": SCRIPT,  # UTF-8 well beyond ASCII
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js": SCRIPT,  # 1.5 MB
}
BINARY = {path for path, (media, _) in FILES.items() if not media.startswith("text/")}

# What a deployment's gateway looks like: a REST API needs binaryMediaTypes */* (docs/http.md).
ROUTES = {
    "v1-prod": {"events": "v1", "stage": "prod", "binary_media_types": ["*/*"]},
    "v2": {"events": "v2"},
}

def real_file(path):
    found = finders.find(path)
    assert found, f"no staticfiles finder has {path}"
    data = Path(found).read_bytes()
    assert len(data) > 500, path
    return data


def body_of(response):
    """WhiteNoise answers with a streaming FileResponse; Django's 404 with a plain one."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def media_of(content_type):
    return content_type.split(";", 1)[0].strip()


@pytest.fixture(params=list(ROUTES), ids=list(ROUTES))
def lambda_client(request):
    return LambdaClient(**ROUTES[request.param])


@pytest.mark.parametrize("path", list(FILES))
def test_static_file_arrives_byte_for_byte(lambda_client, path):
    expected = real_file(path)
    media, accept = FILES[path]
    if path in BINARY:
        with pytest.raises(UnicodeDecodeError):
            expected.decode("utf-8")  # so the reply cannot carry it as text

    reply = lambda_client.get(f"/static/{path}", HTTP_ACCEPT=accept)

    assert reply.status_code == 200
    assert media_of(reply["Content-Type"]) == media
    if media.startswith("text/"):
        assert "utf-8" in reply["Content-Type"].lower()
    assert int(reply["Content-Length"]) == len(expected)
    received = body_of(reply)
    assert len(received) == len(expected)
    assert received == expected
    # Binary bodies really crossed the event boundary as base64, text as a JSON string.
    assert lambda_client.handler.last_reply["isBase64Encoded"] is (path in BINARY)


@pytest.mark.parametrize("path", sorted(BINARY))
def test_head_of_a_binary_static_file(lambda_client, path):
    reply = lambda_client.head(f"/static/{path}")
    assert reply.status_code == 200
    assert media_of(reply["Content-Type"]) == FILES[path][0]
    assert int(reply["Content-Length"]) == len(real_file(path))
    assert body_of(reply) == b""


@pytest.mark.parametrize(
    "path",
    ["admin/css/no-such-file.css", "rest_framework/fonts/missing.woff2", "admin/../settings.py"],
)
def test_missing_static_file_is_a_404(lambda_client, path):
    reply = lambda_client.get(f"/static/{path}")
    # Django's own 404 (v1's gateway would have said 403 for a URL outside the stage).
    assert reply.status_code == 404
    assert b"SECRET_KEY" not in body_of(reply)


def test_without_binary_media_types_a_rest_api_hands_out_base64():
    """Why a REST API must be deployed with binaryMediaTypes: the font arrives as base64 text."""
    path = "rest_framework/fonts/glyphicons-halflings-regular.woff2"
    client = LambdaClient(events="v1", stage="prod", binary_media_types=[])
    reply = client.get(f"/static/{path}", HTTP_ACCEPT="*/*")
    assert reply.status_code == 200
    received = body_of(reply)  # a streaming body: read it once
    assert received != real_file(path)
    assert received == b64encode(real_file(path))


@pytest.mark.parametrize(
    "path",
    ["rest_framework/fonts/glyphicons-halflings-regular.woff2", "admin/css/base.css"],
)
def test_the_suite_client_gets_static_files(client, path):
    """pytest-django's client: in-process, or through the handler under --lambda-events."""
    reply = client.get(f"/static/{path}", HTTP_ACCEPT=FILES[path][1])
    assert reply.status_code == 200
    assert media_of(reply["Content-Type"]) == FILES[path][0]
    assert body_of(reply) == real_file(path)


# --- over real HTTP, through the local API Gateway emulator -------------------------


@contextmanager
def serving(fmt, stage):
    # static=None: the emulator serves nothing itself, WhiteNoise inside the handler does.
    server = LambdaHTTPServer(("127.0.0.1", 0), handler, fmt=fmt, stage=stage, static=None)
    with server.running():
        yield server


def http_get(server, target, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    try:
        conn.request(method, target, headers={"Accept": "*/*"})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("fmt", "stage"), [("v1", "prod"), ("v2", "$default")], ids=["v1-prod", "v2"]
)
def test_static_files_over_http_through_the_emulated_gateway(fmt, stage):
    paths = [
        "rest_framework/fonts/glyphicons-halflings-regular.woff2",
        "rest_framework/img/glyphicons-halflings.png",
        "admin/css/base.css",
    ]
    with serving(fmt, stage) as server:
        assert server.prefix == ("/prod" if fmt == "v1" else "")
        for path in paths:
            status, headers, data = http_get(server, f"{server.prefix}/static/{path}")
            assert status == 200, path
            assert media_of(headers["Content-Type"]) == FILES[path][0]
            assert int(headers["Content-Length"]) == len(real_file(path))
            assert data == real_file(path), path
        status, _, _ = http_get(server, f"{server.prefix}/static/admin/css/no-such-file.css")
        assert status == 404
        if fmt == "v1":
            # A link without the stage never reaches the function on a REST API.
            status, headers, data = http_get(server, f"/static/{paths[0]}")
            assert status == 403
            assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
            assert data != real_file(paths[0])


# --- the pages' own links to their CSS and JavaScript --------------------------------


class AssetLinks(HTMLParser):
    """``href`` of stylesheet/icon links and ``src`` of scripts, in page order."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").lower().split()
        if tag == "link" and ({"stylesheet", "icon"} & set(rel)) and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])


PAGES = {
    "admin-login": ("/admin/login/", "admin/css/base.css"),
    "swagger-ui": ("/api/v1/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
}


def page_assets(client, path):
    reply = client.get(path)
    assert reply.status_code == 200, reply.content[:500]
    parser = AssetLinks()
    parser.feed(reply.content.decode("utf-8"))
    return parser.urls


@pytest.mark.parametrize("page", list(PAGES))
def test_page_assets_name_real_files(page):
    """Every CSS/JS/icon link names a file WhiteNoise serves, with the file's bytes."""
    client = LambdaClient(**ROUTES["v1-prod"])
    path, must_have = PAGES[page]
    urls = page_assets(client, path)
    names = [urlsplit(url).path.partition("/static/")[2] for url in urls]
    assert must_have in names, urls
    for url, name in zip(urls, names, strict=True):
        assert name, f"{url} is not under STATIC_URL"
        reply = client.get(f"/static/{name}")  # the client's URL space: the stage is added
        assert reply.status_code == 200, url
        assert body_of(reply) == real_file(name), url


@pytest.mark.parametrize("page", list(PAGES))
def test_page_asset_links_carry_the_stage(page):
    """Followed as a browser follows them, from the page's own URL under /prod."""
    client = LambdaClient(**ROUTES["v1-prod"])
    path, _ = PAGES[page]
    page_url = f"https://testserver/prod{path}"
    for url in page_assets(client, path):
        absolute = urljoin(page_url, url)
        assert urlsplit(absolute).path.startswith("/prod/static/"), url
        # An absolute URL on the client's host is taken as the browser would send it.
        reply = client.get(absolute)
        assert reply.status_code == 200, absolute
        assert body_of(reply) == real_file(urlsplit(absolute).path[len("/prod/static/") :])
