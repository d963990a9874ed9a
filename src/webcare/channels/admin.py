from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from webcare.channels.actions import retry_event
from webcare.channels.models import EventState, RawInboundEvent


@admin.register(RawInboundEvent)
class RawInboundEventAdmin(admin.ModelAdmin):
    """Admins see every event we could not process, with the reason, and can retry it."""

    list_display = ("id", "inbox", "source", "dedupe_key", "state", "attempts", "received_at")
    list_filter = ("state", "source", "inbox")
    search_fields = ("dedupe_key", "error", "payload")
    readonly_fields = [f.name for f in RawInboundEvent._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry processing the selected events")
    def retry(self, request: HttpRequest, queryset: QuerySet[RawInboundEvent]) -> None:
        retried = 0
        for event in queryset.exclude(state=EventState.PROCESSED):
            retry_event(event)
            retried += 1
        self.message_user(request, f"Retried {retried} event(s).", messages.SUCCESS)
