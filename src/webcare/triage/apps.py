from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "webcare.triage"
    label = "triage"
    default_auto_field = "django.db.models.BigAutoField"
