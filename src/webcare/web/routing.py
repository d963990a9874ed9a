"""Websocket routes, mounted by config/asgi.py.

The inbox's live socket sits behind the session and origin checks. The chat widget's socket
is opened by visitors on the company's own site, another origin, and carries no session: it
checks the origin against the inbox's `allowed_origins` itself (web/chat_consumer.py).
"""

from django.urls import path

from webcare.web.chat_consumer import ChatConsumer
from webcare.web.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/a/<int:account_id>/", LiveConsumer.as_asgi(), name="live"),
]

chat_websocket_urlpatterns = [
    path("ws/chat/<str:token>/", ChatConsumer.as_asgi(), name="chat"),
]
