"""Inbox routes."""

from django.urls import path

from .api import (
    NotificationDismissApi,
    NotificationListApi,
    NotificationMarkAllReadApi,
    NotificationMarkReadApi,
    NotificationMarkUnreadApi,
    NotificationUnreadCountApi,
)

app_name = "notifications"

urlpatterns = [
    path("notifications/", NotificationListApi.as_view(), name="list"),
    path("notifications/unread-count/", NotificationUnreadCountApi.as_view(), name="unread-count"),
    path("notifications/read-all/", NotificationMarkAllReadApi.as_view(), name="mark-all-read"),
    path(
        "notifications/<int:notification_id>/read/",
        NotificationMarkReadApi.as_view(),
        name="mark-read",
    ),
    path(
        "notifications/<int:notification_id>/unread/",
        NotificationMarkUnreadApi.as_view(),
        name="mark-unread",
    ),
    path("notifications/<int:notification_id>/", NotificationDismissApi.as_view(), name="dismiss"),
]
