"""Rate limits for the API's writes: one scoped throttle, counted per user or per client IP."""

import logging
from typing import cast

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class WriteRateThrottle(ScopedRateThrottle):
    """DRF's ScopedRateThrottle for unsafe methods only: a view's reads are never counted.

    The view names its bucket with `throttle_scope`; the rate comes from
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]. Signed-in clients are counted by user id,
    anonymous ones by client IP (REMOTE_ADDR, see NUM_PROXIES in the settings). Over the rate
    the answer is 429 with a Retry-After header. If the cache is down the request goes
    through uncounted: a dead Redis must not stop every post.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        try:
            return super().allow_request(request, view)
        except ImproperlyConfigured:
            raise
        except Exception:
            logger.warning("throttle cache unavailable; %s not counted", self.scope, exc_info=True)
            return True

    def get_rate(self) -> str | None:
        # Read the settings on each request rather than DRF's class attribute, which is
        # frozen at import and so ignores settings overridden later (tests, reloads).
        # Rates are "count/period" strings (see parse_rate); the stubs type them as numbers.
        rates = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.")
        return rates[self.scope]
