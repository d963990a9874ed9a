from django.apps import AppConfig


class InboxesConfig(AppConfig):
    name = "webcare.inboxes"
    label = "inboxes"
    default_auto_field = "django.db.models.BigAutoField"
