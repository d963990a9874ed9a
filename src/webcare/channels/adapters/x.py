"""X (Twitter) API v2: mentions and DMs in, replies and DMs out (../shared/docs/platforms.md §1).

Inbound comes two ways, and both end in the same stored items, so a post that arrives by
webhook and again by polling is one message:

- the webhook (`/hooks/x/<token>`): the CRC challenge is answered with the consumer secret,
  every POST is verified over its raw bytes (`x-twitter-webhooks-signature`), and a body is
  split into one stored item per post or DM event (Account Activity `tweet_create_events` and
  `direct_message_events` in v1.1 format, X Activity `post.*` and `dm.*` envelopes);
- polling the mentions timeline (channels/x_polling.py), whose posts are v2 objects.

An item is stored as `{"kind", "brand_user_id", <the platform's object verbatim>, "users"}`,
keyed `post:<id>` or `dm:<event id>`: the platform's own ids, so a redelivery is recognised.
Anything else X sends (likes, follows, typing, read receipts) is stored as one `other` item that
yields no message: kept, never dropped, and visible to an admin.

Outbound: a public reply is `POST /2/tweets` with `reply.in_reply_to_tweet_id`; a private one is
`POST /2/dm_conversations/with/{participant_id}/messages`. X does not dedupe by key, so after an
interrupted send the brand's recent posts (or the DM conversation) are searched for the reply's
text before anything is sent again.
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings
from django.utils.dateparse import parse_datetime

from webcare.channels import http, ratelimits
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
from webcare.channels.adapters.twcs import parse_created_at
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox

SOURCE = "x"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
DEFAULT_API_BASE = "https://api.x.com"
# The guides say `tweet.fields`; the 2026 OpenAPI says `post.fields`. Configurable per inbox.
DEFAULT_FIELDS_PARAM = "tweet.fields"
FIELDS_PARAMS = ("tweet.fields", "post.fields")
# By default X returns only id and text; threading needs these.
POST_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets"
USER_FIELDS = "username,name,verified,public_metrics"
DM_PREFIX = "dm:"


# Signatures ------------------------------------------------------------------------------------


def _hmac_base64(secret: str, data: bytes) -> str:
    digest = hmac.new(secret.encode(), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    """The answer to X's challenge: HMAC-SHA256 of the token with the consumer secret."""
    return {"response_token": _hmac_base64(consumer_secret, crc_token.encode())}


def sign(consumer_secret: str, body: bytes) -> str:
    return _hmac_base64(consumer_secret, body)


def signature_valid(consumer_secret: str, body: bytes, header: str | None) -> bool:
    return bool(consumer_secret and header) and hmac.compare_digest(
        sign(consumer_secret, body), header or ""
    )


# Splitting what X sends into stored items ------------------------------------------------------


def post_items(
    posts: list[dict[str, Any]],
    users: list[dict[str, Any]],
    brand_user_id: str,
    *,
    listening: bool = False,
    brand_handle: str = "",
) -> list[Item]:
    """v2 posts (polled, or an X Activity payload) with the users they expand to.

    `listening`: the posts come from the brand's listening query; one that does not
    @-mention `brand_handle` is then unprompted (conversations/listening.py).
    """
    extra = {"listening": True, "brand_handle": brand_handle} if listening else {}
    by_id = {str(user.get("id")): user for user in users if isinstance(user, dict)}
    items = []
    for post in posts:
        if not isinstance(post, dict) or not post.get("id"):
            raise PayloadError("data.id", "every post needs an id")
        author = by_id.get(str(post.get("author_id")))
        items.append(
            stored_item(
                f"post:{post['id']}",
                kind="post_v2",
                brand_user_id=brand_user_id,
                post=post,
                users=[author] if author else [],
                **extra,
            )
        )
    return items


def split_webhook(body: bytes, brand_user_id: str) -> list[Item]:
    """The items in one webhook delivery; raise PayloadError when it is not X's JSON."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PayloadError("body", "must be a JSON object")
    items: list[Item] = []
    for tweet in data.get("tweet_create_events") or []:
        if not isinstance(tweet, dict) or not tweet.get("id_str"):
            raise PayloadError("tweet_create_events.id_str", "every tweet needs its id_str")
        items.append(
            stored_item(
                f"post:{tweet['id_str']}",
                kind="tweet_v1",
                brand_user_id=brand_user_id,
                tweet=tweet,
            )
        )
    items.extend(_dm_items(data.get("direct_message_events"), data.get("users"), brand_user_id))
    envelope = data.get("data")
    if isinstance(envelope, dict) and "event_type" in envelope:
        items.extend(_activity_items(envelope, brand_user_id))
    if not items:
        items.append(other_item(data, brand_user_id=brand_user_id))
    return items


def _dm_items(events: Any, users: Any, brand_user_id: str) -> list[Item]:
    items = []
    for event in events or []:
        if not isinstance(event, dict) or not event.get("id"):
            raise PayloadError("direct_message_events.id", "every DM event needs its id")
        if event.get("type") != "message_create":
            continue
        items.append(
            stored_item(
                f"dm:{event['id']}",
                kind="dm_v1",
                brand_user_id=brand_user_id,
                event=event,
                users=users if isinstance(users, dict) else {},
            )
        )
    return items


def _activity_items(envelope: dict[str, Any], brand_user_id: str) -> list[Item]:
    """An X Activity API event: `post.*` carries a v2 post, `dm.*` the v1.1 DM events."""
    event_type = str(envelope.get("event_type"))
    payload = envelope.get("payload")
    includes = envelope.get("includes") if isinstance(envelope.get("includes"), dict) else {}
    if event_type.startswith("post.") and event_type.endswith(".create"):
        if not isinstance(payload, dict):
            raise PayloadError("data.payload", "must be the post")
        return post_items([payload], includes.get("users") or [], brand_user_id)
    if event_type in {"dm.received", "dm.sent"} and isinstance(payload, dict):
        return _dm_items(payload.get("direct_message_events"), payload.get("users"), brand_user_id)
    return []


# Reading stored items --------------------------------------------------------------------------


def _v2_time(value: Any, field: str) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise PayloadError(field, "must be an ISO 8601 time (ask X for created_at)")
    return moment


def _replied_to(post: dict[str, Any]) -> str | None:
    for ref in post.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return str(ref["id"])
    return None


def _v2_post(item: dict[str, Any]) -> InboundMessage:
    post = item["post"]
    if not post.get("author_id"):
        raise PayloadError("post.author_id", "is missing (ask X for author_id)")
    author_id = str(post["author_id"])
    user = next(iter(item.get("users") or []), {}) or {}
    metrics = user.get("public_metrics") or {}
    return InboundMessage(
        external_id=str(post["id"]),
        author=Author(
            external_id=author_id,
            handle=str(user.get("username") or ""),
            name=str(user.get("name") or ""),
            follower_count=metrics.get("followers_count"),
            verified=bool(user.get("verified", False)),
        ),
        text=str(post.get("text") or ""),
        created_at=_v2_time(post.get("created_at"), "post.created_at"),
        public=True,
        in_reply_to=_replied_to(post),
        thread_id=str(post["conversation_id"]) if post.get("conversation_id") else None,
        from_brand=author_id == item.get("brand_user_id"),
        unprompted=_unprompted(item, str(post.get("text") or "")),
    )


def _unprompted(item: dict[str, Any], text: str) -> bool:
    """Found by listening and not addressed to the brand (no @handle in it)."""
    if not item.get("listening"):
        return False
    handle = str(item.get("brand_handle") or "").lstrip("@").lower()
    return not handle or f"@{handle}" not in text.lower()


def _v1_tweet(item: dict[str, Any]) -> InboundMessage:
    """Account Activity tweets are v1.1 objects: `id_str` (the numeric id loses precision),
    and a long post's text in `extended_tweet.full_text`."""
    tweet = item["tweet"]
    user = tweet.get("user") or {}
    author_id = str(user.get("id_str") or "")
    if not author_id:
        raise PayloadError("tweet.user.id_str", "is required")
    extended = tweet.get("extended_tweet") or {}
    text = extended.get("full_text") or tweet.get("text") or ""
    return InboundMessage(
        external_id=str(tweet["id_str"]),
        author=Author(
            external_id=author_id,
            handle=str(user.get("screen_name") or ""),
            name=str(user.get("name") or ""),
            follower_count=user.get("followers_count"),
            verified=bool(user.get("verified", False)),
        ),
        text=str(text),
        created_at=parse_created_at(tweet.get("created_at")),
        public=True,
        in_reply_to=tweet.get("in_reply_to_status_id_str") or None,
        from_brand=author_id == item.get("brand_user_id"),
    )


def _v1_dm(item: dict[str, Any]) -> InboundMessage:
    """A DM event; the brand's own DMs come back too and are recorded as its replies."""
    event = item["event"]
    create = event.get("message_create") or {}
    sender = str(create.get("sender_id") or "")
    recipient = str((create.get("target") or {}).get("recipient_id") or "")
    if not sender or not recipient:
        raise PayloadError("message_create", "needs sender_id and target.recipient_id")
    from_brand = sender == item.get("brand_user_id")
    customer = recipient if from_brand else sender
    user = (item.get("users") or {}).get(customer) or {}
    try:
        millis = int(event.get("created_timestamp"))
    except (TypeError, ValueError):
        raise PayloadError("created_timestamp", "must be epoch milliseconds") from None
    return InboundMessage(
        external_id=DM_PREFIX + str(event["id"]),
        author=Author(
            external_id=sender,
            handle=str(user.get("screen_name") or "") if not from_brand else "",
            name=str(user.get("name") or "") if not from_brand else "",
        ),
        text=str((create.get("message_data") or {}).get("text") or ""),
        created_at=datetime.fromtimestamp(millis / 1000, tz=UTC),
        public=False,
        thread_id=f"dm:{customer}",
        from_brand=from_brand,
    )


_READERS = {"post_v2": _v2_post, "tweet_v1": _v1_tweet, "dm_v1": _v1_dm}


def parse(body: bytes) -> list[InboundMessage]:
    """Read one stored item; raise PayloadError naming what is wrong."""
    try:
        item = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(item, dict) or "kind" not in item:
        raise PayloadError("kind", "is missing: not an item stored by the X connector")
    if item["kind"] == "other":
        return []
    reader = _READERS.get(item["kind"])
    if reader is None:
        raise PayloadError("kind", f"unknown X item kind {item['kind']!r}")
    return [reader(item)]


# Talking to the API ----------------------------------------------------------------------------


def api_base(inbox: Inbox) -> str:
    return str(inbox.setting("api_base") or DEFAULT_API_BASE).rstrip("/")


def fields_param(inbox: Inbox) -> str:
    value = str(inbox.setting("fields_param") or DEFAULT_FIELDS_PARAM)
    return value if value in FIELDS_PARAMS else DEFAULT_FIELDS_PARAM


def brand_user_id(inbox: Inbox) -> str:
    user_id = str(inbox.setting("user_id") or "")
    if not user_id:
        raise ChannelError(
            f"X inbox {inbox.name} has no user_id; set it with "
            f"`webcare inbox set {inbox.pk} user_id=<the brand's numeric X id>`.",
            permanent=True,
        )
    return user_id


def _headers(inbox: Inbox) -> dict[str, str]:
    token = inbox.setting("bearer_token")
    if not token:
        raise ChannelError(
            f"X inbox {inbox.name} has no bearer_token; set it with "
            f"`webcare inbox set {inbox.pk} bearer_token=...`.",
            permanent=True,
        )
    return {"Authorization": f"Bearer {token}"}


def _problem(response: httpx.Response) -> str:
    """X's words for a refusal: problem JSON (`title`, `detail`) or the older `errors[]`."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(data, dict):
        if data.get("detail") or data.get("title"):
            return str(data.get("detail") or data.get("title"))
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message") or errors[0])
    return response.text[:300]


def refusal(what: str, response: httpx.Response) -> ChannelError:
    """The error for a non-2xx answer, keyed on status and headers as X advises."""
    status = response.status_code
    if status == 429:
        return ChannelError(
            f"X is rate limiting {what} (429); waiting for its reset",
            permanent=False,
            retry_at=ratelimits.reset_at(response.headers),
            rate_limited=True,
        )
    if status >= 500:
        return ChannelError(
            f"X answered {status} to {what}",
            permanent=False,
            retry_at=ratelimits.reset_at(response.headers),
            maybe_sent=True,
        )
    return ChannelError(f"X refused {what} ({status}): {_problem(response)}", permanent=True)


def unreachable(what: str, exc: httpx.HTTPError) -> ChannelError:
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return ChannelError(
        f"Could not reach X for {what} ({type(exc).__name__}: {exc})",
        permanent=False,
        maybe_sent=not not_sent,
    )


def request(inbox: Inbox, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
    """One call to the X API; a refusal or a network failure raises ChannelError."""
    url = api_base(inbox) + path
    try:
        response = http.client().request(
            method, url, headers=_headers(inbox), timeout=settings.WEBCARE_HTTP_TIMEOUT, **kwargs
        )
    except httpx.HTTPError as exc:
        raise unreachable(what, exc) from exc
    if response.status_code >= 300:
        raise refusal(what, response)
    try:
        data = response.json()
    except ValueError:
        raise ChannelError(
            f"X answered {what} with something that is not JSON", permanent=False
        ) from None
    if not isinstance(data, dict):
        raise ChannelError(f"X answered {what} with unexpected JSON", permanent=False)
    return data


# Sending ---------------------------------------------------------------------------------------


def _recipient(message: Message) -> str:
    identity = message.conversation.contact.identities.filter(inbox=message.inbox).first()
    if identity is None:
        raise ChannelError("This conversation has no X account to write to.", permanent=True)
    return identity.external_id


def _public_target(message: Message) -> str:
    parent = message.in_reply_to
    if parent is None or not parent.external_id or parent.external_id.startswith(DM_PREFIX):
        raise ChannelError(
            "A public reply on X must answer a post; this reply names none.", permanent=True
        )
    return parent.external_id


class XSender:
    """Posts replies and DMs as the brand; X has no idempotency key, so see `lookup`."""

    resend_is_safe = False

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        if message.public:
            body = {
                "text": message.text,
                "reply": {"in_reply_to_tweet_id": _public_target(message)},
            }
            data = request(inbox, "POST", "/2/tweets", "the reply", json=body)
            post_id = (data.get("data") or {}).get("id")
            return SendResult(external_id=str(post_id) if post_id else None)
        path = f"/2/dm_conversations/with/{_recipient(message)}/messages"
        data = request(inbox, "POST", path, "the direct message", json={"text": message.text})
        event_id = (data.get("data") or {}).get("dm_event_id")
        return SendResult(external_id=DM_PREFIX + str(event_id) if event_id else None)

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        """Is the reply already on X? Searched by its text among the brand's recent posts
        (answering the same post) or the DM conversation's recent events."""
        if message.public:
            params = {"max_results": 100, fields_param(inbox): "referenced_tweets,created_at"}
            data = request(
                inbox, "GET", f"/2/users/{brand_user_id(inbox)}/tweets", "the lookup", params=params
            )
            target = _public_target(message)
            for post in data.get("data") or []:
                if post.get("text") == message.text and _replied_to(post) == target:
                    return Lookup.present(SendResult(external_id=str(post["id"])))
            return Lookup.absent()
        path = f"/2/dm_conversations/with/{_recipient(message)}/dm_events"
        params = {"max_results": 100, "dm_event.fields": "sender_id,created_at"}
        data = request(inbox, "GET", path, "the lookup", params=params)
        for event in data.get("data") or []:
            if event.get("sender_id") == brand_user_id(inbox) and event.get("text") == message.text:
                return Lookup.present(SendResult(external_id=DM_PREFIX + str(event["id"])))
        return Lookup.absent()


def check_connection(inbox: Inbox) -> str:
    """Ask X who the token belongs to; a wrong token or user id fails here, not on a reply."""
    user_id = brand_user_id(inbox)
    data = request(
        inbox,
        "GET",
        f"/2/users/{user_id}",
        "the connection test",
        params={"user.fields": "username"},
    )
    username = str((data.get("data") or {}).get("username") or "")
    if not username:
        raise ChannelError(f"X knows no user {user_id}; check the inbox's user_id.", permanent=True)
    return f"Connected to X as @{username} (user {user_id})."
