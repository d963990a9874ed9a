"""What every channel adapter speaks: parsed inbound messages in, send results out."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

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
class InboundMessage:
    """One message as a platform reported it, before threading.

    `from_brand` marks the brand's own posts (sent from the platform's app, or imported
    history); they enter the timeline as replies that were already delivered.
    `thread_id` is the platform's thread key when it has one (X conversation id, DM thread).
    """

    external_id: str
    author: Author
    text: str
    created_at: datetime
    public: bool
    in_reply_to: str | None = None
    thread_id: str | None = None
    from_brand: bool = False


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
    """A send failed. `permanent` means retrying the same request cannot succeed."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class TextLimit:
    """How long a reply may be on a channel, and in what unit the platform counts."""

    maximum: int | None
    unit: str = "characters"
    notes: list[str] = field(default_factory=list)


class Sender(Protocol):
    """Delivers one outbound reply to a platform."""

    def send(self, inbox: Inbox, message: Message) -> SendResult: ...
