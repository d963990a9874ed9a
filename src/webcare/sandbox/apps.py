from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """`webcare sandbox` and the platforms' stand-ins it starts; no models of its own."""

    name = "webcare.sandbox"
    label = "webcare_sandbox"
