"""Messaging windows: whether a platform still takes a private reply, known before queueing.

WhatsApp takes free text only within 24 hours of the customer's last message (after that only
an approved template, which the composer then offers: replies/templates.py); Messenger and
Instagram DMs within 24 hours, and up to 7 days with the Human Agent tag for a person's reply
(../shared/docs/platforms.md §2.6, §3.5). The adapters check again at send time, since a reply
can wait in the outbox; this read lets the composer say so while the agent types, and lets a
reply the platform would refuse be refused at once, with what to do instead, rather than fail
after it was queued.

Public replies (comments, posts) have no window. Sandboxed inboxes have none either: they
stand in for a platform without its rules, so the demo's older conversations stay answerable.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _

from webcare.channels import registry
from webcare.conversations import selectors
from webcare.conversations.models import Conversation
from webcare.inboxes.models import InboxKind

STANDARD = timedelta(hours=24)
HUMAN_AGENT = timedelta(days=7)
# Inbox kind -> how long after the customer's last message a person's reply may still go.
LIMITS = {
    InboxKind.WHATSAPP: STANDARD,
    InboxKind.FACEBOOK: HUMAN_AGENT,
    InboxKind.INSTAGRAM: HUMAN_AGENT,
}


@dataclass(frozen=True)
class ReplyWindow:
    """`open` until `until`; `human_agent`: past 24 hours, a person's reply is still taken
    with the Human Agent tag until `until`; `closed`: `reason` says what to do instead."""

    state: Literal["open", "human_agent", "closed"]
    until: datetime | None
    reason: str = ""


def _closed_reason(kind: str) -> str:
    if kind == InboxKind.WHATSAPP:
        return _(
            "The 24-hour window has closed: WhatsApp only takes an approved template message "
            "now. Pick one of this inbox's approved templates and fill in its fields, or wait "
            "until the customer writes again."
        )
    platform = "Facebook" if kind == InboxKind.FACEBOOK else "Instagram"
    return _(
        "The customer last wrote more than 7 days ago, so %(platform)s no longer takes a "
        "private message. Wait until they write again, or answer another way (a public reply, "
        "e-mail, phone)."
    ) % {"platform": platform}


def reply_window(conversation: Conversation, *, public: bool) -> ReplyWindow | None:
    """The window a private reply in `conversation` falls in now; None where none applies."""
    kind = conversation.inbox.kind
    limit = LIMITS.get(kind)  # type: ignore[call-overload]
    if public or limit is None or registry.is_sandboxed(conversation.inbox):
        return None
    last = selectors.last_private_message_at(conversation.pk)
    now = timezone.now()
    if last is None or now - last > limit:
        return ReplyWindow("closed", None, _closed_reason(kind))
    if now - last <= STANDARD:
        return ReplyWindow("open", last + STANDARD)
    return ReplyWindow("human_agent", last + limit)
