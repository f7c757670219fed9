from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class PartnerRateThrottle(SimpleRateThrottle):
    """One budget per partner (per client IP before login).

    The rate is read per request from ``settings.EXCHANGE["THROTTLE_RATE"]``
    rather than once at import, so it can be changed without a redeploy of code.
    """

    scope = "partner"

    def get_rate(self):
        return settings.EXCHANGE["THROTTLE_RATE"]

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        partner = getattr(request.user, "partner", None) if request.user.is_authenticated else None
        ident = f"partner-{partner.pk}" if partner else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request):
        # DRF's default trusts X-Forwarded-For, which any client can set; the
        # peer address (on Lambda: the gateway's source IP) cannot be forged.
        return request.META.get("REMOTE_ADDR", "")
