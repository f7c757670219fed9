"""A batch of callbacks through the callback service's Lambda handler: concurrent vs in turn.

The callback example's sender gets an SQS batch of N callback messages (one
Lambda event, through ``callback_service.lambda_function.handler`` and the
``@events.sqs_batch`` route), claims the rows in SQLite, POSTs N signed
webhooks to a real receiver on 127.0.0.1 and records every attempt. The
receiver verifies each signature and answers after ``--delay-ms``.

Two variants, taking turns within each round (order rotated), so the ratio is
measured inside one round on the same machine state:

  concurrent   CALLBACK["SEND_CONCURRENCY"] = N (the default, 10)
  sequential   CALLBACK["SEND_CONCURRENCY"] = 1

Two receivers: a slow one (200 ms, the figure the issue asks for) and an
instant one (0 ms), where the service's own cost per batch shows (claim,
sign, record: database and Python, not waiting).

    .venv/bin/python benchmarks/bench_callbacks.py                 # 200 ms and 0 ms, 7 rounds
    .venv/bin/python benchmarks/bench_callbacks.py --delays 200 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent / "example_project" / "callback"


class Receiver:
    """Verifies each Standard Webhooks signature, then answers 200 after ``delay`` seconds."""

    def __init__(self, secret: str, delay: float) -> None:
        from standardwebhooks.webhooks import Webhook

        verifier = Webhook(secret)
        self.bad = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # a 2-byte reply must not wait on a delayed ACK

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
                except Exception:
                    receiver.bad += 1
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 64
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def setup() -> Any:
    """The callback project on a fresh SQLite file, migrated; its handler."""
    sys.path.insert(0, str(PROJECT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "callback_service.settings"
    directory = tempfile.mkdtemp(prefix="dlb-callbacks-")
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    os.environ["CALLBACK_ALLOW_HTTP"] = "1"
    os.environ["CALLBACK_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    from callback_service.lambda_function import handler
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return handler


def make_batch(owner: Any, url: str, size: int) -> dict[str, Any]:
    from callbacks.models import Callback, Subscription, origin_of
    from callbacks.outbox import message_body
    from django.utils import timezone

    from django_lambda_bridge.testing import sqs_event

    subscription = Subscription.objects.get(owner=owner, origin=origin_of(url))
    rows = [
        Callback.objects.create(
            owner=owner, subscription=subscription, idempotency_key=os.urandom(8).hex(),
            request_hash="-", url=url, event_type="order.created",
            payload={"order": "A-1", "amount": "10.00"}, max_attempts=8,
            next_attempt_at=timezone.now(),
        )
        for _ in range(size)
    ]  # fmt: skip
    return sqs_event(*(message_body(row.pk, 1) for row in rows), queue="callbacks")


def run(delays: list[int], rounds: int, size: int) -> dict[str, Any]:
    handler = setup()
    from callbacks.models import Attempt, Subscription, new_secret
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from django_lambda_bridge.testing.context import FakeContext

    owner = get_user_model().objects.create(username="bench")
    results: dict[str, Any] = {"batch_size": size, "rounds": rounds, "receivers": {}}
    for delay in delays:
        secret = new_secret()
        receiver = Receiver(secret, delay / 1000)
        Subscription.objects.create(owner=owner, origin=f"{receiver.origin}", secret=secret)
        url = f"{receiver.origin}/hook"
        samples: dict[str, list[float]] = {"concurrent": [], "sequential": []}
        ratios = []
        variants = {"concurrent": size, "sequential": 1}
        for warm in (True,) + (False,) * rounds:
            order = list(variants) if len(ratios) % 2 == 0 else list(reversed(variants))
            took = {}
            for name in order:
                settings.CALLBACK = {**settings.CALLBACK, "SEND_CONCURRENCY": variants[name]}
                event = make_batch(owner, url, size)
                start = time.perf_counter()
                reply = handler(event, FakeContext())
                took[name] = time.perf_counter() - start
                assert reply == {"batchItemFailures": []}, reply
            if warm:
                continue  # the first round opens pools and connections: not measured
            for name, seconds in took.items():
                samples[name].append(seconds)
            ratios.append(took["sequential"] / took["concurrent"])
        delivered = Attempt.objects.filter(callback__url=url, outcome="delivered").count()
        assert delivered == (rounds + 1) * 2 * size, delivered
        assert receiver.bad == 0, f"{receiver.bad} signatures did not verify"
        receiver.close()
        results["receivers"][f"{delay}ms"] = {
            "concurrent_s": statistics.median(samples["concurrent"]),
            "sequential_s": statistics.median(samples["sequential"]),
            "speedup": statistics.median(ratios),
            "own_cost_per_callback_ms": 1000
            * (statistics.median(samples["sequential"]) - size * delay / 1000)
            / size,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", type=int, nargs="+", default=[200, 0], metavar="MS")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.delays, args.rounds, args.size)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"batch of {args.size}, {args.rounds} rounds, medians (one SQS event per batch)")
    print(f"{'receiver':>9}  {'concurrent':>10}  {'sequential':>10}  {'speedup':>7}  own/cb")
    for name, r in results["receivers"].items():
        print(
            f"{name:>9}  {r['concurrent_s']:>9.3f}s  {r['sequential_s']:>9.3f}s  "
            f"{r['speedup']:>6.1f}x  {r['own_cost_per_callback_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
