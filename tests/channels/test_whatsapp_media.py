"""Customers' photos and files on WhatsApp, fetched from the stand-in over real HTTP and shown
as attachments (platforms.md §3.2)."""

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from tests.channels.connected import whatsapp_inbox
from tests.channels.test_whatsapp import CUSTOMER, deliver
from tests.conftest import logged_in
from webcare.accounts.models import Account, User
from webcare.channels import whatsapp_media
from webcare.channels.admin import MediaDownloadAdmin
from webcare.channels.models import DownloadState, MediaDownload
from webcare.conversations.models import Attachment, Message
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.whatsapp import WhatsAppStandIn, running_whatsapp

PHOTO = b"\xff\xd8\xff\xe0 a photo of a broken barrier"


@pytest.fixture
def standin() -> Iterator[WhatsAppStandIn]:
    with running_whatsapp() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: WhatsAppStandIn, settings: Settings, tmp_path: Path) -> Inbox:
    settings.MEDIA_ROOT = tmp_path
    return whatsapp_inbox(account, standin)


def media_calls(standin: WhatsAppStandIn) -> list[str]:
    return [r.path for r in standin.calls("GET")]


def test_a_photo_is_fetched_after_the_webhook_answered_and_shown_as_an_attachment(
    agent_anna: User,
    inbox: Inbox,
    standin: WhatsAppStandIn,
    django_capture_on_commit_callbacks,
) -> None:
    photo = standin.image(CUSTOMER, "Kapotte slagboom", content=PHOTO)
    media_id = photo["image"]["id"]

    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = deliver(standin, inbox, standin.messages_body(photo))
    # The webhook request stored the message and answered; WhatsApp was not asked yet.
    assert response.status_code == 200
    assert media_calls(standin) == []
    download = MediaDownload.objects.get()
    assert (download.media_id, download.kind, download.state) == (media_id, "image", "pending")
    assert download.mime_type == "image/jpeg"
    for callback in after_commit:
        callback()

    assert media_calls(standin) == [f"/v23.0/{media_id}", "/whatsapp_business/attachments/"]
    assert all(
        r.headers["Authorization"] == f"Bearer {standin.access_token}" for r in standin.calls("GET")
    )
    download.refresh_from_db()
    assert download.state == DownloadState.FETCHED
    message = Message.objects.get(external_id=photo["id"])
    (attachment,) = message.attachments.all()
    assert download.attachment == attachment
    assert (attachment.kind, attachment.mime_type, attachment.size) == (
        "image",
        "image/jpeg",
        len(PHOTO),
    )
    assert attachment.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert attachment.filename == f"whatsapp-image-{media_id}.jpg"
    client = logged_in(agent_anna)
    url = reverse("web:conversation", args=[inbox.account_id, message.conversation.display_id])
    page = client.get(url).content.decode()
    assert reverse("attachment", args=[attachment.pk]) in page
    served = client.get(reverse("attachment", args=[attachment.pk]))
    assert b"".join(served.streaming_content) == PHOTO


def test_a_document_keeps_its_filename(
    inbox: Inbox, standin: WhatsAppStandIn, django_capture_on_commit_callbacks
) -> None:
    pdf = standin.media_message(
        CUSTOMER, "document", b"%PDF-1.7 bon", "application/pdf", filename="bon.pdf"
    )

    with django_capture_on_commit_callbacks(execute=True):
        deliver(standin, inbox, standin.messages_body(pdf))

    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.kind) == ("bon.pdf", "document")
    assert Message.objects.get().text == "[document] bon.pdf"


def test_a_failed_fetch_is_kept_with_the_reason_shown_and_retried_by_the_sweep(
    agent_anna: User,
    inbox: Inbox,
    standin: WhatsAppStandIn,
    django_capture_on_commit_callbacks,
) -> None:
    photo = standin.image(CUSTOMER, "Bonnetje", content=PHOTO)
    standin.fail_next(500)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(standin, inbox, standin.messages_body(photo))

    download = MediaDownload.objects.get()
    assert download.state == DownloadState.FAILED
    assert "500" in download.error
    assert download.next_attempt_at > timezone.now()
    assert not Attachment.objects.exists()
    message = Message.objects.get(external_id=photo["id"])
    url = reverse("web:conversation", args=[inbox.account_id, message.conversation.display_id])
    assert (
        "could not be fetched from WhatsApp yet" in logged_in(agent_anna).get(url).content.decode()
    )
    # Not due yet: the sweep leaves it alone.
    assert whatsapp_media.retry_due() == 0

    MediaDownload.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert whatsapp_media.retry_due() == 1

    download.refresh_from_db()
    assert (download.state, download.error, download.attempts) == ("fetched", "", 2)
    assert Attachment.objects.get().size == len(PHOTO)


def test_a_file_that_does_not_match_its_checksum_is_not_stored(
    inbox: Inbox, standin: WhatsAppStandIn, django_capture_on_commit_callbacks
) -> None:
    photo = standin.image(CUSTOMER, "Bonnetje", content=PHOTO)
    media_id = photo["image"]["id"]
    # What the URL serves is not what the webhook and the lookup described.
    sha = hashlib.sha256(PHOTO).hexdigest()
    standin.media[media_id] = ("image/jpeg", b"something else")

    with django_capture_on_commit_callbacks(execute=True):
        deliver(standin, inbox, standin.messages_body(photo))

    download = MediaDownload.objects.get()
    assert download.sha256 == sha
    assert download.state == DownloadState.FAILED
    assert "sha256" in download.error
    assert not Attachment.objects.exists()


def test_an_expired_media_url_is_refused_by_the_stand_in(standin: WhatsAppStandIn) -> None:
    photo = standin.image(CUSTOMER, "Bonnetje", content=PHOTO)
    status, info, _headers = standin.handle(
        "GET", f"/v23.0/{photo['image']['id']}", None, f"Bearer {standin.access_token}"
    )
    token = info["url"].rsplit("token=", 1)[1]
    media_id, _expiry = standin.media_urls[token]
    standin.media_urls[token] = (media_id, 0)

    refused = standin.download({"mid": media_id, "token": token}, f"Bearer {standin.access_token}")

    assert status == 200 and info["file_size"] == len(PHOTO)
    assert refused[0] == 404


def test_a_redelivered_photo_is_fetched_once(
    inbox: Inbox, standin: WhatsAppStandIn, django_capture_on_commit_callbacks
) -> None:
    body = standin.messages_body(standin.image(CUSTOMER, "Kapotte slagboom", content=PHOTO))

    with django_capture_on_commit_callbacks(execute=True):
        deliver(standin, inbox, body)
        deliver(standin, inbox, body)

    assert MediaDownload.objects.count() == 1
    assert standin.media_downloads == [MediaDownload.objects.get().media_id]


def test_an_admin_can_fetch_a_failed_file_at_once(
    inbox: Inbox, standin: WhatsAppStandIn, django_capture_on_commit_callbacks
) -> None:
    photo = standin.image(CUSTOMER, "Bonnetje", content=PHOTO)
    standin.fail_next(500)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(standin, inbox, standin.messages_body(photo))
    request = RequestFactory().post("/admin/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]

    MediaDownloadAdmin(MediaDownload, admin.site).fetch_now(request, MediaDownload.objects.all())

    assert MediaDownload.objects.get().state == DownloadState.FETCHED
    assert [m.message for m in request._messages] == ["Fetched 1 file(s)."]  # type: ignore[attr-defined]
