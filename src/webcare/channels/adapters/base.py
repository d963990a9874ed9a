"""What every channel adapter speaks: parsed inbound messages in, send results out."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox


@dataclass(frozen=True)
class Author:
    """The platform account that wrote a message."""

    external_id: str
    handle: str = ""
    name: str = ""
    follower_count: int | None = None
    verified: bool = False


@dataclass(frozen=True)
class InboundAttachment:
    """A file that came with a message, with its bytes (stored by receive_message)."""

    filename: str
    mime_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class InboundMessage:
    """One message as a platform reported it, before threading.

    `from_brand` marks the brand's own posts (sent from the platform's app, or imported
    history); they enter the timeline as replies that were already delivered.
    `thread_id` is the platform's thread key when it has one (X conversation id, DM thread).
    `unprompted` marks a post found by listening that does not address the brand
    (conversations/listening.py): it stays out of Needs reply until an agent takes it up.

    E-mail adds: `references` (the References header, oldest first: any of them that we know
    threads the message), `reply_token` (the conversation named by our reply address,
    conversations/reply_tokens.py, verified before it is trusted), `automated` (why it is an
    auto-reply, bounce or list mail: settled, never answered), and `bounce_of` with
    `bounce_reason` (a delivery status notification about the reply with that Message-ID).
    `media`: files to fetch from the platform after the message is stored (WhatsApp).
    """

    external_id: str
    author: Author
    text: str
    created_at: datetime
    public: bool
    in_reply_to: str | None = None
    thread_id: str | None = None
    from_brand: bool = False
    unprompted: bool = False
    subject: str = ""
    html: str = ""
    references: tuple[str, ...] = ()
    reply_token: str = ""
    automated: str = ""
    bounce_of: str = ""
    bounce_reason: str = ""
    headers: dict[str, Any] | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    media: tuple["InboundMedia", ...] = ()


@dataclass(frozen=True)
class InboundMedia:
    """A file the platform names but does not carry (WhatsApp's media id): fetched later, in
    the background (channels/whatsapp_media.py), and then stored as an attachment."""

    media_id: str
    kind: str
    mime_type: str = ""
    filename: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class Item:
    """One platform object (post, comment, DM, status) a webhook delivery or a poll holds,
    stored as its own inbound event under the platform's id for it: a redelivery, or the same
    object found again by polling, is then recognised (RawInboundEvent's dedupe key)."""

    dedupe_key: str
    payload: str


def stored_item(key: str, **payload: Any) -> Item:
    return Item(key, json.dumps(payload, separators=(",", ":"), ensure_ascii=False))


def other_item(data: Any, **context: Any) -> Item:
    """Something that makes no message (a like, a read receipt, another page's entry): kept,
    never dropped, keyed by its content so a redelivery is stored once."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    key = f"other:{hashlib.sha256(canonical).hexdigest()}"
    return stored_item(key, kind="other", body=data, **context)


@dataclass(frozen=True)
class SendResult:
    """What the platform told us about a reply it accepted."""

    external_id: str | None = None
    delivered: bool = True


class PayloadError(ValueError):
    """The payload cannot be read; `field` names what is missing or wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ChannelError(Exception):
    """A send failed. `permanent` means retrying the same request cannot succeed.

    For a temporary failure, `retry_at` is the earliest moment the platform will take the
    request again (its rate-limit reset, Retry-After), and `maybe_sent` says the platform may
    have posted the reply before the failure (a timeout or a dropped connection after the
    request went out, a 5xx): resending blindly could post it twice. `rate_limited`: the
    platform refused because we send too much (429), not because of this reply.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_at: datetime | None = None,
        maybe_sent: bool = False,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_at = retry_at
        self.maybe_sent = maybe_sent
        self.rate_limited = rate_limited


@dataclass(frozen=True)
class TextLimit:
    """How long a reply may be on a channel, and in what unit the platform counts."""

    maximum: int | None
    unit: str = "characters"
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Lookup:
    """The platform's answer to "do you already have this reply?" after an interrupted send.

    `known` False: the platform cannot tell (no lookup, or the answer is not trustworthy).
    Known and `found` None: the reply is not there, so sending it is safe.
    """

    known: bool
    found: SendResult | None = None

    @classmethod
    def cannot_tell(cls) -> "Lookup":
        return cls(known=False)

    @classmethod
    def absent(cls) -> "Lookup":
        return cls(known=True)

    @classmethod
    def present(cls, result: SendResult) -> "Lookup":
        return cls(known=True, found=result)


class Sender(Protocol):
    """Delivers one outbound reply to a platform.

    Every send carries `message.idempotency_key`. `resend_is_safe` declares that the platform
    treats a repeated key as the same reply (our generic API contract does), so an interrupted
    send may simply be repeated. Otherwise `lookup` asks the platform whether the reply is
    already there (by key, or by text where that is all it offers); a sender that cannot ask
    returns `Lookup.cannot_tell()`, and a person decides (DeliveryStatus.UNCERTAIN).
    `lookup` raises ChannelError like `send` when the platform cannot be reached.
    """

    resend_is_safe: bool

    def send(self, inbox: Inbox, message: Message) -> SendResult: ...

    def lookup(self, inbox: Inbox, message: Message) -> Lookup: ...
