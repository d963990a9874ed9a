"""Instagram (professional account): comments and DMs in, comment replies and DMs out
(../shared/docs/platforms.md §2.5, §2.6).

Inbound is one webhook (`/hooks/instagram/<token>`, channels/meta_webhooks.py), verified as
every Meta webhook is (adapters/meta.py). A delivery (object `instagram`) is split into one
stored item per platform object, keyed by Meta's own ids:

- `comment:<id>`: a change with field `comments` (or `live_comments`). Meta's example prints
  `field`/`value` directly under the entry, its reference and deployed parsers use
  `entry[].changes[]`: both are read;
- `mid:<mid>`: a `messaging[]` event carrying a DM, the same shape as Messenger (the code is
  shared, adapters/facebook.py). Echoes (`is_echo`) are the account's own messages, recorded
  as the brand's replies;
- `other:<sha256>`: everything else, kept and never dropped: entries for another account,
  other fields (mentions, story insights), reactions, reads, unsends.

Threading: a post's (media's) comments form one public conversation (`thread_id` is the media
id), a reply hangs under its parent comment. DMs are one private conversation per customer.

Not handled yet, stored but making no message: mentions, story replies beyond their text,
attachments beyond an "[image] url" line, comment edits and deletions (Instagram sends none).

Host: `graph.instagram.com`, the Instagram API with Instagram Login. platforms.md names both
flavours; this one fits what an inbox holds (`ig_user_id`, an Instagram user token) and the
documented DM endpoint `POST /{IG_ID}/messages`, and needs no linked Facebook Page. With
Facebook Login the host is graph.facebook.com and DMs go to `/{PAGE-ID}/messages` with the
Page token instead, which this connector does not do.

Outbound: a comment reply is `POST /{ig-comment-id}/replies?message=...`; a DM is
`POST /{ig-user-id}/messages` with `{"recipient": {"id"}, "message": {"text"}}` within 24 hours
of the customer's last message, with the HUMAN_AGENT tag up to 7 days, refused before calling
after that. A DM is at most 1000 UTF-8 bytes (channels/limits.py refuses longer ones).
"""

from datetime import datetime
from typing import Any

from django.utils import timezone

from webcare.channels.adapters import facebook
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
from webcare.channels.adapters.facebook import Graph
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox, InboxKind

SOURCE = "instagram"
OBJECT = "instagram"
COMMENT_FIELDS = frozenset({"comments", "live_comments"})

INSTAGRAM = Graph(
    platform="Instagram",
    inbox_kind=InboxKind.INSTAGRAM,
    source=SOURCE,
    default_api_base="https://graph.instagram.com/v23.0",
    credential=(
        "an Instagram user token with instagram_business_manage_comments and "
        "instagram_business_manage_messages"
    ),
    inbox_id_setting="ig_user_id",
)
PLATFORM = INSTAGRAM.platform


# Splitting a webhook delivery into stored items ------------------------------------------------


def split_webhook(body: bytes, ig_user_id: str) -> list[Item]:
    """The items in one delivery; raise PayloadError when it is not JSON or lacks an id."""
    data = facebook.json_object(body)
    entries = facebook.entries_for(data, OBJECT)
    if entries is None:
        return [other_item(data)]
    items: list[Item] = []
    for entry in entries:
        items.extend(_entry_items(entry, ig_user_id))
    return items or [other_item(data)]


def _changes(entry: dict[str, Any]) -> list[Any]:
    """`entry.changes[]`, or the change Meta's example prints directly under the entry."""
    changes = entry.get("changes")
    if isinstance(changes, list):
        return changes
    return [entry] if "field" in entry and "value" in entry else []


def _entry_items(entry: Any, ig_user_id: str) -> list[Item]:
    if not facebook.owned_entry(entry, ig_user_id):
        return [other_item(entry)]
    events = entry.get("messaging")
    items = [_comment_item(change, ig_user_id, entry.get("time")) for change in _changes(entry)]
    items += [facebook.messaging_item(e, ig_user_id) for e in events or []]
    return items or [other_item(entry)]


def _comment_item(change: Any, ig_user_id: str, time: Any) -> Item:
    value = change.get("value") if isinstance(change, dict) else None
    if not isinstance(value, dict) or change.get("field") not in COMMENT_FIELDS:
        return other_item(change)
    if not value.get("id"):
        raise PayloadError("value.id", "every comment needs its id")
    return stored_item(
        f"comment:{value['id']}", kind="comment", account_id=ig_user_id, time=time, value=value
    )


# Reading stored items --------------------------------------------------------------------------


def _comment_message(stored: dict[str, Any]) -> InboundMessage:
    value = stored["value"]
    sender = value.get("from") or {}
    author_id = str(sender.get("id") or "")
    if not author_id:
        raise PayloadError("value.from.id", "is missing (who wrote it)")
    media_id = str((value.get("media") or {}).get("id") or "")
    return InboundMessage(
        external_id=str(value["id"]),
        author=Author(external_id=author_id, handle=str(sender.get("username") or "")),
        text=str(value.get("text") or ""),
        created_at=_created_at(stored.get("time")),
        public=True,
        in_reply_to=str(value["parent_id"]) if value.get("parent_id") else None,
        thread_id=f"media:{media_id}" if media_id else None,
        from_brand=author_id == stored.get("account_id"),
    )


def _created_at(time: Any) -> datetime:
    """A comment carries no time of its own; its entry's `time` is stored with it (seconds
    in Meta's example, milliseconds on messaging entries: both are read)."""
    if time is None:
        return timezone.now()
    millis = isinstance(time, int | float) and time > 10**11
    return facebook.epoch(time, "entry.time", millis=millis)


def parse(body: bytes) -> list[InboundMessage]:
    """Read one stored item. Other items make no message (see the module)."""
    stored = facebook.read_item(body, PLATFORM)
    if stored["kind"] == "comment":
        return [_comment_message(stored)]
    if stored["kind"] == "messaging":
        return [facebook.messaging_message(stored)]
    return []


# Sending ---------------------------------------------------------------------------------------


class InstagramSender:
    """Replies as the Instagram account: under the comment in public, or in a DM.

    As on Facebook, Meta has no idempotency key and no reliable way to find our reply again,
    so `lookup` cannot tell and an interrupted send goes to a person (DeliveryStatus.UNCERTAIN).
    """

    resend_is_safe = False

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        if message.public:
            target = facebook.public_target(message, PLATFORM)
            data = facebook.request(
                inbox,
                INSTAGRAM,
                "POST",
                f"/{target}/replies",
                "the comment reply",
                params={"message": message.text},
            )
            return facebook.created_id(data)
        ig_user_id = _ig_user_id(inbox)
        if facebook.is_private_reply(message):
            return facebook.send_private_reply(inbox, INSTAGRAM, f"/{ig_user_id}/messages", message)
        # The documented body has no messaging_type inside the window.
        return facebook.send_private(inbox, INSTAGRAM, f"/{ig_user_id}/messages", message, {})

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        return Lookup.cannot_tell()


def _ig_user_id(inbox: Inbox) -> str:
    return facebook.required_setting(
        inbox, INSTAGRAM, "ig_user_id", "the Instagram professional account's id"
    )


def check_connection(inbox: Inbox) -> str:
    """Ask Graph for the account's username: a wrong token or id fails here, not on a reply."""
    ig_user_id = _ig_user_id(inbox)
    data = facebook.request(
        inbox,
        INSTAGRAM,
        "GET",
        f"/{ig_user_id}",
        "the connection test",
        params={"fields": "username"},
    )
    username = str(data.get("username") or "")
    if not username:
        raise ChannelError(
            f"Instagram knows no account {ig_user_id}; check the inbox's ig_user_id.",
            permanent=True,
        )
    return f"Connected to Instagram as @{username} (account {ig_user_id})."


class CommentModerator:
    """Hide (`POST /{ig-comment-id}?hide=true`: the parameter is `hide`, not `is_hidden`) and
    delete (`DELETE /{ig-comment-id}`) a comment on the account's media (platforms.md §2.6)."""

    def hide(self, inbox: Inbox, message: Message, *, hidden: bool) -> None:
        what = "hiding the comment" if hidden else "showing the comment again"
        data = facebook.request(
            inbox,
            INSTAGRAM,
            "POST",
            f"/{message.external_id}",
            what,
            params={"hide": "true" if hidden else "false"},
        )
        facebook.moderated(data, PLATFORM, what)

    def delete(self, inbox: Inbox, message: Message) -> None:
        data = facebook.request(
            inbox, INSTAGRAM, "DELETE", f"/{message.external_id}", "deleting it"
        )
        facebook.moderated(data, PLATFORM, "deleting the comment")
