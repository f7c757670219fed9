"""Play one execution environment: events in on stdin (a JSON line each), replies out.

Replies are printed as ``@@reply <json>``; every other stdout line is what
CloudWatch would get (JSON logs, EMF metrics).
"""

import json
import sys

from django_lambda_bridge import make_handler
from django_lambda_bridge.testing.context import FakeContext

handler = make_handler("tests.db.envproject.settings")
print("@@ready", flush=True)
for line in sys.stdin:
    try:
        reply = handler(json.loads(line), FakeContext())
    except Exception as exc:
        reply = {"raised": type(exc).__name__, "message": str(exc)}
    print("@@reply " + json.dumps(reply), flush=True)
