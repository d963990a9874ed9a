"""Which code reads and which code sends for each source and inbox kind.

The only place that maps kinds to adapters: everything else asks here, so adding a platform
is adding an adapter module and a line below (docs/adding-a-channel.md).
"""

from collections.abc import Callable
from typing import Protocol

from webcare.channels.adapters import (
    api,
    email,
    facebook,
    form,
    instagram,
    sandbox,
    twcs,
    webchat,
    whatsapp,
    x,
)
from webcare.channels.adapters.base import ChannelError, InboundMessage, Sender
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox, InboxKind

Parser = Callable[[bytes], list[InboundMessage]]

# Raw event source -> parser of its stored payload.
PARSERS: dict[str, Parser] = {
    "api": api.parse,
    "demo": api.parse,
    twcs.SOURCE: twcs.parse,
    x.SOURCE: x.parse,
    whatsapp.SOURCE: whatsapp.parse,
    facebook.SOURCE: facebook.parse,
    instagram.SOURCE: instagram.parse,
    email.SOURCE: email.parse,
    form.SOURCE: form.parse,
    webchat.SOURCE: webchat.parse,
}

# Inbox kind -> sender for inboxes connected to the real platform.
SENDERS: dict[str, Sender] = {
    InboxKind.API: api.CallbackSender(),
    InboxKind.X: x.XSender(),
    InboxKind.WHATSAPP: whatsapp.WhatsAppSender(),
    InboxKind.FACEBOOK: facebook.FacebookSender(),
    InboxKind.INSTAGRAM: instagram.InstagramSender(),
    InboxKind.EMAIL: email.EmailSender(),
    InboxKind.WEBCHAT: webchat.WebchatSender(),
}

SANDBOX = sandbox.SandboxSender()


def register_parser(source: str, parser: Parser) -> None:
    PARSERS[source] = parser


def parser_for(source: str) -> Parser:
    try:
        return PARSERS[source]
    except KeyError:
        raise ChannelError(f"No parser for events from {source!r}", permanent=True) from None


def is_sandboxed(inbox: Inbox) -> bool:
    return bool(inbox.setting("sandbox", False))


def sender_for(inbox: Inbox) -> Sender:
    if is_sandboxed(inbox):
        return SANDBOX
    try:
        return SENDERS[inbox.kind]
    except KeyError:
        raise ChannelError(
            f"{inbox.get_kind_display()} inboxes cannot post to the platform yet; "
            "this inbox is not a sandbox, so the reply was not sent.",
            permanent=True,
        ) from None


# Inbox kind -> a call that proves the credentials work; returns what it found.
CONNECTION_CHECKS: dict[str, Callable[[Inbox], str]] = {
    InboxKind.X: x.check_connection,
    InboxKind.FACEBOOK: facebook.check_connection,
    InboxKind.INSTAGRAM: instagram.check_connection,
    InboxKind.EMAIL: email.check_connection,
}


def check_connection(inbox: Inbox) -> str:
    """Try the inbox's credentials against its platform; raises ChannelError when they fail."""
    if is_sandboxed(inbox):
        return "This inbox is a sandbox: replies are recorded here and not posted anywhere."
    check = CONNECTION_CHECKS.get(inbox.kind)
    if check is None:
        return f"There is no connection test for {inbox.get_kind_display()} inboxes yet."
    return check(inbox)


class Moderator(Protocol):
    """Hides and deletes a customer's public comment on its platform."""

    def hide(self, inbox: Inbox, message: Message, *, hidden: bool) -> None: ...

    def delete(self, inbox: Inbox, message: Message) -> None: ...


# Inbox kind -> moderation of public comments (conversations/moderation.py).
MODERATORS: dict[str, Moderator] = {
    InboxKind.FACEBOOK: facebook.CommentModerator(),
    InboxKind.INSTAGRAM: instagram.CommentModerator(),
}


def moderator_for(inbox: Inbox) -> Moderator | None:
    """None where comments cannot be moderated (other kinds, and sandboxes)."""
    if is_sandboxed(inbox):
        return None
    return MODERATORS.get(inbox.kind)
