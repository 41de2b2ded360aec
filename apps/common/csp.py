"""A strict Content-Security-Policy header for every response.

Ripple's pages load their scripts and styles from /static/ only: no inline script, no inline
style, no third-party origin. So the policy allows same-origin resources and nothing else,
and an injected `<script>` or `onerror=` attribute does not run. `connect-src 'self'`
covers the API and the notification WebSocket (CSP Level 3 matches ws:/wss: to the page's
own host). The Swagger UI at /api/docs/ ships an inline bootstrap script and inline
styles, so it gets its own, looser policy.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Paths (prefixes) whose pages need inline script and style, with the policy they get.
LOOSER_POLICIES = {
    "/api/docs/": "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
        ]
    ),
}


def policy_for(path: str) -> str:
    for prefix, policy in LOOSER_POLICIES.items():
        if path.startswith(prefix):
            return policy
    return POLICY


class ContentSecurityPolicyMiddleware:
    """Adds the policy unless the view has set its own header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request.path_info)
        return response
