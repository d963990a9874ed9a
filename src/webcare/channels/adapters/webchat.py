"""The web chat: the company's own site, over a websocket (web/chat_consumer.py).

Inbound: each message a visitor types is stored (channels.actions.ingest) under the id the
widget gave it, so a message the widget sends again after a reconnect is stored once. A
visitor is a random id in a signed cookie (channels/webchat.py); their messages form one
conversation per inbox, reopened when they come back.

Outbound: a reply is pushed to the visitor's channel-layer group, which every tab of theirs
has joined; a visitor who is not on the site sees it on the next page load (the history comes
from the database). The widget shows each reply once by its id, so a resend is harmless.
"""

import json
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from webcare.channels.adapters.base import (
    Author,
    InboundMessage,
    Item,
    Lookup,
    PayloadError,
    SendResult,
    stored_item,
)
from webcare.conversations import live
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox

SOURCE = "webchat"
VISITOR_PREFIX = "visitor:"


def visitor_group(inbox_id: int, visitor: str) -> str:
    """The channel-layer group of one visitor's tabs."""
    return f"webchat.{inbox_id}.{visitor}"


def stored_chat(*, visitor: str, message_id: str, text: str, sent_at: datetime, page: str) -> Item:
    return stored_item(
        f"chat:{visitor}:{message_id}",
        kind="chat",
        visitor=visitor,
        id=message_id,
        text=text,
        sent_at=sent_at.isoformat(),
        page=page,
    )


def _field(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(name, "is required")
    return value.strip()


def parse(body: bytes) -> list[InboundMessage]:
    try:
        item = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(item, dict) or item.get("kind") != "chat":
        raise PayloadError("kind", "is not 'chat': not a stored chat message")
    visitor = _field(item, "visitor")
    moment = parse_datetime(_field(item, "sent_at"))
    if moment is None:
        raise PayloadError("sent_at", "must be an ISO 8601 time")
    return [
        InboundMessage(
            external_id=f"chat:{visitor}:{_field(item, 'id')}",
            author=Author(external_id=VISITOR_PREFIX + visitor),
            text=_field(item, "text"),
            created_at=moment,
            public=False,
            thread_id=VISITOR_PREFIX + visitor,
        )
    ]


def chat_entry(message: Message) -> dict[str, Any]:
    """A message as the widget shows it: no internal fields, no other customers' data."""
    mine = message.direction == "inbound"
    return {
        "id": message.pk,
        "from": "visitor" if mine else "agent",
        "name": "" if mine or message.sender_user is None else message.sender_user.first_name,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


class WebchatSender:
    """The widget dedupes replies by id, so a resend after an interruption is safe."""

    resend_is_safe = True

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        return Lookup.absent()

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        thread = message.conversation.external_thread_id
        if thread.startswith(VISITOR_PREFIX):
            visitor = thread[len(VISITOR_PREFIX) :]
            live.broadcast(
                visitor_group(inbox.pk, visitor),
                {"type": "chat.message", "message": chat_entry(message)},
            )
        # Stored for the visitor: shown now if they are on the site, else on their next visit.
        return SendResult(external_id=f"chat-reply:{message.pk}", delivered=True)
