class StampMiddleware:
    """Marks every response, to see that MIDDLEWARE overrides reach the cached handler."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Stamp"] = "stamped"
        return response
