"""Friend API routes."""

from django.urls import path

from .api import (
    BlockDeleteApi,
    BlockListCreateApi,
    FriendDeleteApi,
    FriendListApi,
    FriendPreferenceDetailApi,
    FriendRequestAcceptApi,
    FriendRequestDeclineApi,
    FriendRequestListCreateApi,
)

app_name = "friends"

urlpatterns = [
    path("friend-requests/", FriendRequestListCreateApi.as_view(), name="requests"),
    path(
        "friend-requests/<id:request_id>/accept/",
        FriendRequestAcceptApi.as_view(),
        name="request-accept",
    ),
    path(
        "friend-requests/<id:request_id>/decline/",
        FriendRequestDeclineApi.as_view(),
        name="request-decline",
    ),
    path("friends/", FriendListApi.as_view(), name="list"),
    path("friends/<id:user_id>/", FriendDeleteApi.as_view(), name="delete"),
    path("blocks/", BlockListCreateApi.as_view(), name="blocks"),
    path("blocks/<id:user_id>/", BlockDeleteApi.as_view(), name="unblock"),
    path("friend-preferences/", FriendPreferenceDetailApi.as_view(), name="preferences"),
]
