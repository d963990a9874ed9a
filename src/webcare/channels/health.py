"""What a connector's health page shows: is it receiving, is it failing, is it held back.

Read-only (a selector): from the stored inbound events, the connector's state and the reply
outbox. The questions a lead asks when customers say "I wrote to you and nobody answered":
when did the last event arrive, what was the last error, is the platform rate limiting us,
and is anything stuck (events not yet processed, events that failed, replies not yet out).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from webcare.channels import registry
from webcare.channels.models import ConnectorState, EventState, RawInboundEvent
from webcare.conversations.models import DeliveryStatus, Message
from webcare.inboxes.models import Inbox, InboxKind

# Inbox kind -> the URL name of its webhook (config/urls.py).
WEBHOOK_ROUTES = {
    InboxKind.API: "hook-api",
    InboxKind.X: "hook-x",
    InboxKind.WHATSAPP: "hook-whatsapp",
    InboxKind.FACEBOOK: "hook-facebook",
    InboxKind.INSTAGRAM: "hook-instagram",
}


@dataclass(frozen=True)
class Health:
    inbox: Inbox
    sandboxed: bool
    webhook_url: str
    last_event_at: datetime | None
    last_polled_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    rate_limited_until: datetime | None
    pending_events: int
    failed_events: int
    replies_waiting: int
    replies_failed: int

    @property
    def rate_limited(self) -> bool:
        return bool(self.rate_limited_until and self.rate_limited_until > timezone.now())

    @property
    def ok(self) -> bool:
        return not (self.last_error or self.failed_events or self.replies_failed)


def webhook_url(inbox: Inbox) -> str:
    route = WEBHOOK_ROUTES.get(inbox.kind)
    return settings.PUBLIC_URL + reverse(route, args=[inbox.token]) if route else ""


def public_entry_points(inbox: Inbox) -> dict[str, str]:
    """What a company puts on its own site: an e-mail inbox's contact form (one URL, also
    for an iframe), a chat inbox's script tag."""
    if inbox.kind == InboxKind.EMAIL:
        return {
            "contact_form_url": settings.PUBLIC_URL + reverse("contact-form", args=[inbox.token])
        }
    if inbox.kind == InboxKind.WEBCHAT:
        src = settings.PUBLIC_URL + static("webchat/widget.js")
        return {"chat_snippet": f'<script src="{src}" data-inbox="{inbox.token}" async></script>'}
    return {}


def _last_failed_event(inbox: Inbox) -> RawInboundEvent | None:
    return (
        RawInboundEvent.objects.filter(inbox=inbox, state=EventState.FAILED)
        .order_by("-received_at")
        .first()
    )


def connector_health(inbox: Inbox) -> Health:
    state = ConnectorState.objects.filter(inbox=inbox).first()
    events = RawInboundEvent.objects.filter(inbox=inbox)
    replies = Message.objects.filter(inbox=inbox)
    last_error, last_error_at = (state.last_error, state.last_error_at) if state else ("", None)
    failed_event = _last_failed_event(inbox)
    if failed_event and (last_error_at is None or failed_event.received_at > last_error_at):
        last_error, last_error_at = failed_event.error, failed_event.received_at
    return Health(
        inbox=inbox,
        sandboxed=registry.is_sandboxed(inbox),
        webhook_url=webhook_url(inbox),
        last_event_at=events.aggregate(last=Max("received_at"))["last"],
        last_polled_at=state.last_polled_at if state else None,
        last_error=last_error,
        last_error_at=last_error_at,
        rate_limited_until=state.rate_limited_until if state else None,
        pending_events=events.filter(state=EventState.PENDING).count(),
        failed_events=events.filter(state=EventState.FAILED).count(),
        replies_waiting=replies.filter(
            delivery_status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]
        ).count(),
        replies_failed=replies.filter(
            delivery_status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN]
        ).count(),
    )
