"""The contact form and the chat's offline form: a message with an e-mail address, answered
by e-mail.

A submission is stored (channels.actions.ingest) into an e-mail inbox as one item keyed by
the form's own nonce (a resubmitted page is the same submission), and read as a message from
the address the person gave, in a conversation of its own. From there it is an e-mail
conversation like any other: the reply goes out by SMTP with a Reply-To that carries the
conversation, and the customer's answer to it threads back (channels/adapters/email.py).
The spam checks, which need no third party, are in channels/spam.py.
"""

import json
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from webcare.channels.adapters.base import Author, InboundMessage, Item, PayloadError, stored_item

SOURCE = "form"
# Where a form message came from, as the timeline says.
VIA = ("form", "chat")


def stored_submission(
    *,
    nonce: str,
    name: str,
    address: str,
    subject: str,
    text: str,
    submitted_at: datetime,
    via: str,
    page: str = "",
) -> Item:
    return stored_item(
        f"form:{nonce}",
        kind="form",
        via=via,
        nonce=nonce,
        name=name,
        email=address,
        subject=subject,
        text=text,
        submitted_at=submitted_at.isoformat(),
        page=page,
    )


def _field(item: dict[str, Any], name: str) -> str:
    value = item.get(name, "")
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    return value.strip()


def parse(body: bytes) -> list[InboundMessage]:
    try:
        item = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(item, dict) or item.get("kind") != "form":
        raise PayloadError("kind", "is not 'form': not a stored form submission")
    nonce = _field(item, "nonce")
    address = _field(item, "email").lower()
    if not nonce:
        raise PayloadError("nonce", "is required")
    if "@" not in address:
        raise PayloadError("email", "is not an e-mail address")
    moment = parse_datetime(_field(item, "submitted_at"))
    if moment is None:
        raise PayloadError("submitted_at", "must be an ISO 8601 time")
    via = _field(item, "via") if _field(item, "via") in VIA else "form"
    thread = f"{via}:{nonce}"
    return [
        InboundMessage(
            # Message-ID-like, so the reply's In-Reply-To names it and an answer threads back.
            external_id=f"<{via}.{nonce}@webcare.invalid>",
            author=Author(external_id=address, handle=address, name=_field(item, "name")),
            text=_field(item, "text"),
            created_at=moment,
            public=False,
            thread_id=thread,
            subject=_field(item, "subject"),
            headers={
                "from": address,
                "to": [],
                "cc": [],
                "references": [],
                "via": via,
                "page": _field(item, "page"),
            },
        )
    ]
