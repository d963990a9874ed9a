from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from webcare.channels import whatsapp_media
from webcare.channels.actions import retry_event
from webcare.channels.models import DownloadState, EventState, MediaDownload, RawInboundEvent


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


@admin.register(MediaDownload)
class MediaDownloadAdmin(admin.ModelAdmin):
    """Customers' files still to fetch from WhatsApp, or whose fetch failed, with the reason;
    "fetch now" tries the selected ones again at once instead of at their next attempt."""

    list_display = ("id", "inbox", "kind", "media_id", "state", "attempts", "next_attempt_at")
    list_filter = ("state", "kind", "inbox")
    search_fields = ("media_id", "error")
    readonly_fields = [f.name for f in MediaDownload._meta.fields]
    actions = ["fetch_now"]

    @admin.action(description="Fetch the selected files now")
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[MediaDownload]) -> None:
        fetched = 0
        for download in queryset.exclude(state=DownloadState.FETCHED):
            MediaDownload.objects.filter(pk=download.pk).update(next_attempt_at=timezone.now())
            fetched += whatsapp_media.fetch_media(download.pk)
        self.message_user(request, f"Fetched {fetched} file(s).", messages.SUCCESS)
