"""JSON answers for errors raised outside DRF views, the health probes and `/metrics`.

The probe views are reached through `ProbeMiddleware` (see `middleware.py`), ahead of the
host check, the HTTPS redirect, sessions and authentication.
"""

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from . import prometheus
from .health import readiness


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error.", "code": "error"}, status=500)
    return defaults.server_error(request)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches neither the database nor Redis."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database and the channel layer both answer in time, else 503."""
    report = async_to_sync(readiness)(seconds=settings.RIPPLE_READY_TIMEOUT_SECONDS)
    return JsonResponse(report.as_dict(), status=200 if report.ok else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Every registered metric in the Prometheus text format; all workers' when multiprocess."""
    return HttpResponse(prometheus.exposition(), content_type=prometheus.CONTENT_TYPE)
