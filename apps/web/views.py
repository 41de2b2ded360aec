"""Browser pages: each renders a template; the page's module reads and writes through the
REST API and listens on the WebSocket. No business logic lives here."""

from django.contrib.auth import login, password_validation
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.accounts.selectors import user_get_by_username
from apps.accounts.services import user_register
from apps.common.exceptions import ApplicationError
from apps.digests.models import DigestSettings, time_zone_names
from apps.direct_messages.models import TEXT_MAX_LENGTH
from apps.notifications.models import Notification
from apps.posts.models import CONTENT_MAX_LENGTH, Post

from .forms import SignupForm


@login_required
def feed(request: HttpRequest) -> HttpResponse:
    context = {"post_types": Post.Type.choices, "content_max_length": CONTENT_MAX_LENGTH}
    return render(request, "web/feed.html", context)


@login_required
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    return render(request, "web/post.html", {"post_id": post_id})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "web/inbox.html")


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    context = {
        "notification_types": Notification.Type.choices,
        "post_types": Post.Type.choices,
        "digest_frequencies": DigestSettings.Frequency.choices,
        "hours": [(hour, f"{hour:02d}:00") for hour in range(24)],
        "weekdays": list(enumerate(WEEKDAYS)),
        "time_zones": sorted(time_zone_names()),
    }
    return render(request, "web/settings.html", context)


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@login_required
def friends(request: HttpRequest) -> HttpResponse:
    return render(request, "web/friends.html")


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account through the registration service, then sign in."""
    if request.user.is_authenticated:
        return redirect("web:feed")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _ = user_register(**form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("web:feed")
    context = {"form": form, "password_rules": password_validation.password_validators_help_texts()}
    return render(request, "registration/signup.html", context)


@login_required
def messages(request: HttpRequest) -> HttpResponse:
    return render(request, "web/messages.html")


@login_required
def conversation(request: HttpRequest, username: str) -> HttpResponse:
    other = user_get_by_username(username=username)
    if other is None or other.pk == request.user.pk:
        raise Http404("No such person.")
    context = {"other": other, "text_max_length": TEXT_MAX_LENGTH}
    return render(request, "web/conversation.html", context)


def service_worker(request: HttpRequest) -> HttpResponse:
    """static/ripple/sw.js at the root, so that its scope can be the whole site."""
    path = finders.find("ripple/sw.js")
    if isinstance(path, str):
        with open(path, "rb") as file:
            body = file.read()
    else:
        with staticfiles_storage.open("ripple/sw.js") as file:
            body = file.read()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on navigation; never let a cache answer for it.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response
