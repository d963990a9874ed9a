"""ASGI entry point: HTTP through Django, websockets through Channels.

An inbox websocket must come from one of ALLOWED_HOSTS (no other site can open one with our
cookie) and carries the Django session, so the consumer knows who is listening. The chat
widget's websocket comes from the company's own site and carries no session.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webcare.config.settings")

# Django must be set up before anything imports models.
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from webcare.core.asgi_handler import LaneASGIHandler  # noqa: E402

django_asgi_app = LaneASGIHandler(lanes=settings.WEBCARE_HTTP_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from webcare.web.routing import (  # noqa: E402
    chat_websocket_urlpatterns,
    websocket_urlpatterns,
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                # The chat widget: other sites' pages, no session; the consumer checks.
                *chat_websocket_urlpatterns,
                re_path(
                    r"",
                    AllowedHostsOriginValidator(
                        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
                    ),
                ),
            ]
        ),
    }
)
