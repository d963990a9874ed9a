"""The web chat's server side, below the consumer (web/chat_consumer.py): who a visitor is,
whether anyone is there to answer, what the visitor sees, and the two ways a visitor writes.

- A visitor is a random id, handed to the widget signed (django.core.signing) and kept by it
  in a first-party cookie of the site that embeds it, so the conversation survives page
  loads; a forged or foreign token simply starts a new visitor.
- Someone answers when the inbox is open (its opening hours, inboxes/business_hours.py) and
  a member of its team (or of the account, without a team) is online. Otherwise the widget
  says when the team is back and offers the offline form.
- A chat message goes through the one ingest path (channels.actions.ingest) like any
  platform's; an offline message lands as an e-mail conversation in the e-mail inbox the
  chat names (`email_inbox`), so it is answered by e-mail (channels/adapters/form.py).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from webcare.accounts.models import Availability, Membership
from webcare.channels import spam
from webcare.channels.actions import IngestResult, ingest
from webcare.channels.adapters import form, webchat
from webcare.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
)
from webcare.core.errors import ActionError
from webcare.inboxes.business_hours import BusinessCalendar
from webcare.inboxes.models import Inbox, InboxKind

SALT = "webcare.webchat.visitor"
DEFAULT_COLOR = "#1d4ed8"
MAX_TEXT = 5000
HISTORY_LIMIT = 200
LANGUAGES = ("nl", "en")
SHOWN = [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]


def chat_inbox(token: str) -> Inbox | None:
    return Inbox.objects.filter(token=token, kind=InboxKind.WEBCHAT).first()


def language(inbox: Inbox, requested: str) -> str:
    """The widget's language: the page's (`<html lang>`), else the inbox's, else Dutch."""
    wanted = (requested or "").lower()[:2]
    if wanted in LANGUAGES:
        return wanted
    configured = str(inbox.setting("language") or "nl")
    return configured if configured in LANGUAGES else "nl"


def brand_color(inbox: Inbox) -> str:
    """The inbox's `color` setting when it is a hex colour (it goes into CSS), else blue."""
    value = str(inbox.setting("color") or "").strip()
    return value if re.fullmatch(r"#[0-9a-fA-F]{6}", value) else DEFAULT_COLOR


def origin_allowed(inbox: Inbox, origin: str) -> bool:
    """Whether a page at `origin` may embed this inbox's chat (`allowed_origins`)."""
    allowed = [
        value.strip().rstrip("/").lower()
        for value in str(inbox.setting("allowed_origins") or "").split(",")
        if value.strip()
    ]
    return not allowed or origin.rstrip("/").lower() in allowed


# Visitors --------------------------------------------------------------------------------------


def visitor_token(inbox: Inbox, visitor: str) -> str:
    return signing.dumps({"i": inbox.pk, "v": visitor}, salt=SALT, compress=True)


def visitor_from(inbox: Inbox, token: str) -> str | None:
    """The visitor a token names, if it was signed by us for this inbox."""
    try:
        data = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("i") != inbox.pk:
        return None
    visitor = data.get("v")
    return visitor if isinstance(visitor, str) and visitor.isalnum() else None


def new_visitor() -> str:
    return secrets.token_hex(16)


def conversation_of(inbox: Inbox, visitor: str) -> Conversation | None:
    return Conversation.objects.filter(
        inbox=inbox, external_thread_id=webchat.VISITOR_PREFIX + visitor
    ).first()


def history(inbox: Inbox, visitor: str) -> list[dict[str, Any]]:
    """What the visitor sees of their conversation: their messages and the replies that went
    out; never notes, activity, or a reply still being written or sent."""
    conversation = conversation_of(inbox, visitor)
    if conversation is None:
        return []
    messages = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.MESSAGE)
        .filter(Q(direction=Direction.INBOUND) | Q(delivery_status__in=SHOWN))
        .select_related("sender_user")
        .order_by("-created_at", "-pk")[:HISTORY_LIMIT]
    )
    return [webchat.chat_entry(message) for message in reversed(list(messages))]


# Is anyone there? ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatStatus:
    online: bool
    back_at: datetime | None  # when the inbox opens again, if it is closed now


def status(inbox: Inbox, now: datetime | None = None) -> ChatStatus:
    now = now or timezone.now()
    calendar = BusinessCalendar.for_inbox(inbox)
    if not calendar.is_open(now):
        return ChatStatus(online=False, back_at=calendar.next_opening(now))
    online = Membership.objects.filter(
        account_id=inbox.account_id, availability=Availability.ONLINE
    )
    if inbox.team_id:
        online = online.filter(user__teams=inbox.team_id)
    return ChatStatus(online=online.exists(), back_at=None)


def status_text(inbox: Inbox, chat_status: ChatStatus) -> str:
    """The sentence the widget shows about the team, in the active language."""
    if chat_status.online:
        return _("We are online. Ask us anything.")
    if chat_status.back_at is not None:
        local = timezone.localtime(chat_status.back_at, BusinessCalendar.for_inbox(inbox).zone)
        today = timezone.localtime(timezone.now(), local.tzinfo).date()
        when = (
            date_format(local, "H:i") if local.date() == today else date_format(local, "l j F, H:i")
        )
        return _(
            "We are closed now and back %(when)s. Leave a message and your e-mail address: "
            "we answer by e-mail."
        ) % {"when": when}
    return _(
        "Nobody is online right now. Leave a message and your e-mail address: we answer by e-mail."
    )


# A visitor writes ------------------------------------------------------------------------------


def _clean_text(text: object) -> str:
    value = str(text or "").strip()
    if not value:
        raise ActionError(_("Write a message first."), field="text")
    if len(value) > MAX_TEXT:
        raise ActionError(
            _("A message is at most %(max)d characters.") % {"max": MAX_TEXT}, field="text"
        )
    return value


def check_visitor_message(
    inbox: Inbox, visitor: str, message_id: object, text: object, page: str = ""
) -> Message:
    """Store and thread one chat message; a repeated id is the same message."""
    clean = _clean_text(text)
    key = str(message_id or "")
    if not key.replace("-", "").isalnum() or len(key) > 64:
        raise ActionError("A message needs the widget's id.", field="id")
    item = webchat.stored_chat(
        visitor=visitor, message_id=key, text=clean, sent_at=timezone.now(), page=page[:500]
    )
    result = ingest(inbox, webchat.SOURCE, item.dedupe_key, item.payload)
    return _message_of(result, inbox)


def _message_of(result: IngestResult, inbox: Inbox) -> Message:
    if result.messages:
        return result.messages[0]
    stored = result.event.messages.first()
    if stored is None:
        # Kept as a failed event with its reason (webcare events list); the visitor is told.
        raise ActionError(_("Your message was received but could not be shown yet."), status=500)
    return stored


def email_inbox_for(inbox: Inbox) -> Inbox | None:
    """The e-mail inbox that answers this chat's offline messages: the one it names (by id
    or name), else the account's first."""
    wanted = str(inbox.setting("email_inbox") or "").strip()
    candidates = Inbox.objects.filter(account_id=inbox.account_id, kind=InboxKind.EMAIL)
    if wanted:
        named = (
            candidates.filter(pk=int(wanted)).first()
            if wanted.isdigit()
            else candidates.filter(name=wanted).first()
        )
        if named is not None:
            return named
    return candidates.order_by("pk").first()


def check_offline_message(
    inbox: Inbox, visitor: str, *, name: object, address: object, text: object, page: str = ""
) -> Message:
    """A message left while nobody was online, with an address to answer by e-mail."""
    clean = _clean_text(text)
    email_address = str(address or "").strip()
    try:
        validate_email(email_address)
    except ValidationError:
        raise ActionError(
            _("Give an e-mail address, so we can answer you."), field="email"
        ) from None
    target = email_inbox_for(inbox)
    if target is None:
        raise ActionError(
            _("Messages cannot be left here yet. Please write to us by e-mail."), status=503
        )
    spam.check_rate(f"chat-offline:{inbox.pk}", visitor)
    item = form.stored_submission(
        nonce=f"{visitor[:12]}{secrets.token_hex(6)}",
        name=str(name or "").strip()[:200],
        address=email_address,
        subject=_("Chat message left on %(site)s") % {"site": page[:200] or inbox.name},
        text=clean,
        submitted_at=timezone.now(),
        via="chat",
        page=page[:500],
    )
    result = ingest(target, form.SOURCE, item.dedupe_key, item.payload)
    return _message_of(result, target)


def visitor_presence(conversation: Conversation, socket: str, state: str) -> dict[str, Any]:
    """A visitor's typing as the agents' presence relay carries it (conversations.live)."""
    return {
        "type": "presence.relay",
        "socket": socket,
        "user_id": f"visitor-{socket}",
        "visitor": True,
        "name": conversation.contact.name,
        "conversation": conversation.display_id,
        "state": state,
    }


def visitor_group_of(account_id: int, display_id: int) -> str | None:
    """The visitor group of a chat conversation, for an agent's typing to reach the visitor."""
    conversation = (
        Conversation.objects.filter(
            account_id=account_id, display_id=display_id, inbox__kind=InboxKind.WEBCHAT
        )
        .only("inbox_id", "external_thread_id")
        .first()
    )
    if conversation is None or not conversation.external_thread_id.startswith(
        webchat.VISITOR_PREFIX
    ):
        return None
    visitor = conversation.external_thread_id[len(webchat.VISITOR_PREFIX) :]
    return webchat.visitor_group(conversation.inbox_id, visitor)
