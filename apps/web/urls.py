"""Browser page routes."""

from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("posts/<id:post_id>/", views.post_detail, name="post"),
    path("inbox/", views.inbox, name="inbox"),
    path("settings/notifications/", views.notification_settings, name="settings"),
    path("friends/", views.friends, name="friends"),
    path("signup/", views.signup, name="signup"),
    path("messages/", views.messages, name="messages"),
    path("messages/<str:username>/", views.conversation, name="conversation"),
]
