"""The generic API channel: any system that can sign a JSON POST can feed an inbox.

Inbound: `POST /hooks/api/<inbox token>` with
`{"id", "author": {"id", "handle", "name"}, "text", "in_reply_to", "created_at", "public"}`
and `X-Webcare-Signature: sha256=<hex HMAC-SHA256 of the raw body with the inbox secret>`.
Optional extensions: `thread_id` (thread messages without a reply link), `from_brand` (the
brand's own earlier post), `author.followers`, `author.verified`.

Outbound: replies are POSTed as signed JSON to the inbox's `callback_url` setting, each with
its idempotency key in the `Idempotency-Key` header and the body. The contract (docs/api.md)
asks the receiver to treat a repeated key as the same reply, so an interrupted send is simply
sent again. 429 and 5xx are retried (after `Retry-After` when given), other 4xx fail at once.
"""

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from webcare.channels import http, ratelimits
from webcare.channels.adapters.base import (
    Author,
    ChannelError,
    InboundMessage,
    Lookup,
    PayloadError,
    SendResult,
)
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox

SIGNATURE_HEADER = "X-Webcare-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign(secret, body), header or "")


def _text_field(data: dict[str, Any], name: str, path: str, *, required: bool) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise PayloadError(path, "is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError(path, "must be a string")
    return str(value)


def _created_at(data: dict[str, Any]) -> datetime:
    value = data.get("created_at")
    if value is None:
        return timezone.now()
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise PayloadError("created_at", "must be an ISO 8601 date and time")
    if timezone.is_naive(parsed):
        raise PayloadError("created_at", "must include a time zone (e.g. Z or +01:00)")
    return parsed


def _bool_field(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise PayloadError(name, "must be true or false")
    return value


def _author(data: dict[str, Any]) -> Author:
    author = data.get("author")
    if author is None:
        raise PayloadError("author", "is required")
    if not isinstance(author, dict):
        raise PayloadError("author", "must be an object with id, handle and name")
    followers = author.get("followers")
    if followers is not None and (not isinstance(followers, int) or followers < 0):
        raise PayloadError("author.followers", "must be a whole number of 0 or more")
    verified = author.get("verified", False)
    if not isinstance(verified, bool):
        raise PayloadError("author.verified", "must be true or false")
    return Author(
        external_id=_text_field(author, "id", "author.id", required=True),
        handle=_text_field(author, "handle", "author.handle", required=False),
        name=_text_field(author, "name", "author.name", required=False),
        follower_count=followers,
        verified=verified,
    )


def parse(body: bytes) -> list[InboundMessage]:
    """Read one generic-API message; raise PayloadError naming the first bad field."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PayloadError("body", "must be a JSON object")
    external_id = _text_field(data, "id", "id", required=True)
    if not external_id:
        raise PayloadError("id", "must not be empty")
    text = data.get("text")
    if text is None:
        raise PayloadError("text", "is required")
    if not isinstance(text, str):
        raise PayloadError("text", "must be a string")
    return [
        InboundMessage(
            external_id=external_id,
            author=_author(data),
            text=text,
            created_at=_created_at(data),
            public=_bool_field(data, "public", True),
            in_reply_to=_text_field(data, "in_reply_to", "in_reply_to", required=False) or None,
            thread_id=_text_field(data, "thread_id", "thread_id", required=False) or None,
            from_brand=_bool_field(data, "from_brand", False),
        )
    ]


def reply_payload(message: Message) -> dict[str, Any]:
    """The JSON an integrator receives for one of our replies."""
    identity = message.conversation.contact.identities.filter(inbox=message.inbox).first()
    return {
        "id": f"webcare-{message.pk}",
        "idempotency_key": str(message.idempotency_key),
        "conversation_id": message.conversation.display_id,
        "in_reply_to": message.in_reply_to.external_id if message.in_reply_to else None,
        "recipient": {
            "id": identity.external_id if identity else None,
            "handle": identity.handle if identity else None,
        },
        "text": message.text,
        "public": message.public,
        "created_at": message.created_at.isoformat(),
    }


def _refusal(url: str, response: httpx.Response) -> ChannelError:
    """The error for a non-2xx answer: 429 and 5xx are worth retrying, other 4xx are not."""
    status = f"{response.status_code} {response.reason_phrase}".strip()
    if response.status_code == 429:
        return ChannelError(
            f"{url} is rate limiting us ({status})",
            permanent=False,
            retry_at=ratelimits.reset_at(response.headers),
            rate_limited=True,
        )
    if response.status_code >= 500:
        # The integrator may have stored the reply before failing; the key makes a resend safe.
        return ChannelError(
            f"{url} answered {status}",
            permanent=False,
            retry_at=ratelimits.reset_at(response.headers),
            maybe_sent=True,
        )
    return ChannelError(
        f"{url} refused the reply: {status} {response.text[:300]}".strip(), permanent=True
    )


def _unreachable(url: str, exc: httpx.HTTPError) -> ChannelError:
    """A network failure; once the request may have gone out, the reply may be posted."""
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    what = "did not answer in time" if isinstance(exc, httpx.TimeoutException) else "failed"
    return ChannelError(
        f"The connection to {url} {what} ({type(exc).__name__}: {exc})",
        permanent=False,
        maybe_sent=not not_sent,
    )


class CallbackSender:
    """POSTs replies to the integrator's callback URL, signed like its webhooks to us."""

    # The documented contract: a repeated Idempotency-Key is the same reply (docs/api.md).
    resend_is_safe = True

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        """Not needed (a resend is safe by contract), so not offered to integrators."""
        return Lookup.cannot_tell()

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        url = inbox.setting("callback_url")
        if not url:
            raise ChannelError(
                "This API inbox has no callback_url; set it with "
                f"`webcare inbox set {inbox.pk} callback_url=https://...`.",
                permanent=True,
            )
        body = json.dumps(reply_payload(message)).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(inbox.secret, body),
            IDEMPOTENCY_HEADER: str(message.idempotency_key),
        }
        try:
            response = http.client().post(
                str(url), content=body, headers=headers, timeout=settings.WEBCARE_HTTP_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise _unreachable(str(url), exc) from exc
        if response.status_code >= 300:
            raise _refusal(str(url), response)
        external_id = None
        if response.headers.get("content-type", "").startswith("application/json"):
            try:
                external_id = str(response.json().get("id") or "") or None
            except (ValueError, AttributeError):
                external_id = None
        return SendResult(external_id=external_id)
