"""Digest routes: the settings endpoint (under /api/) and the unsubscribe page."""

from django.urls import URLPattern, path

from . import api, views

urlpatterns = [
    path("digest-settings/", api.DigestSettingsApi.as_view(), name="digest-settings"),
]

# Outside /api/: the page a digest's links open, in the "digests" namespace.
page_urlpatterns: list[URLPattern] = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
