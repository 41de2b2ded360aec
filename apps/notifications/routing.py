"""WebSocket routes for notifications."""

from django.urls import path

from .realtime.consumer import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
