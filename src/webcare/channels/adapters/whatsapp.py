"""WhatsApp Business Cloud API: customer messages in, text replies out (platforms.md §3).

Inbound is one webhook (`/hooks/whatsapp/<token>`, channels/meta_webhooks.py), verified as
every Meta webhook is (adapters/meta.py). A delivery (object `whatsapp_business_account`,
`entry[].changes[]` with field `messages`) is split into one stored item per platform object,
keyed by WhatsApp's own ids so a redelivery is recognised:

- `msg:<wamid>`: a customer message, stored with its `contacts[]` profile;
- `status:<wamid>:<status>`: sent, delivered, read or failed for one of our replies. Statuses
  make no message; channels/whatsapp_status.py moves the reply's delivery status forward;
- `other:<sha256>`: anything else, and every change for another business number (its
  `metadata.phone_number_id` is not this inbox's): kept for an admin, never dropped.

Media (image, document, audio, voice, video, sticker) arrive as a text like "[image] caption",
and with the media id as `InboundMessage.media`: the file is fetched in the background
(`GET /{media-id}`, then its URL, valid for five minutes; channels/whatsapp_media.py) and
shown as an attachment.

Outbound is `POST /{phone-number-id}/messages` with a text body, quoting the customer's message
(`context.message_id`). Free text is only allowed within 24 hours of the customer's last
message; after that WhatsApp takes only approved templates, so the sender refuses free text
before calling, and maps WhatsApp's own 131047 to the same explanation. A reply that carries
a template (`Message.template`: name, language, parameters; replies/templates.py) goes as
`type: "template"` with its body parameters, at any time: templates are what the window
allows.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from webcare.channels import http
from webcare.channels.adapters import meta
from webcare.channels.adapters.base import (
    Author,
    ChannelError,
    InboundMedia,
    InboundMessage,
    Item,
    Lookup,
    PayloadError,
    SendResult,
    other_item,
    stored_item,
)
from webcare.conversations import selectors
from webcare.conversations.models import Direction, Message
from webcare.inboxes.models import Inbox

SOURCE = "whatsapp"
PLATFORM = "WhatsApp"
OBJECT = "whatsapp_business_account"
DEFAULT_API_BASE = "https://graph.facebook.com/v23.0"
WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW_CODE = 131047
OUTSIDE_WINDOW = (
    "The customer's last WhatsApp message is more than 24 hours old, so WhatsApp only accepts "
    "an approved template message now, not free text (error 131047). Pick one of the inbox's "
    "approved templates in the composer and send that instead, or wait until the customer "
    "writes again."
)
MEDIA_TYPES = ("image", "video", "document", "audio", "voice", "sticker")


# Splitting a webhook delivery into stored items ------------------------------------------------


def is_status(item: Item) -> bool:
    """A delivery status of one of our replies (whatsapp_status.py applies it)."""
    return item.dedupe_key.startswith("status:")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PayloadError("body", "must be a JSON object")
    return data


def split_webhook(body: bytes, phone_number_id: str) -> list[Item]:
    """The items in one delivery; raise PayloadError when it is not JSON or lacks an id."""
    data = _json_object(body)
    entries = data.get("entry") if data.get("object") == OBJECT else None
    if not isinstance(entries, list):
        return [other_item(data)]
    items: list[Item] = []
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else [entry]:
            items.extend(_change_items(change, phone_number_id))
    return items or [other_item(data)]


def _change_items(change: Any, phone_number_id: str) -> list[Item]:
    value = change.get("value") if isinstance(change, dict) else None
    if not isinstance(value, dict) or change.get("field") != "messages":
        return [other_item(change)]
    routed_to = str((value.get("metadata") or {}).get("phone_number_id") or "")
    if not phone_number_id or routed_to != phone_number_id:
        return [other_item(change)]
    contacts = {
        str(contact.get("wa_id")): contact
        for contact in value.get("contacts") or []
        if isinstance(contact, dict)
    }
    items = [_message_item(m, contacts, phone_number_id) for m in value.get("messages") or []]
    items += [_status_item(s, phone_number_id) for s in value.get("statuses") or []]
    return items or [other_item(change)]


def _message_item(message: Any, contacts: dict[str, Any], phone_number_id: str) -> Item:
    if not isinstance(message, dict) or not message.get("id"):
        raise PayloadError("value.messages.id", "every message needs its id (wamid)")
    return stored_item(
        f"msg:{message['id']}",
        kind="message",
        phone_number_id=phone_number_id,
        message=message,
        contact=contacts.get(str(message.get("from"))) or {},
    )


def _status_item(status: Any, phone_number_id: str) -> Item:
    if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
        raise PayloadError("value.statuses", "every status needs its id (wamid) and status")
    return stored_item(
        f"status:{status['id']}:{status['status']}",
        kind="status",
        phone_number_id=phone_number_id,
        status=status,
    )


# Reading stored items --------------------------------------------------------------------------


def _caption(body: dict[str, Any]) -> str:
    return " ".join(str(body[key]) for key in ("filename", "caption") if body.get(key))


def _location(body: dict[str, Any]) -> str:
    place = " ".join(str(body[key]) for key in ("name", "address") if body.get(key))
    where = f"({body.get('latitude')}, {body.get('longitude')})"
    return f"{place} {where}".strip()


def _contacts(cards: Any) -> str:
    names = [
        str((card.get("name") or {}).get("formatted_name") or "")
        for card in cards or []
        if isinstance(card, dict)
    ]
    return ", ".join(name for name in names if name)


def _interactive(body: dict[str, Any]) -> str:
    reply = body.get("button_reply") or body.get("list_reply") or {}
    return str(reply.get("title") or "")


_DESCRIBE = {
    **dict.fromkeys(MEDIA_TYPES, _caption),
    "location": _location,
    "reaction": lambda body: str(body.get("emoji") or ""),
    "button": lambda body: str(body.get("text") or ""),
    "interactive": _interactive,
}


def message_text(message: dict[str, Any]) -> str:
    """The text an agent reads: the body of a text, else "[type] what it says"."""
    kind = str(message.get("type") or "unknown")
    body = message.get(kind)
    if kind == "text":
        return str((body or {}).get("body") or "")
    if kind == "contacts":
        described = _contacts(body)
    else:
        describe = _DESCRIBE.get(kind)
        described = describe(body) if describe and isinstance(body, dict) else ""
    return f"[{kind}] {described}".strip()


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise PayloadError("message.timestamp", "must be epoch seconds (a string)") from None


def _inbound(item: dict[str, Any]) -> InboundMessage:
    message = item.get("message")
    if not isinstance(message, dict) or not message.get("id"):
        raise PayloadError("message.id", "is missing")
    wa_id = str(message.get("from") or "")
    if not wa_id:
        raise PayloadError("message.from", "is missing (the customer's wa_id)")
    profile = (item.get("contact") or {}).get("profile") or {}
    context = message.get("context") or {}
    return InboundMessage(
        external_id=str(message["id"]),
        author=Author(external_id=wa_id, name=str(profile.get("name") or f"+{wa_id}")),
        text=message_text(message),
        created_at=_timestamp(message.get("timestamp")),
        public=False,
        in_reply_to=str(context["id"]) if context.get("id") else None,
        media=message_media(message),
    )


def message_media(message: dict[str, Any]) -> tuple[InboundMedia, ...]:
    """The file a media message names (image, document, audio, voice, video, sticker)."""
    kind = str(message.get("type") or "")
    body = message.get(kind)
    if kind not in MEDIA_TYPES or not isinstance(body, dict) or not body.get("id"):
        return ()
    return (
        InboundMedia(
            media_id=str(body["id"]),
            kind=kind,
            mime_type=str(body.get("mime_type") or ""),
            filename=str(body.get("filename") or ""),
            sha256=str(body.get("sha256") or ""),
        ),
    )


def read_item(payload: str | bytes) -> dict[str, Any]:
    """A stored item as a dict; raise PayloadError when it is not one of ours."""
    item = _json_object(payload.encode() if isinstance(payload, str) else payload)
    if item.get("kind") not in {"message", "status", "other"}:
        raise PayloadError("kind", "is missing or unknown: not an item stored by WhatsApp")
    return item


def parse(body: bytes) -> list[InboundMessage]:
    """Read one stored item. Statuses and other changes make no message (see the module)."""
    item = read_item(body)
    if item["kind"] != "message":
        return []
    return [_inbound(item)]


# Talking to the API ----------------------------------------------------------------------------


def api_base(inbox: Inbox) -> str:
    return str(inbox.setting("api_base") or DEFAULT_API_BASE).rstrip("/")


def required_setting(inbox: Inbox, key: str, what: str) -> str:
    value = str(inbox.setting(key) or "")
    if not value:
        raise ChannelError(
            f"WhatsApp inbox {inbox.name} has no {key}; set it with "
            f"`webcare inbox set {inbox.pk} {key}=<{what}>`.",
            permanent=True,
        )
    return value


def bearer(inbox: Inbox) -> dict[str, str]:
    token = required_setting(inbox, "access_token", "a token with whatsapp_business_messaging")
    return {"Authorization": f"Bearer {token}"}


def request(
    inbox: Inbox,
    path: str,
    what: str,
    body: dict[str, Any] | None = None,
    *,
    method: str = "POST",
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One call to the Graph API (a POST with `body`, or a GET); a refusal or a network
    failure raises ChannelError."""
    try:
        response = http.client().request(
            method,
            path if path.startswith("http") else api_base(inbox) + path,
            json=body,
            params=params,
            headers=bearer(inbox),
            timeout=settings.WEBCARE_HTTP_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise meta.unreachable(PLATFORM, what, exc) from exc
    if response.status_code >= 300:
        raise meta.refusal(
            PLATFORM, what, response, explanations={OUTSIDE_WINDOW_CODE: OUTSIDE_WINDOW}
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # It was accepted (2xx), so it may be on its way: do not send it blindly again.
        raise ChannelError(
            f"WhatsApp answered {what} with something that is not its JSON",
            permanent=True,
            maybe_sent=True,
        )
    return data


# A cap well above the files customers send, so a broken answer cannot fill the disk.
MAX_MEDIA_BYTES = 100 * 1024 * 1024


def media_info(inbox: Inbox, media_id: str) -> dict[str, Any]:
    """`GET /{media-id}`: {url, mime_type, sha256, file_size, id}; the url lives 5 minutes."""
    info = request(inbox, f"/{media_id}", "the media lookup", method="GET")
    if not info.get("url"):
        raise ChannelError("WhatsApp described the media without its url", permanent=False)
    return info


def download_media(inbox: Inbox, url: str) -> bytes:
    """The file at a media URL; it needs the same Bearer token as the API (platforms.md §3.2)."""
    try:
        response = http.client().get(
            url, headers=bearer(inbox), timeout=settings.WEBCARE_HTTP_TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise meta.unreachable(PLATFORM, "the media download", exc) from exc
    if response.status_code >= 300:
        raise meta.refusal(PLATFORM, "the media download", response)
    if len(response.content) > MAX_MEDIA_BYTES:
        raise ChannelError("WhatsApp sent a file larger than 100 MB", permanent=True)
    return response.content


# Sending ---------------------------------------------------------------------------------------


def _recipient(message: Message) -> str:
    identity = message.conversation.contact.identities.filter(inbox=message.inbox).first()
    if identity is None:
        raise ChannelError("This conversation has no WhatsApp number to write to.", permanent=True)
    return identity.external_id


def check_window(message: Message) -> None:
    """Refuse free text when the customer's newest message is older than 24 hours."""
    last_inbound = selectors.last_private_message_at(message.conversation_id)
    if last_inbound is None or timezone.now() - last_inbound > WINDOW:
        raise ChannelError(OUTSIDE_WINDOW, permanent=True)


def template_body(template: dict[str, Any], to: str) -> dict[str, Any]:
    """The documented template message (platforms.md §3.4): name, language, body parameters.

    A template without placeholders goes without `components`, as Meta's own examples do.
    """
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {"name": template["name"], "language": {"code": template["language"]}},
    }
    parameters = [{"type": "text", "text": str(value)} for value in template["parameters"]]
    if parameters:
        body["template"]["components"] = [{"type": "body", "parameters": parameters}]
    return body


def text_body(message: Message, to: str) -> dict[str, Any]:
    """The documented text message, quoting the customer message it answers."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": message.text, "preview_url": False},
    }
    parent = message.in_reply_to
    if parent is not None and parent.external_id and parent.direction == Direction.INBOUND:
        body["context"] = {"message_id": parent.external_id}
    return body


def mark_read(inbox: Inbox, wamid: str) -> None:
    """Tell WhatsApp the customer's message `wamid` was read (platforms.md §3.4): the customer
    sees blue ticks, for it and the messages before it. ChannelError when it is refused."""
    phone_number_id = required_setting(inbox, "phone_number_id", "the business number's id")
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    data = request(inbox, f"/{phone_number_id}/messages", "the read receipt", body)
    if data.get("success") is not True:
        raise ChannelError("WhatsApp did not confirm the read receipt", permanent=False)


class WhatsAppSender:
    """Sends text and template replies as the business number.

    WhatsApp has no idempotency key, and no endpoint lists or finds a message we sent, so
    after an interrupted send nobody can tell whether the customer got it: `lookup` says so,
    and a person decides (DeliveryStatus.UNCERTAIN) rather than risk sending it twice.
    An accepted message is `sent`; its `delivered` arrives later as a status webhook.
    """

    resend_is_safe = False

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        phone_number_id = required_setting(inbox, "phone_number_id", "the business number's id")
        if message.template:
            body = template_body(message.template, _recipient(message))
        else:
            check_window(message)
            body = text_body(message, _recipient(message))
        data = request(inbox, f"/{phone_number_id}/messages", "the message", body)
        sent = data.get("messages")
        wamid = sent[0].get("id") if isinstance(sent, list) and sent else None
        return SendResult(external_id=str(wamid) if wamid else None, delivered=False)

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        return Lookup.cannot_tell()
