from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo scenario and its `webcare demo` command; no models of its own."""

    name = "webcare.demo"
    label = "webcare_demo"
