"""The verbatim record of everything a platform or importer handed us."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from webcare.inboxes.models import Inbox


class EventState(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class RawInboundEvent(models.Model):
    """One delivery from a platform webhook, importer or demo, stored before it is processed.

    Stored first and processed second, so a crash or a bug in threading never loses a customer
    message: a pending or failed event is still here, with the reason, to be retried.
    `dedupe_key` is the platform's own id for the event, so a redelivery is recognised.
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="raw_events")
    source = models.CharField(max_length=20)
    dedupe_key = models.CharField(max_length=200)
    payload = models.TextField()
    state = models.CharField(max_length=10, choices=EventState.choices, default=EventState.PENDING)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inbox", "dedupe_key"], name="raw_event_dedupe"),
            models.CheckConstraint(
                condition=models.Q(state__in=EventState.values), name="raw_event_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["state", "received_at"], name="raw_event_state")]

    def __str__(self) -> str:
        return f"{self.source}:{self.dedupe_key} ({self.state})"


class ConnectorState(models.Model):
    """What a connector remembers between runs, and what its health page shows.

    `cursor` is where polling resumes (X: the newest post id seen), advanced only after
    everything up to it is stored, so a crash re-reads rather than skips. `rate_limited_until`
    is the platform's reset: no request goes out before it. `lease_until` keeps two workers
    from polling the same inbox at once.
    """

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="connector_state")
    cursor = models.JSONField(default=dict, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.inbox}: {self.cursor}"


class DownloadState(models.TextChoices):
    PENDING = "pending", _("Pending")
    FETCHED = "fetched", _("Fetched")
    FAILED = "failed", _("Failed")


class MediaDownload(models.Model):
    """A photo, document, voice message or video a customer sent, to fetch from the platform.

    WhatsApp's webhook names the file (a media id) but does not carry it; fetching takes two
    calls and the URL lives five minutes (platforms.md §3.2), so it happens in the background,
    never in the webhook request (channels/whatsapp_media.py). The row is the to-do item and
    its record: `pending` until fetched (then `attachment` is the stored file), `failed` with
    `error` after a try that did not work, tried again at `next_attempt_at`: never dropped.
    `mime_type`, `filename` and `sha256` are what the webhook said about the file.
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="media_downloads")
    message = models.ForeignKey(
        "conversations.Message", on_delete=models.CASCADE, related_name="media_downloads"
    )
    media_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    mime_type = models.CharField(max_length=150, blank=True, default="")
    filename = models.CharField(max_length=255, blank=True, default="")
    sha256 = models.CharField(max_length=128, blank=True, default="")
    state = models.CharField(
        max_length=10, choices=DownloadState.choices, default=DownloadState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attachment = models.ForeignKey(
        "conversations.Attachment", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "media_id"], name="media_download_once"),
            models.CheckConstraint(
                condition=models.Q(state__in=DownloadState.values),
                name="media_download_state_valid",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="media_download_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.media_id} ({self.state})"
