"""Facebook Page: comments, visitor posts and Messenger in, comment and Messenger replies out
(../shared/docs/platforms.md §2).

Inbound is one webhook (`/hooks/facebook/<token>`, channels/meta_webhooks.py), verified as every
Meta webhook is (adapters/meta.py). A delivery (object `page`) is split into one stored item per
platform object, keyed by Meta's own ids so a redelivery is recognised (Meta retries until it
gets a 200, and batches several entries into one delivery):

- `comment:<comment_id>:<verb>` and `post:<post_id>:<verb>`: an `entry[].changes[]` with field
  `feed` about a comment or a visitor post; the documented dedupe key is comment id + verb;
- `mid:<mid>`: an `entry[].messaging[]` event carrying a Messenger message. The Page's own
  messages come back as echoes (`is_echo`) and are recorded as the brand's replies, so what an
  agent typed in Meta Business Suite shows up in the timeline too;
- `other:<sha256>`: everything else, kept for an admin and never dropped: entries for another
  Page, other fields, reactions, shares, deliveries and reads, postbacks, unsends.

Threading: a post's comments form one public conversation (`thread_id` is the post id), and a
reply to a comment hangs under that comment (`in_reply_to` is its `parent_id`). Messenger is
private, one conversation per customer (the PSID), the default DM threading.

Not handled yet, stored as items that make no message: edits (`verb: edited`) and removals
(`remove`, `hide`) of comments and posts, the Page's own posts, reactions, attachments beyond a
"[image] url" line, and the customer's name on Messenger (the webhook carries only the PSID;
it would take a `GET /{PSID}` profile call).

Outbound: a public reply is `POST /{comment-id}/comments` (or `/{post-id}/comments` under a
visitor post) with `message`; a private one is the Send API, `POST /{page-id}/messages`, with
`messaging_type: RESPONSE` inside 24 hours of the customer's last message and the `HUMAN_AGENT`
tag up to 7 days; after that the Page cannot write first, and the sender refuses before
calling. The Page token goes as the `access_token` query parameter, as platforms.md §2.2
documents it for Page calls.

The Messenger Platform pieces (splitting `messaging[]`, reading a message, the window, the
Send API call) are shared with Instagram, whose DMs are the same platform (adapters/instagram.py).
"""

import json
from dataclasses import dataclass
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
    InboundMessage,
    Item,
    Lookup,
    PayloadError,
    SendResult,
    other_item,
    stored_item,
)
from webcare.conversations import selectors
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox, InboxKind

SOURCE = "facebook"
OBJECT = "page"
# What a visitor post can be reported as (`item`); comments are `comment`.
POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})
WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
# Meta's answer to a message outside the allowed window. Seen in the wild, not in the sources
# read for platforms.md (§6, open question 4).
OUTSIDE_WINDOW_CODE = 10
OUTSIDE_WINDOW_SUBCODE = 2018278


@dataclass(frozen=True)
class Graph:
    """One Graph API flavour: its name for agents, its inboxes and stored events, its default
    host, the token it needs (in words, for the error that asks for it), and the setting that
    holds the account id its webhook entries carry."""

    platform: str
    inbox_kind: str
    source: str
    default_api_base: str
    credential: str
    inbox_id_setting: str


FACEBOOK = Graph(
    platform="Facebook",
    inbox_kind=InboxKind.FACEBOOK,
    source=SOURCE,
    default_api_base="https://graph.facebook.com/v23.0",
    credential="a Page access token with pages_messaging and pages_manage_engagement",
    inbox_id_setting="page_id",
)
PLATFORM = FACEBOOK.platform


def window_closed(platform: str) -> str:
    """What to tell the agent when the Page (or IG account) may no longer write first."""
    return (
        f"The customer's last {platform} message is more than 7 days old, so {platform} no "
        "longer accepts a private reply: the 24-hour window and the 7-day Human Agent window "
        f"have both closed. Wait until the customer writes again, or reach them another way "
        "(a public reply, e-mail or phone)."
    )


def window_refused(platform: str) -> str:
    """What to tell the agent when Meta itself says the window is closed."""
    return (
        f"{platform} says the messaging window for this customer has closed (code "
        f"{OUTSIDE_WINDOW_CODE}, subcode {OUTSIDE_WINDOW_SUBCODE}), so the message was not "
        "sent. Wait until the customer writes again, or reach them another way."
    )


# Splitting a webhook delivery into stored items ------------------------------------------------


def json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PayloadError("body", "must be a JSON object")
    return data


def entries_for(data: dict[str, Any], object_name: str) -> list[Any] | None:
    """The delivery's `entry[]`, or None when it is not the object this connector reads."""
    entries = data.get("entry") if data.get("object") == object_name else None
    return entries if isinstance(entries, list) else None


def owned_entry(entry: Any, account_id: str) -> bool:
    """An entry for this inbox's Page (or IG account); another one's is only kept."""
    return isinstance(entry, dict) and bool(account_id) and str(entry.get("id")) == account_id


def split_webhook(body: bytes, page_id: str) -> list[Item]:
    """The items in one delivery; raise PayloadError when it is not JSON or lacks an id."""
    data = json_object(body)
    entries = entries_for(data, OBJECT)
    if entries is None:
        return [other_item(data)]
    items: list[Item] = []
    for entry in entries:
        items.extend(_entry_items(entry, page_id))
    return items or [other_item(data)]


def _entry_items(entry: Any, page_id: str) -> list[Item]:
    if not owned_entry(entry, page_id):
        return [other_item(entry)]
    changes = entry.get("changes")
    events = entry.get("messaging")
    items = [_feed_item(c, page_id) for c in changes] if isinstance(changes, list) else []
    items += [messaging_item(e, page_id) for e in events] if isinstance(events, list) else []
    return items or [other_item(entry)]


def _feed_item(change: Any, page_id: str) -> Item:
    value = change.get("value") if isinstance(change, dict) else None
    if not isinstance(value, dict) or change.get("field") != "feed":
        return other_item(change)
    verb = str(value.get("verb") or "")
    kind = str(value.get("item") or "")
    author = str((value.get("from") or {}).get("id") or "")
    if kind == "comment":
        if not value.get("comment_id"):
            raise PayloadError("value.comment_id", "every comment needs its comment_id")
        key = f"comment:{value['comment_id']}:{verb}"
        readable = verb == "add"
    elif kind in POST_ITEMS and value.get("post_id"):
        key = f"post:{value['post_id']}:{verb}"
        # The Page's own posts start no conversation: the comments under them do.
        readable = verb == "add" and author != page_id
    else:
        return other_item(change)
    # Edits and removals keep their own documented key, but make no message (yet).
    return stored_item(key, kind="feed" if readable else "other", page_id=page_id, value=value)


def messaging_item(event: Any, account_id: str) -> Item:
    """A Messenger (or Instagram) event: a message under `mid:<mid>`, anything else `other`."""
    message = event.get("message") if isinstance(event, dict) else None
    if not isinstance(message, dict) or message.get("is_deleted"):
        return other_item(event)
    if not message.get("mid"):
        raise PayloadError("messaging.message.mid", "every message needs its mid")
    return stored_item(
        f"mid:{message['mid']}", kind="messaging", account_id=account_id, event=event
    )


# Reading stored items --------------------------------------------------------------------------


def epoch(value: Any, field: str, *, millis: bool = False) -> datetime:
    try:
        seconds = int(value) / 1000 if millis else int(value)
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        unit = "milliseconds" if millis else "seconds"
        raise PayloadError(field, f"must be epoch {unit}") from None


def _feed_message(stored: dict[str, Any]) -> InboundMessage:
    value = stored["value"]
    sender = value.get("from") or {}
    author_id = str(sender.get("id") or "")
    if not author_id:
        raise PayloadError("value.from.id", "is missing (who wrote it)")
    post_id = str(value.get("post_id") or "")
    is_comment = value.get("item") == "comment"
    return InboundMessage(
        external_id=str(value["comment_id"] if is_comment else post_id),
        author=Author(external_id=author_id, name=str(sender.get("name") or "")),
        text=str(value.get("message") or ""),
        created_at=epoch(value.get("created_time"), "value.created_time"),
        public=True,
        # The post for a top-level comment, the comment for a reply: linked when we have it.
        in_reply_to=str(value["parent_id"]) if is_comment and value.get("parent_id") else None,
        thread_id=post_id or None,
        from_brand=author_id == stored.get("page_id"),
    )


def message_text(message: dict[str, Any]) -> str:
    """The text an agent reads: the text, else "[type] url" per attachment."""
    if message.get("text"):
        return str(message["text"])
    described = []
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict):
            url = str((attachment.get("payload") or {}).get("url") or "")
            described.append(f"[{attachment.get('type') or 'attachment'}] {url}".strip())
    return " ".join(described)


def messaging_message(stored: dict[str, Any]) -> InboundMessage:
    """A Messenger or Instagram message; echoes are the brand's own.

    An echo's author is the customer it went to, not the brand: when the brand wrote first,
    that starts the customer's conversation, and replies then go to the customer.
    """
    event = stored["event"]
    message = event["message"]
    sender = str((event.get("sender") or {}).get("id") or "")
    recipient = str((event.get("recipient") or {}).get("id") or "")
    if not sender or not recipient:
        raise PayloadError("messaging.sender", "needs sender.id and recipient.id")
    from_brand = bool(message.get("is_echo")) or sender == stored.get("account_id")
    customer = recipient if from_brand else sender
    quoted = (message.get("reply_to") or {}).get("mid")
    return InboundMessage(
        external_id=str(message["mid"]),
        author=Author(external_id=customer),
        text=message_text(message),
        created_at=epoch(event.get("timestamp"), "messaging.timestamp", millis=True),
        public=False,
        in_reply_to=str(quoted) if quoted else None,
        # The same key as the default DM threading, so echoes join the customer's thread.
        thread_id=f"dm:{customer}",
        from_brand=from_brand,
    )


def read_item(payload: str | bytes, platform: str) -> dict[str, Any]:
    """A stored item as a dict; raise PayloadError when it is not one of ours."""
    stored = json_object(payload.encode() if isinstance(payload, str) else payload)
    if stored.get("kind") not in {"feed", "comment", "messaging", "other"}:
        raise PayloadError("kind", f"is missing or unknown: not an item stored by {platform}")
    return stored


def parse(body: bytes) -> list[InboundMessage]:
    """Read one stored item. Other items make no message (see the module)."""
    stored = read_item(body, PLATFORM)
    if stored["kind"] == "feed":
        return [_feed_message(stored)]
    if stored["kind"] == "messaging":
        return [messaging_message(stored)]
    return []


# Talking to the Graph API ----------------------------------------------------------------------


def api_base(inbox: Inbox, graph: Graph) -> str:
    return str(inbox.setting("api_base") or graph.default_api_base).rstrip("/")


def required_setting(inbox: Inbox, graph: Graph, key: str, what: str) -> str:
    value = str(inbox.setting(key) or "")
    if not value:
        raise ChannelError(
            f"{graph.platform} inbox {inbox.name} has no {key}; set it with "
            f"`webcare inbox set {inbox.pk} {key}=<{what}>`.",
            permanent=True,
        )
    return value


def _window_refusal(response: httpx.Response, platform: str) -> ChannelError | None:
    """Code 10 alone is any permission problem; only with its subcode is it the window."""
    error = meta.graph_error(response)
    if str(error.get("code")) == str(OUTSIDE_WINDOW_CODE) and str(
        error.get("error_subcode")
    ) == str(OUTSIDE_WINDOW_SUBCODE):
        return ChannelError(window_refused(platform), permanent=True)
    return None


def request(
    inbox: Inbox, graph: Graph, method: str, path: str, what: str, **kwargs: Any
) -> dict[str, Any]:
    """One Graph call; a refusal or a network failure raises ChannelError."""
    token = required_setting(inbox, graph, "access_token", graph.credential)
    params = {**kwargs.pop("params", {}), "access_token": token}
    try:
        response = http.client().request(
            method,
            api_base(inbox, graph) + path,
            params=params,
            timeout=settings.WEBCARE_HTTP_TIMEOUT,
            **kwargs,
        )
    except httpx.HTTPError as exc:
        raise meta.unreachable(graph.platform, what, exc) from exc
    if response.status_code >= 300:
        raise _window_refusal(response, graph.platform) or meta.refusal(
            graph.platform, what, response
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # It was accepted (2xx), so it may be there: do not send it blindly again.
        raise ChannelError(
            f"{graph.platform} answered {what} with something that is not its JSON",
            permanent=True,
            maybe_sent=method != "GET",
        )
    return data


# Sending ---------------------------------------------------------------------------------------


def recipient(message: Message, platform: str) -> str:
    identity = message.conversation.contact.identities.filter(inbox=message.inbox).first()
    if identity is None:
        raise ChannelError(
            f"This conversation has no {platform} account to write to.", permanent=True
        )
    return identity.external_id


def public_target(message: Message, platform: str) -> str:
    """The comment (or visitor post) a public reply answers."""
    parent = message.in_reply_to
    if parent is None or not parent.external_id or not parent.public:
        raise ChannelError(
            f"A public reply on {platform} must answer a comment; this reply names none.",
            permanent=True,
        )
    return parent.external_id


def messaging_type(message: Message, platform: str, inside: dict[str, str]) -> dict[str, str]:
    """How the Send API must label this message, or refuse before calling.

    Inside 24 hours of the customer's last message: `inside` (RESPONSE on Messenger; nothing
    on Instagram, whose documented body has no type). Up to 7 days: the HUMAN_AGENT tag, which
    is only for a person's replies, never automated ones. After that the window is closed.
    """
    last = selectors.last_private_message_at(message.conversation_id)
    age = timezone.now() - last if last is not None else None
    if age is not None and age <= WINDOW:
        return inside
    if age is None or age > HUMAN_AGENT_WINDOW:
        raise ChannelError(window_closed(platform), permanent=True)
    if message.sender_user_id is None:
        raise ChannelError(
            f"The customer's last {platform} message is more than 24 hours old; only a reply "
            "written by a person may use the Human Agent tag, and this one was not.",
            permanent=True,
        )
    return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}


def send_private(
    inbox: Inbox, graph: Graph, path: str, message: Message, inside: dict[str, str]
) -> SendResult:
    """A text through the Send API; its `message_id` is the mid its echo will carry."""
    labels = messaging_type(message, graph.platform, inside)
    body = {
        "recipient": {"id": recipient(message, graph.platform)},
        **labels,
        "message": {"text": message.text},
    }
    data = request(inbox, graph, "POST", path, "the message", json=body)
    mid = data.get("message_id")
    return SendResult(external_id=str(mid) if mid else None)


def is_private_reply(message: Message) -> bool:
    """A private message answering a public comment (replies/private_replies.py)."""
    parent = message.in_reply_to
    return not message.public and parent is not None and parent.public


def send_private_reply(inbox: Inbox, graph: Graph, path: str, message: Message) -> SendResult:
    """The Send API with the comment as recipient: one message per comment, within 7 days.
    A visitor post (the thread's root) is addressed by `post_id` instead."""
    parent = message.in_reply_to
    if parent is None:
        raise ChannelError("A private reply must answer a comment.", permanent=True)
    is_post = parent.external_id == message.conversation.external_thread_id
    body = {
        "recipient": {"post_id" if is_post else "comment_id": parent.external_id},
        "message": {"text": message.text},
    }
    data = request(inbox, graph, "POST", path, "the private reply", json=body)
    mid = data.get("message_id")
    return SendResult(external_id=str(mid) if mid else None)


def created_id(data: dict[str, Any]) -> SendResult:
    """A new comment's id, the same one its webhook will carry."""
    return SendResult(external_id=str(data["id"]) if data.get("id") else None)


class FacebookSender:
    """Replies as the Page: under the comment in public, or in Messenger.

    Meta has no idempotency key, and finding our reply again would mean listing a comment's
    replies or a conversation's messages and matching text, which is not reliable (the same
    short answer is often given twice, and the lists lag behind). So `lookup` cannot tell,
    and after an interrupted send a person decides (DeliveryStatus.UNCERTAIN) rather than
    risk a second copy in public.
    """

    resend_is_safe = False

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        if message.public:
            target = public_target(message, PLATFORM)
            data = request(
                inbox,
                FACEBOOK,
                "POST",
                f"/{target}/comments",
                "the comment reply",
                data={"message": message.text},
            )
            return created_id(data)
        page_id = required_setting(inbox, FACEBOOK, "page_id", "the Page's numeric id")
        if is_private_reply(message):
            return send_private_reply(inbox, FACEBOOK, f"/{page_id}/messages", message)
        inside = {"messaging_type": "RESPONSE"}
        return send_private(inbox, FACEBOOK, f"/{page_id}/messages", message, inside)

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        return Lookup.cannot_tell()


def check_connection(inbox: Inbox) -> str:
    """Ask Graph for the Page's name: a wrong token or page id fails here, not on a reply."""
    page_id = required_setting(inbox, FACEBOOK, "page_id", "the Page's numeric id")
    data = request(
        inbox, FACEBOOK, "GET", f"/{page_id}", "the connection test", params={"fields": "name"}
    )
    name = str(data.get("name") or "")
    if not name:
        raise ChannelError(
            f"Facebook knows no Page {page_id}; check the inbox's page_id.", permanent=True
        )
    return f"Connected to Facebook page {name} (page {page_id})."


# Moderation ------------------------------------------------------------------------------------


def moderated(data: dict[str, Any], platform: str, what: str) -> None:
    """Graph answers moderation with `{"success": true}`; anything else is a refusal."""
    if data.get("success") is not True:
        raise ChannelError(f"{platform} did not confirm {what}: {data}", permanent=True)


class CommentModerator:
    """Hide (`POST /{comment-id}` with `is_hidden`) and delete (`DELETE /{comment-id}`)
    a comment on the Page (platforms.md §2.6). A hidden comment stays visible to its author."""

    def hide(self, inbox: Inbox, message: Message, *, hidden: bool) -> None:
        what = "hiding the comment" if hidden else "showing the comment again"
        data = request(
            inbox,
            FACEBOOK,
            "POST",
            f"/{message.external_id}",
            what,
            data={"is_hidden": "true" if hidden else "false"},
        )
        moderated(data, PLATFORM, what)

    def delete(self, inbox: Inbox, message: Message) -> None:
        data = request(inbox, FACEBOOK, "DELETE", f"/{message.external_id}", "deleting it")
        moderated(data, PLATFORM, "deleting the comment")
