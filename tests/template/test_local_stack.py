"""``local start`` end to end: an exchange message becomes a signed callback, from the template.

Real HTTP on loopback throughout: the exchange API's front door, its worker fed
from a queue on the moto server, the callme API, the sender fed from its own
queue, and a receiver that verifies the Standard Webhooks signature.
"""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django_lambda_bridge.local import emulator, stack, template

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "example_project"))
import up  # noqa: E402  (the README's main-job script)


def free_pair() -> int:
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
        try:
            for offset in (1, 2):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        return port
    raise RuntimeError("no three free ports in a row")


def call(url, body=None, headers=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method or ("POST" if data else "GET"),
        headers={"Content-Type": "application/json", **(headers or {})},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_a_message_becomes_a_signed_callback_through_the_template(tmp_path):
    env_file = up.prepare(tmp_path)
    receiver = up.Receiver()
    system = stack.LocalStack(
        template.load(ROOT / "template.yaml"), free_pair(), emulator.read_env_file(env_file)
    )
    try:
        with system.running():
            apis = {api: url for api, url, _ in system.emulator.urls()}
            up.register_receiver(apis["CallbackHttpApi"], receiver)
            exchange = apis["ExchangeHttpApi"]
            status, tokens = call(exchange + "api/v1/auth/token/",
                                  {"username": "acme", "password": "demo-password"})  # fmt: skip
            assert status == 200, tokens
            auth = {"Authorization": f"Bearer {tokens['access']}", "Idempotency-Key": "e2e-1"}
            status, message = call(exchange + "api/v1/messages/", {
                "recipient": "globex", "type": "order.created", "payload": {"order": "E2E"},
            }, auth)  # fmt: skip
            assert status == 201, message

            (hit,) = wait_for(lambda: receiver.received)
            assert hit["valid"], hit
            assert hit["path"] == "/hooks/globex"
            assert hit["body"]["type"] == "exchange.message.delivered"
            assert hit["body"]["data"]["message_id"] == message["id"]

            def delivered():
                _, body = call(exchange + f"api/v1/messages/{message['id']}/", headers=auth)
                return body if body["state"] == "delivered" else None

            assert wait_for(delivered)["state"] == "delivered"
            _, callbacks = call(apis["CallbackHttpApi"] + "api/v1/callbacks/",
                                headers={"Authorization": f"Token {up.TOKEN}"})  # fmt: skip
            (callback,) = callbacks["results"]
            assert callback["state"] == "delivered"
            assert callback["webhook_id"] == hit["webhook_id"]
            assert [a["status_code"] for a in callback["attempts"]] == [204]

            control = system.control.server_address[1]
            status, swept = call(f"http://127.0.0.1:{control}/schedules/local-callback-sweeper",
                                 method="POST")  # fmt: skip
            assert status == 200
            assert swept == {"found": 0, "enqueued": 0}
            status, _ = call(f"http://127.0.0.1:{control}/schedules/nope", method="POST")
            assert status == 404
    finally:
        receiver.close()
