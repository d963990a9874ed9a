"""Live updates: tell every open inbox of an account that a conversation changed.

The write paths (`conversations.actions`, `replies.actions`, `replies.delivery`) call
`conversation_changed` once per change. After the transaction commits, a small event goes to
the channel-layer group of the account; every websocket of that account (web/consumers.py)
passes it on, and the browser re-fetches what it shows over HTTP, with its own permissions.
So an event carries ids only, never customer text, and a lost event costs freshness, not data.

Presence (who views a conversation, who types in it) is stateless on the server: the consumer
stamps who sent it and relays it to the same group; browsers keep the map and let it expire.
With Redis as the channel layer both work across web processes and workers.
"""

import asyncio
import logging
import threading
from typing import Any, Literal

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

from webcare.accounts.models import User
from webcare.conversations.models import Conversation

logger = logging.getLogger(__name__)

What = Literal[
    "message",
    "reply",
    "assigned",
    "status",
    "priority",
    "labels",
    "note",
    "delivery",
    "merged",
    "triage",
]
PRESENCE_STATES = frozenset({"viewing", "typing", "left", "hello"})
# The consumer handler names (`type` with "." read as "_") of the two kinds of group message.
CHANGED = "conversation.changed"
PRESENCE = "presence.relay"
BROADCAST_TIMEOUT_SECONDS = 5.0

_server_loop: asyncio.AbstractEventLoop | None = None
_server_loop_lock = threading.Lock()


def account_group(account_id: int) -> str:
    """The channel-layer group every websocket of one account joins."""
    return f"account.{account_id}"


def conversation_changed(conversation: Conversation, what: What) -> None:
    """Announce, once the current transaction commits, that `conversation` changed.

    Outside a transaction it goes at once. A rolled-back change announces nothing.
    """
    group = account_group(conversation.account_id)
    event = {
        "type": CHANGED,
        "conversation_id": conversation.pk,
        "display_id": conversation.display_id,
        "inbox_id": conversation.inbox_id,
        "what": what,
    }
    # robust: whatever goes wrong in the broadcast, the committed write stands.
    transaction.on_commit(lambda: broadcast(group, event), robust=True)


def broadcast(group: str, event: dict[str, Any]) -> None:
    """Send `event` to `group` from synchronous code; a failure is logged, never raised.

    Freshness is not worth failing a write for: a browser that missed an event catches up on
    its next event or reload.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = _foreign_loop(layer)
        if loop is None:
            async_to_sync(layer.group_send)(group, event)
        else:
            asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop).result(
                BROADCAST_TIMEOUT_SECONDS
            )
    except (OSError, RedisError, ChannelFull, TimeoutError):
        logger.exception("live.broadcast_failed", extra={"group": group, "what": event.get("what")})


def _foreign_loop(layer: object) -> asyncio.AbstractEventLoop | None:
    """The server's event loop, when `layer` is in memory and we are not running on a loop.

    The in-memory layer's queues belong to the loop that serves the websockets and are not
    thread-safe, and async_to_sync in the embedded worker's threads would run the send on a
    loop of its own; so sends hop onto the server loop. Redis needs none of this.
    """
    if not isinstance(layer, InMemoryChannelLayer):
        return None
    loop = _server_loop
    if loop is None or loop.is_closed():
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return loop
    return None


def note_server_loop() -> None:
    """Remember the running loop as the one whose websockets the in-memory layer feeds."""
    global _server_loop  # noqa: PLW0603 (one loop per process; set by the first websocket)
    loop = asyncio.get_running_loop()
    with _server_loop_lock:
        if _server_loop is None or _server_loop.is_closed():
            _server_loop = loop


def presence_event(user: User, socket_id: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A presence message to relay, stamped with who sent it; None for a malformed one.

    Who is viewing or typing comes from the session, never from the browser's message.
    `hello` (a socket that just opened) asks everyone to repeat their presence at once.
    """
    state = payload.get("state")
    conversation = payload.get("conversation")
    if state not in PRESENCE_STATES:
        return None
    if state != "hello" and (
        isinstance(conversation, bool) or not isinstance(conversation, int) or conversation < 1
    ):
        return None
    return {
        "type": PRESENCE,
        "socket": socket_id,
        "user_id": user.pk,
        "name": user.display_name(),
        "conversation": conversation if state != "hello" else None,
        "state": state,
    }
