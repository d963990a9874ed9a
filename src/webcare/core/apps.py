from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting commands (serve, worker); no models."""

    name = "webcare.core"
    label = "webcare_core"
