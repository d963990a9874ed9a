"""Fetching the photos, documents, voice messages and videos customers send on WhatsApp.

The webhook names a file by its media id; the file itself takes two calls: `GET /{media-id}`
for a URL valid five minutes, then that URL with the Bearer token (platforms.md §3.2). Too
slow and too fragile for the webhook request, which must answer Meta at once; so ingest only
records a MediaDownload per file (`queue_downloads`, in the transaction that stores the
message), and a task fetches it after commit and stores it as the message's Attachment, shown
in the timeline like an e-mail attachment.

A fetch that fails (Meta down, a 404, a checksum that does not match) keeps the row with the
reason and a time to try again, with backoff: the worker's sweep takes it then. Nothing is
dropped; each try asks for a fresh URL, since the old one will have expired.
"""

import functools
import hashlib
import logging
import random
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from webcare.channels.adapters import whatsapp
from webcare.channels.adapters.base import ChannelError, InboundAttachment, InboundMedia
from webcare.channels.models import DownloadState, MediaDownload
from webcare.conversations.actions import store_attachment
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import Message

logger = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# How many due downloads one sweep takes.
SWEEP_BATCH = 50
EXTENSIONS = {"image": "jpg", "video": "mp4", "audio": "ogg", "voice": "ogg", "sticker": "webp"}


def queue_downloads(message: Message, media: Iterable[InboundMedia]) -> list[MediaDownload]:
    """Record the files of a message just stored, and fetch them once it is committed."""
    downloads = [
        MediaDownload.objects.get_or_create(
            message=message,
            media_id=item.media_id,
            defaults={
                "inbox_id": message.inbox_id,
                "kind": item.kind,
                "mime_type": item.mime_type,
                "filename": item.filename,
                "sha256": item.sha256,
                "next_attempt_at": timezone.now(),
            },
        )[0]
        for item in media
    ]
    for download in downloads:
        transaction.on_commit(functools.partial(fetch_media_task.enqueue, download.pk))
    return downloads


def backoff(attempts: int) -> timedelta:
    """After `attempts` failed tries: doubling from 30 s, at most an hour, with jitter."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + ceiling / 2 * random.random()  # noqa: S311


def _filename(download: MediaDownload, mime_type: str) -> str:
    if download.filename:
        return download.filename
    extension = EXTENSIONS.get(download.kind) or mime_type.rpartition("/")[2] or "bin"
    return f"whatsapp-{download.kind}-{download.media_id}.{extension.split(';')[0]}"


def _claim(download_id: int) -> MediaDownload | None:
    """Take a due download for this worker, so two workers never fetch the same file twice."""
    now = timezone.now()
    claimed = (
        MediaDownload.objects.filter(pk=download_id, next_attempt_at__lte=now)
        .exclude(state=DownloadState.FETCHED)
        .update(attempts=F("attempts") + 1, next_attempt_at=now + BACKOFF_MAX)
    )
    if not claimed:
        return None
    return MediaDownload.objects.select_related("inbox", "message__conversation").get(
        pk=download_id
    )


def fetch_media(download_id: int) -> bool:
    """Fetch one file and store it on its message; True when it is there now."""
    download = _claim(download_id)
    if download is None:
        return False
    try:
        info = whatsapp.media_info(download.inbox, download.media_id)
        content = whatsapp.download_media(download.inbox, str(info["url"]))
        # Both the webhook and the lookup name the file's hash; the bytes must match both.
        expected = {str(info.get("sha256") or ""), download.sha256} - {""}
        if expected and expected != {hashlib.sha256(content).hexdigest()}:
            raise ChannelError("the file WhatsApp sent does not match its sha256", permanent=False)
    except ChannelError as exc:
        _failed(download, str(exc))
        return False
    mime_type = str(info.get("mime_type") or download.mime_type)
    with transaction.atomic():
        attachment = store_attachment(
            download.message,
            InboundAttachment(_filename(download, mime_type), mime_type, content),
        )
        MediaDownload.objects.filter(pk=download.pk).update(
            state=DownloadState.FETCHED, error="", next_attempt_at=None, attachment=attachment
        )
        conversation_changed(download.message.conversation, "message")
    logger.info("whatsapp.media_fetched", extra={"download_id": download.pk, "size": len(content)})
    return True


def _failed(download: MediaDownload, reason: str) -> None:
    MediaDownload.objects.filter(pk=download.pk).update(
        state=DownloadState.FAILED,
        error=reason,
        next_attempt_at=timezone.now() + backoff(download.attempts),
    )
    logger.warning(
        "whatsapp.media_fetch_failed", extra={"download_id": download.pk, "reason": reason}
    )


def retry_due(limit: int = SWEEP_BATCH) -> int:
    """The sweep's part: fetch downloads whose time has come (failed ones, and pending ones a
    crash left behind); returns how many were tried."""
    due = (
        MediaDownload.objects.filter(
            Q(state=DownloadState.FAILED) | Q(state=DownloadState.PENDING),
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    for download_id in ids:
        fetch_media(download_id)
    return len(ids)


@task()
def fetch_media_task(download_id: int) -> None:
    """The background half of queue_downloads: one file."""
    fetch_media(download_id)
