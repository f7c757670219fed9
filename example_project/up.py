"""Bring the whole system up from template.yaml on this machine: `python3 -m nox -s up`.

Both services from the template through the Docker-free emulator
(`django-lambda-bridge local start`), each on SQLite, migrated and seeded; their
queues on a local moto server; and a webhook receiver on 127.0.0.1:9001 that
checks each callback's Standard Webhooks signature. Prints the URLs and a curl
sequence that follows one exchange message to its signed callback. Ctrl-C stops
everything it started.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECEIVER_PORT = 9001  # where seed_demo's partners have their webhooks
TOKEN = "demo-callme-token"  # the callback service's seed_demo client
SECRET_KEY = "local-only-" + "x" * 40
SERVICES = {
    "exchange": ("ExchangeApiFunction", "ExchangeWorkerFunction"),
    "callback": ("CallbackApiFunction", "CallbackSenderFunction", "CallbackSweeperFunction"),
}


def prepare(folder: Path) -> Path:
    """SQLite databases, migrated and seeded, and the env file that points the functions at them."""
    env: dict[str, dict[str, str]] = {
        "Parameters": {
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_DEBUG": "1",
        }
    }
    for service, functions in SERVICES.items():
        database = f"sqlite:///{folder / f'{service}.sqlite3'}"
        values = {"DATABASE_URL": database}
        if service == "exchange":
            values["EXCHANGE_CALLME_TOKEN"] = TOKEN
        else:  # the receiver is on this machine, over plain HTTP: allowed for this run only
            values.update(CALLBACK_ALLOW_HTTP="1", CALLBACK_ALLOWED_NETWORKS="127.0.0.1/32")
        for function in functions:
            env[function] = values
        run_env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            **env["Parameters"],
            **values,
        }
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT / "example_project" / service, env=run_env, check=True,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
    path = folder / "env.json"
    path.write_text(json.dumps(env, indent=2))
    return path


class Receiver:
    """Partners' webhooks on 127.0.0.1:9001, verifying each signature with its secret."""

    def __init__(self, port: int = RECEIVER_PORT) -> None:
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        self.secret: str | None = None
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret or "whsec_" + "A" * 43).verify(body, headers)
                    valid = True
                except WebhookVerificationError:
                    valid = False
                entry = {"path": self.path, "webhook_id": headers.get("webhook-id"),
                         "valid": valid, "body": json.loads(body or b"null")}  # fmt: skip
                receiver.received.append(entry)
                print(f"receiver: {self.path} {entry['webhook_id']} signature "
                      f"{'valid' if valid else 'INVALID'}", flush=True)  # fmt: skip
                self.send_response(204 if valid else 401)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def register_receiver(callback_api: str, receiver: Receiver) -> None:
    """The partners' origin gets its signing secret from the callme API, as a client would."""
    request = urllib.request.Request(
        callback_api + "api/v1/subscriptions/",
        data=json.dumps({"url": f"http://127.0.0.1:{RECEIVER_PORT}/"}).encode(),
        headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        receiver.secret = json.loads(reply.read())["secret"]


def curl_sequence(exchange_api: str, callback_api: str) -> str:
    return f"""
Try it:

  TOKEN=$(curl -s -X POST {exchange_api}api/v1/auth/token/ -H 'Content-Type: application/json' \\
    -d '{{"username": "acme", "password": "demo-password"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])')
  curl -s -X POST {exchange_api}api/v1/messages/ -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' \\
    -d '{{"recipient": "globex", "type": "order.created", "payload": {{"order": "A-1"}}}}'
  # a moment later the receiver prints: /hooks/globex msg_... signature valid
  curl -s {callback_api}api/v1/callbacks/ -H 'Authorization: Token {TOKEN}'
"""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3000, help="first API port (default 3000)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it all, as Ctrl-C does
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from django_lambda_bridge.local import emulator, stack, template

    folder = Path(tempfile.mkdtemp(prefix="dlb-up-"))
    print(f"databases in {folder}", flush=True)
    env_file = prepare(folder)
    receiver = Receiver()
    system = stack.LocalStack(
        template.load(ROOT / "template.yaml"), args.port, emulator.read_env_file(env_file)
    )
    try:
        with system.running():
            assert system.emulator is not None
            apis = {api: url for api, url, _ in system.emulator.urls()}
            register_receiver(apis["CallbackHttpApi"], receiver)
            lines = [
                *system.urls(),
                f"receiver: http://127.0.0.1:{RECEIVER_PORT}/hooks/<partner>",
                curl_sequence(apis["ExchangeHttpApi"], apis["CallbackHttpApi"]),
            ]
            emulator.serve_until_interrupted(system.emulator, lines)
        print("stopped", flush=True)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        receiver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
