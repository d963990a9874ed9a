from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "webcare.replies"
    label = "replies"
    default_auto_field = "django.db.models.BigAutoField"
