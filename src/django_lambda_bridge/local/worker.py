"""One template function in a process of its own, answering the Lambda Invoke API.

Django's settings are global to a process, so each function of a template (each
with its own project and environment) runs in its own worker; the emulator's
front doors invoke it over HTTP, as API Gateway invokes Lambda. Started as
``python -m django_lambda_bridge.local.worker NAME CODE_DIR HANDLER PORT`` with
the function's environment; prints ``ready`` once the handler is imported (the
init phase), then serves until killed.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any


def load_handler(code_dir: str, handler: str) -> Callable[[Any, Any], Any]:
    """Import ``module.function`` from ``code_dir``, as the Lambda runtime does."""
    os.chdir(code_dir)
    sys.path.insert(0, code_dir)
    module, _, name = handler.rpartition(".")
    function: Callable[[Any, Any], Any] = getattr(importlib.import_module(module), name)
    return function


def exit_with_parent(interval: float = 1.0) -> None:
    """End this worker when the emulator that started it is gone (killed, crashed):
    a worker must never outlive it and keep its port and database open."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def main(argv: list[str]) -> int:
    name, code_dir, handler, port = argv
    exit_with_parent()
    from django_lambda_bridge.local.invoke import LambdaInvokeServer

    server = LambdaInvokeServer(
        load_handler(code_dir, handler), name, address=("127.0.0.1", int(port))
    )
    print("ready", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
