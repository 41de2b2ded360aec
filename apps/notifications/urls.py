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
from .api_preferences import MutedUserDeleteApi, MutedUserListCreateApi, NotificationPreferenceApi
from .api_push import PushSubscriptionApi, VapidPublicKeyApi
from .api_triage import (
    NotificationMarkAllDoneApi,
    NotificationMarkDoneApi,
    NotificationMarkUndoneApi,
    NotificationSeenApi,
    NotificationStatesApi,
)

app_name = "notifications"

urlpatterns = [
    path("notifications/", NotificationListApi.as_view(), name="list"),
    path("notifications/unread-count/", NotificationUnreadCountApi.as_view(), name="unread-count"),
    path("notifications/read-all/", NotificationMarkAllReadApi.as_view(), name="mark-all-read"),
    path("notifications/done-all/", NotificationMarkAllDoneApi.as_view(), name="mark-all-done"),
    path("notifications/seen/", NotificationSeenApi.as_view(), name="seen"),
    path("notifications/states/", NotificationStatesApi.as_view(), name="states"),
    path(
        "notifications/<id:notification_id>/done/",
        NotificationMarkDoneApi.as_view(),
        name="mark-done",
    ),
    path(
        "notifications/<id:notification_id>/undone/",
        NotificationMarkUndoneApi.as_view(),
        name="mark-undone",
    ),
    path(
        "notifications/<id:notification_id>/read/",
        NotificationMarkReadApi.as_view(),
        name="mark-read",
    ),
    path(
        "notifications/<id:notification_id>/unread/",
        NotificationMarkUnreadApi.as_view(),
        name="mark-unread",
    ),
    path("notifications/<id:notification_id>/", NotificationDismissApi.as_view(), name="dismiss"),
    path("notification-preferences/", NotificationPreferenceApi.as_view(), name="preferences"),
    path("push-subscriptions/", PushSubscriptionApi.as_view(), name="push-subscriptions"),
    path("push/vapid-public-key/", VapidPublicKeyApi.as_view(), name="vapid-public-key"),
    path("muted-users/", MutedUserListCreateApi.as_view(), name="muted-users"),
    path("muted-users/<id:user_id>/", MutedUserDeleteApi.as_view(), name="muted-user-delete"),
]
