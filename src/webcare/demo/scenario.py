"""The demo's script, read from scenario.json into typed, checked objects.

The story is data so that it can be rewritten without touching the replay. Loading refuses a
file that would replay wrongly (a reply to a message that comes later, a customer message
without an author, two threads with one key) and names the bad spot, because a broken demo in
front of an audience is worse than a loud failure at startup.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

INBOX_KINDS = ("x", "facebook", "whatsapp")
LANGUAGES = ("nl", "en")
SENDERS = ("customer", "brand")


class ScenarioError(ValueError):
    """The scenario file is not one the replay can play; the message says where and why."""


@dataclass(frozen=True)
class Brand:
    name: str
    x_handle: str
    x_user_id: str
    facebook_page_id: str
    whatsapp_number: str


@dataclass(frozen=True)
class Author:
    id: str
    handle: str
    name: str
    followers: int
    verified: bool


@dataclass(frozen=True)
class ScenarioMessage:
    """One post or DM. `at` counts seconds from the thread's start; `author` is None for
    the brand, whose identity depends on the inbox it posts in."""

    at: int
    from_brand: bool
    author: Author | None
    text: str
    reply_to: int | None


@dataclass(frozen=True)
class Thread:
    """One conversation as it unfolds: `start` counts seconds from the scenario's start."""

    key: str
    inbox: str
    public: bool
    language: str
    topic: str
    start: int
    messages: tuple[ScenarioMessage, ...]

    @property
    def has_brand_reply(self) -> bool:
        """Threads the brand already answered are history: they happened earlier today."""
        return any(message.from_brand for message in self.messages)


@dataclass(frozen=True)
class Scenario:
    brand: Brand
    threads: tuple[Thread, ...]

    def messages(self) -> Iterator[tuple[Thread, int, ScenarioMessage]]:
        for thread in self.threads:
            for index, message in enumerate(thread.messages):
                yield thread, index, message

    def customer_message_count(self) -> int:
        return sum(1 for _, _, message in self.messages() if not message.from_brand)


def _get(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ScenarioError(f"{where}: {key!r} is missing")
    value = data[key]
    # bool is an int to Python, but never a count or an offset in this file.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ScenarioError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _choice(data: dict[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value: str = _get(data, key, str, where)
    if value not in allowed:
        raise ScenarioError(f"{where}: {key}={value!r}; use one of {', '.join(allowed)}")
    return value


def _author(data: Any, where: str) -> Author:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: a customer message needs an author object")
    followers = _get(data, "followers", int, where)
    if followers < 0:
        raise ScenarioError(f"{where}: followers must not be negative")
    return Author(
        id=_get(data, "id", str, where),
        handle=_get(data, "handle", str, where),
        name=_get(data, "name", str, where),
        followers=followers,
        verified=_get(data, "verified", bool, where),
    )


def _message(data: Any, index: int, earlier: list[ScenarioMessage], where: str) -> ScenarioMessage:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: must be an object")
    at = _get(data, "at", int, where)
    from_brand = _choice(data, "from", SENDERS, where) == "brand"
    reply_to = data.get("reply_to")
    if reply_to is not None:
        # Replay order is time order, so a parent must exist, and be due, before its reply.
        if isinstance(reply_to, bool) or not isinstance(reply_to, int):
            raise ScenarioError(f"{where}: reply_to must be a message index or null")
        if not 0 <= reply_to < index:
            raise ScenarioError(
                f"{where}: reply_to={reply_to} does not point to an earlier message"
            )
        if earlier[reply_to].at > at:
            raise ScenarioError(f"{where}: replies to message {reply_to}, which comes later")
    if earlier and at < earlier[-1].at:
        raise ScenarioError(f"{where}: at={at} is earlier than the message before it")
    return ScenarioMessage(
        at=at,
        from_brand=from_brand,
        author=None if from_brand else _author(data.get("author"), f"{where}.author"),
        text=_get(data, "text", str, where),
        reply_to=reply_to,
    )


def _thread(data: Any, where: str) -> Thread:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: must be an object")
    key = _get(data, "key", str, where)
    where = f"thread {key!r}"
    raw_messages = _get(data, "messages", list, where)
    if not raw_messages:
        raise ScenarioError(f"{where}: has no messages")
    if raw_messages[0].get("from") != "customer":
        raise ScenarioError(f"{where}: must open with a customer message")
    messages: list[ScenarioMessage] = []
    for index, raw in enumerate(raw_messages):
        messages.append(_message(raw, index, messages, f"{where} message {index}"))
    start = _get(data, "start", int, where)
    if start < 0:
        raise ScenarioError(f"{where}: start must not be negative")
    return Thread(
        key=key,
        inbox=_choice(data, "inbox", INBOX_KINDS, where),
        public=_get(data, "public", bool, where),
        language=_choice(data, "language", LANGUAGES, where),
        topic=_get(data, "topic", str, where),
        start=start,
        messages=tuple(messages),
    )


def parse_scenario(data: Any) -> Scenario:
    """Check and convert the decoded JSON; raises ScenarioError at the first problem."""
    if not isinstance(data, dict):
        raise ScenarioError("the scenario must be a JSON object with brand and threads")
    brand_data = _get(data, "brand", dict, "brand")
    brand = Brand(
        name=_get(brand_data, "name", str, "brand"),
        x_handle=_get(brand_data, "x_handle", str, "brand"),
        x_user_id=_get(brand_data, "x_user_id", str, "brand"),
        facebook_page_id=_get(brand_data, "facebook_page_id", str, "brand"),
        whatsapp_number=_get(brand_data, "whatsapp_number", str, "brand"),
    )
    threads = tuple(
        _thread(raw, f"threads[{index}]")
        for index, raw in enumerate(_get(data, "threads", list, "scenario"))
    )
    seen: set[str] = set()
    for thread in threads:
        if thread.key in seen:
            raise ScenarioError(f"thread {thread.key!r}: the key is used twice")
        seen.add(thread.key)
    return Scenario(brand=brand, threads=threads)


def load_scenario(path: Path | None = None) -> Scenario:
    """Read the scenario shipped with the package, or the file at `path`."""
    source = path or resources.files("webcare.demo").joinpath("scenario.json")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{source}: not valid JSON ({exc})") from exc
    return parse_scenario(data)
