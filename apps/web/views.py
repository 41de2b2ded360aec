"""Browser pages: each renders a template; the page's module reads and writes through the
REST API and listens on the WebSocket. No business logic lives here."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.notifications.models import Notification
from apps.posts.models import CONTENT_MAX_LENGTH, Post


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
    }
    return render(request, "web/settings.html", context)


@login_required
def friends(request: HttpRequest) -> HttpResponse:
    return render(request, "web/friends.html")
