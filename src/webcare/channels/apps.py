from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "webcare.channels"
    label = "webcare_channels"
    default_auto_field = "django.db.models.BigAutoField"
