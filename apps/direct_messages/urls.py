"""Direct message routes."""

from django.urls import path

from .api import MessageListCreateApi

app_name = "direct_messages"

urlpatterns = [
    path("messages/", MessageListCreateApi.as_view(), name="list"),
]
