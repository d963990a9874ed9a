"""How long a reply may be on each channel, counted the way the platform counts it.

X counts weighted characters (twitter-text config v3: URLs 23, CJK and emoji 2); the others
count characters or, for Instagram DMs, UTF-8 bytes (../shared/docs/platforms.md, section 0).
"""

from twitter_text import parse_tweet

from webcare.channels.adapters.base import TextLimit
from webcare.inboxes.models import InboxKind

_PUBLIC = {
    InboxKind.X: TextLimit(280, "weighted"),
    InboxKind.FACEBOOK: TextLimit(8000),
    InboxKind.INSTAGRAM: TextLimit(2200),
}
_PRIVATE = {
    InboxKind.X: TextLimit(10000),
    # Messenger: "less than 2000 characters" (platforms.md §0).
    InboxKind.FACEBOOK: TextLimit(1999),
    InboxKind.INSTAGRAM: TextLimit(1000, "bytes"),
    InboxKind.WHATSAPP: TextLimit(4096),
    InboxKind.WEBCHAT: TextLimit(5000),
}
_NO_LIMIT = TextLimit(None)


def text_limit(kind: str, public: bool) -> TextLimit:
    table = _PUBLIC if public else _PRIVATE
    return table.get(kind, _NO_LIMIT)  # type: ignore[call-overload]


def measure(kind: str, public: bool, text: str) -> int:
    """The length of `text` in the unit the channel's limit uses."""
    unit = text_limit(kind, public).unit
    if unit == "weighted":
        return int(parse_tweet(text).weightedLength)
    if unit == "bytes":
        return len(text.encode("utf-8"))
    return len(text)


def over_limit(kind: str, public: bool, text: str) -> int:
    """How far `text` is over the channel's limit (0 when it fits)."""
    maximum = text_limit(kind, public).maximum
    if maximum is None:
        return 0
    return max(0, measure(kind, public, text) - maximum)
