"""Websocket routes, mounted by config/asgi.py behind the session and origin checks."""

from django.urls import path

from webcare.web.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/a/<int:account_id>/", LiveConsumer.as_asgi(), name="live"),
]
