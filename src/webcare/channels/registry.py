"""Which code reads and which code sends for each source and inbox kind.

The only place that maps kinds to adapters: everything else asks here, so adding a platform
is adding an adapter module and a line below (docs/adding-a-channel.md).
"""

from collections.abc import Callable

from webcare.channels.adapters import api, sandbox, twcs
from webcare.channels.adapters.base import ChannelError, InboundMessage, Sender
from webcare.inboxes.models import Inbox, InboxKind

Parser = Callable[[bytes], list[InboundMessage]]

# Raw event source -> parser of its stored payload.
PARSERS: dict[str, Parser] = {
    "api": api.parse,
    "demo": api.parse,
    twcs.SOURCE: twcs.parse,
}

# Inbox kind -> sender for inboxes connected to the real platform.
SENDERS: dict[str, Sender] = {
    InboxKind.API: api.CallbackSender(),
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
