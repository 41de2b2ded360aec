"""Post API routes."""

from django.urls import path

from .api import (
    PostDetailApi,
    PostLikeApi,
    PostListCreateApi,
    PostReplyDetailApi,
    PostReplyListCreateApi,
)

app_name = "posts"

urlpatterns = [
    path("posts/", PostListCreateApi.as_view(), name="list"),
    path("posts/<id:post_id>/", PostDetailApi.as_view(), name="detail"),
    path("posts/<id:post_id>/like/", PostLikeApi.as_view(), name="like"),
    path("posts/<id:post_id>/replies/", PostReplyListCreateApi.as_view(), name="replies"),
    path(
        "posts/<id:post_id>/replies/<id:reply_id>/",
        PostReplyDetailApi.as_view(),
        name="reply",
    ),
]
