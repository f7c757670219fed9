"""The trivial endpoint: a DRF view with no database, no authentication, a small JSON reply.

With ``settings_trivial`` (``CommonMiddleware`` only) almost all of a request's
time is the adapter's and Django's own dispatch, so the adapter's overhead
shows instead of hiding under the app's cost.
"""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class Ping(APIView):
    authentication_classes = ()
    permission_classes = ()

    def get(self, request: Request) -> Response:
        return Response({"ok": True, "service": "bench"})

    def post(self, request: Request) -> Response:
        return Response({"ok": True, "received": request.data})
