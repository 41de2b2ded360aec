"""Request logging, and the health probes and `/metrics` answered before any other middleware."""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import views

logger = logging.getLogger(__name__)

Handler = Callable[[HttpRequest], HttpResponse]

# Orchestrators and Prometheus address one worker by its IP over plain HTTP inside the
# network, so their Host is not in ALLOWED_HOSTS and they must not be redirected to HTTPS;
# they need no session or user either. These paths are answered here, ahead of all that.
PROBES: dict[str, Handler] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics,
}


class ProbeMiddleware:
    """Serve the paths in `PROBES` directly; everything else goes down the stack."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in {"GET", "HEAD"}:
            return probe(request)
        return self.get_response(request)


class RequestLogMiddleware:
    """One log record per HTTP request: method, path, status and duration.

    Probes are logged at DEBUG: every orchestrator polls them every few seconds.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            level = logging.DEBUG if request.path_info in PROBES else logging.INFO
            logger.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "event": "http.request",
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "client": request.META.get("REMOTE_ADDR"),
                },
            )
