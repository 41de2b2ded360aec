"""The one-click unsubscribe page: the signed token, not a login, is the authority."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .services import digest_unsubscribe
from .tokens import unsubscribe_user_id


# CSRF-exempt because a mail client's RFC 8058 one-click POST carries no cookie or token;
# the signature stands in for both, and all the POST can do is turn this user's digest off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners fetch links); POST turns the digest off."""
    user_id = unsubscribe_user_id(token=token)
    if user_id is None:
        return render(request, "digests/unsubscribe.html", {"state": "invalid"}, status=404)
    if request.method == "POST":
        digest_unsubscribe(user_id=user_id)
        return render(request, "digests/unsubscribe.html", {"state": "done"})
    return render(request, "digests/unsubscribe.html", {"state": "confirm"})
