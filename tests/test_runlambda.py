"""Real HTTP on 127.0.0.1 through the local emulator (``runlambda``) and the real handler.

Each test starts ``LambdaHTTPServer`` on a free port in a thread and talks to
it with http.client, so the whole round trip is covered: HTTP request -> event
of the chosen format -> handler -> reply -> HTTP response. One test runs the
actual management command in a subprocess.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from django_lambda_bridge import conf as conf_module
from django_lambda_bridge.handler import make_handler
from django_lambda_bridge.kinds import Kind
from django_lambda_bridge.local.server import LambdaHTTPServer
from django_lambda_bridge.testing.events import FORMATS
from tests.runlambda_support import port_of, start_command, stop

ROOT = Path(__file__).resolve().parent.parent
BINARY = bytes(range(256))
#: The kind each emulated format must reach the handler as.
KIND = {
    "v1": Kind.API_GATEWAY_V1,
    "v2": Kind.API_GATEWAY_V2,
    "function-url": Kind.FUNCTION_URL,
    "alb": Kind.ALB,
    "alb-multi": Kind.ALB,
}


@pytest.fixture(scope="module")
def handler():
    saved = conf_module._active
    # runlambda serves plain HTTP, so it builds its handler the same way.
    yield make_handler("tests.settings", scheme="http")
    conf_module._active = saved


@contextmanager
def running(handler, fmt: str, stage: str = "$default") -> Iterator[LambdaHTTPServer]:
    server = LambdaHTTPServer(("127.0.0.1", 0), handler, fmt=fmt, stage=stage)
    with server.running():
        yield server


@pytest.fixture
def serve(handler) -> Iterator[Callable[..., LambdaHTTPServer]]:
    """``serve(fmt, stage)`` starts a server for the rest of the test."""
    stack: list[Any] = []

    def start(fmt: str, stage: str = "$default") -> LambdaHTTPServer:
        cm = running(handler, fmt, stage)
        server = cm.__enter__()
        stack.append(cm)
        return server

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    server: LambdaHTTPServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return Reply(conn.getresponse())
    finally:
        conn.close()


def prefix(fmt: str, stage: str) -> str:
    return f"/{stage}" if fmt in ("v1", "v2") and stage != "$default" else ""


# Every format, with the stage it is served under (v1 always has one; v2 both ways).
CELLS = [
    ("v1", "prod"),
    ("v2", "$default"),
    ("v2", "beta"),
    ("function-url", "$default"),
    ("alb", "$default"),
    ("alb-multi", "$default"),
]
CELL_IDS = [f"{fmt}-{stage.strip('$')}" for fmt, stage in CELLS]


def test_every_format_is_covered():
    assert {fmt for fmt, _ in CELLS} == set(FORMATS)


@pytest.mark.parametrize(("fmt", "stage"), CELLS, ids=CELL_IDS)
def test_get_reaches_django_as_that_format(serve, fmt, stage):
    server = serve(fmt, stage)
    base = prefix(fmt, stage)
    port = server.server_port
    reply = request(server, "GET", f"{base}/echo/?q=1&q=2&x=a%20b")
    assert reply.status == 200, reply.body
    seen = reply.json()
    assert seen["kind"] == KIND[fmt]
    assert seen["script_name"] == base
    assert seen["path_info"] == "/echo/"
    assert seen["path"] == f"{base}/echo/"
    assert seen["reverse"] == f"{base}/echo/"
    url, _, query = seen["absolute_uri"].partition("?")
    assert url == f"http://127.0.0.1:{port}{base}/echo/"
    assert parse_qs(query) == seen["query"]
    # An ALB in single-value mode passes only the last value of a repeated key.
    expected_q = ["2"] if fmt == "alb" else ["1", "2"]
    assert seen["query"] == {"q": expected_q, "x": ["a b"]}
    assert seen["is_secure"] is False


@pytest.mark.parametrize("fmt", ["v2", "function-url"])
def test_http_api_query_string_is_passed_verbatim(serve, fmt):
    server = serve(fmt)
    raw = "b=2&a=1&a=%7E&sp=a%20b&plus=a+b&empty="
    seen = request(server, "GET", f"/echo/?{raw}").json()
    assert seen["absolute_uri"].partition("?")[2] == raw
    assert seen["query"] == {
        "b": ["2"],
        "a": ["1", "~"],
        "sp": ["a b"],
        "plus": ["a b"],
        "empty": [""],
    }


@pytest.mark.parametrize(("fmt", "stage"), CELLS, ids=CELL_IDS)
def test_client_ip_is_the_peer_not_a_header(serve, fmt, stage):
    server = serve(fmt, stage)
    reply = request(
        server, "GET", f"{prefix(fmt, stage)}/echo/", headers={"X-Forwarded-For": "6.6.6.6"}
    )
    assert reply.json()["remote_addr"] == "127.0.0.1"


OUTSIDE = ("/echo/", "/{stage}x/echo/", "/", "/other/{stage}/echo/")


@pytest.mark.parametrize(("fmt", "stage"), [("v1", "prod"), ("v2", "beta")])
def test_paths_outside_the_stage_get_api_gateways_answer(serve, fmt, stage):
    server = serve(fmt, stage)
    for path in (p.format(stage=stage) for p in OUTSIDE):
        reply = request(server, "GET", path)
        assert reply.headers["Content-Type"] == "application/json"
        if fmt == "v1":
            assert reply.status == 403, path
            assert reply.json() == {"message": "Missing Authentication Token"}
            assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        else:
            assert reply.status == 404, path
            assert reply.json() == {"message": "Not Found"}
            assert "x-amzn-ErrorType" not in reply.headers
    assert request(server, "GET", f"/{stage}/echo/").status == 200


#: Headers any HTTP server adds, which the in-process test client has no counterpart for.
_TRANSPORT = {"server", "date", "content-length"}


@pytest.mark.parametrize(("fmt", "stage"), [("v1", "prod"), ("v2", "beta")])
@pytest.mark.parametrize("template", OUTSIDE)
def test_outside_the_stage_runlambda_and_the_test_client_agree(
    serve, handler, fmt, stage, template
):
    """The two emulations of API Gateway's unmatched-path answer must not drift apart."""
    from django_lambda_bridge.testing.client import LambdaClient

    path = template.format(stage=stage)
    reply = request(serve(fmt, stage), "GET", path)
    # An absolute URL on the client's host is sent as is, stage and all, like runlambda's.
    response = LambdaClient(events=fmt, stage=stage, handler=handler).get(
        f"http://testserver{path}"
    )
    assert (reply.status, reply.body) == (response.status_code, response.content)
    served = {k.lower(): v for k, v in reply.headers.items() if k.lower() not in _TRANSPORT}
    assert served == {k.lower(): v for k, v in response.items()}


def test_stage_root_reaches_django_as_slash(serve):
    server = serve("v1", "prod")
    # /prod and /prod?x=1 are the stage root; the test app has no route there.
    for path in ("/prod", "/prod/", "/prod?x=1"):
        reply = request(server, "GET", path)
        assert reply.status == 404, path


@pytest.mark.parametrize(("fmt", "stage"), CELLS, ids=CELL_IDS)
def test_redirects_keep_the_stage(serve, fmt, stage):
    server = serve(fmt, stage)
    base = prefix(fmt, stage)
    reply = request(server, "GET", f"{base}/redirect/")
    assert reply.status == 302
    assert reply.headers["Location"] == f"{base}/echo/"
    # APPEND_SLASH builds its redirect from the full path, stage included.
    slash = request(server, "GET", f"{base}/echo?a=1")
    assert slash.status == 301
    assert slash.headers["Location"] == f"{base}/echo/?a=1"


def test_urllib_follows_a_redirect_inside_the_stage(serve):
    server = serve("v1", "prod")
    url = f"http://127.0.0.1:{server.server_port}/prod/redirect/"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        assert response.url == f"http://127.0.0.1:{server.server_port}/prod/echo/"
        assert json.loads(response.read())["script_name"] == "/prod"


@pytest.mark.parametrize(("fmt", "stage"), CELLS, ids=CELL_IDS)
def test_cookies_both_ways(serve, fmt, stage):
    server = serve(fmt, stage)
    base = prefix(fmt, stage)
    reply = request(server, "GET", f"{base}/cookies/")
    assert reply.status == 200
    cookies = reply.headers.get_all("Set-Cookie")
    assert sorted(c.split(";")[0] for c in cookies) == ["first=1", "second=2"]
    assert reply.headers["X-Custom"] == "a"

    sent = request(server, "GET", f"{base}/echo/", headers={"Cookie": "first=1; second=2"})
    assert sent.json()["cookies"] == {"first": "1", "second": "2"}


@pytest.mark.parametrize(("fmt", "stage"), CELLS, ids=CELL_IDS)
def test_binary_download_is_byte_exact(serve, fmt, stage):
    server = serve(fmt, stage)
    base = prefix(fmt, stage)
    reply = request(server, "GET", f"{base}/binary/")
    assert reply.status == 200
    assert reply.body == BINARY
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert reply.headers["Content-Length"] == "256"
    gz = request(server, "GET", f"{base}/gzipped/")
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gz.body == b"\x1f\x8b\x08\x00fake"


@pytest.mark.parametrize(("fmt", "stage"), CELLS, ids=CELL_IDS)
def test_post_bodies_arrive_intact(serve, fmt, stage):
    server = serve(fmt, stage)
    base = prefix(fmt, stage)
    text = json.dumps({"name": "caf\u00e9", "n": 1}).encode()
    reply = request(
        server, "POST", f"{base}/echo/", body=text, headers={"Content-Type": "application/json"}
    )
    assert reply.status == 200
    seen = reply.json()
    assert seen["method"] == "POST"
    assert seen["content_type"] == "application/json"
    assert seen["body"].encode("latin-1") == text
    # Not UTF-8: travels base64-encoded in the event and must come out unchanged.
    raw = request(
        server,
        "PUT",
        f"{base}/echo/",
        body=BINARY,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert raw.json()["body"].encode("latin-1") == BINARY


def test_chunked_request_body_is_read(serve):
    server = serve("v2")
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    try:
        conn.request(
            "POST",
            "/echo/",
            body=iter([b"hello ", b"chunked ", b"world"]),
            headers={"Content-Type": "text/plain"},
            encode_chunked=True,
        )
        reply = Reply(conn.getresponse())
    finally:
        conn.close()
    assert reply.status == 200
    assert reply.json()["body"] == "hello chunked world"


def test_bad_content_length_is_a_400(serve):
    server = serve("v2")
    reply = request(server, "POST", "/echo/", headers={"Content-Length": "abc"})
    assert reply.status == 400


def test_head_has_headers_but_no_body(serve):
    server = serve("v2")
    reply = request(server, "HEAD", "/binary/")
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["Content-Type"] == "application/octet-stream"


def test_django_errors_are_replies_not_crashes(serve):
    server = serve("v1", "prod")
    boom = request(server, "GET", "/prod/boom/")
    assert boom.status == 500
    assert request(server, "GET", "/prod/no-such-page/").status == 404
    # The server is still serving after both.
    assert request(server, "GET", "/prod/echo/").status == 200


def test_handler_failure_is_a_502_like_api_gateway():
    def broken(event, context):
        raise RuntimeError("the function crashed")

    with running(broken, "v2") as server:
        reply = request(server, "GET", "/echo/")
    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="alb, alb-multi"):
        LambdaHTTPServer(("127.0.0.1", 0), lambda e, c: None, fmt="v3")


def test_management_command_serves_real_http():
    proc, out = start_command("127.0.0.1:0", "--format", "v1")
    try:
        assert "/prod/" in out.splitlines()[-1]
        base = f"http://127.0.0.1:{port_of(proc, out)}"
        with urllib.request.urlopen(f"{base}/prod/echo/?via=command", timeout=30) as response:
            seen = json.loads(response.read())
        assert seen["kind"] == Kind.API_GATEWAY_V1
        assert seen["script_name"] == "/prod"
        assert seen["absolute_uri"] == f"{base}/prod/echo/?via=command"
        with pytest.raises(urllib.error.HTTPError) as outside:
            urllib.request.urlopen(f"{base}/echo/", timeout=30)
        assert outside.value.code == 403
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert "GET /prod/echo/?via=command" in err  # the access log


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-a-port"], "is not an address:port or a port"),
        (["--format", "alb", "--stage", "prod"], "--stage only applies to v1 and v2"),
        (["--format", "v3"], "invalid choice"),
    ],
)
def test_management_command_rejects_bad_arguments(args, message):
    proc, _ = start_command(*args)
    code, err = stop(proc)
    assert code != 0
    assert message in err
