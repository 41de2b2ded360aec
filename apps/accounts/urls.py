"""Account API routes."""

from django.urls import path

from .api import MeApi, TokenObtainApi, UserListApi, UserRegisterApi

app_name = "accounts"

urlpatterns = [
    path("auth/register/", UserRegisterApi.as_view(), name="register"),
    path("auth/token/", TokenObtainApi.as_view(), name="token"),
    path("me/", MeApi.as_view(), name="me"),
    path("users/", UserListApi.as_view(), name="users"),
]
