"""The replay: scenario messages become generic-API payloads and go through the real ingest.

Nothing here writes to conversations itself. Every message is stored as a RawInboundEvent
and threaded by `channels.actions.ingest`, exactly as a platform webhook would be, so the demo
shows the product's real behaviour (threading, DM grouping, Needs reply) and exercises it.

Timing. Threads the brand already answered are history: they are loaded at once, dated an hour
earlier so they read as this morning's work. The other threads arrive live: scenario second
`s` is delivered `s / speed` seconds after the replay starts, and dated the moment it arrives.
With speed 0 everything is loaded at once, dated as if the scenario ended just now.

Re-running continues: messages already stored are left out of the plan (and ingest would
drop them as duplicates anyway), and the clock resumes at the first message still missing.
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connection

from webcare.channels.actions import ingest
from webcare.channels.models import EventState, RawInboundEvent
from webcare.demo.scenario import Brand, Scenario, ScenarioMessage, Thread
from webcare.inboxes.models import Inbox

logger = logging.getLogger(__name__)

SOURCE = "demo"
# About three minutes for the ~1800 s of scenario time: long enough to watch, short
# enough to wait for.
DEFAULT_SPEED = 10.0
HISTORY_SHIFT = timedelta(hours=1)
PROGRESS_EVERY = 20


@dataclass(frozen=True)
class Delivery:
    """One payload to ingest, `delay` wall-clock seconds after the replay starts."""

    delay: float
    inbox: str  # the scenario's inbox name: x, facebook, whatsapp
    payload: dict[str, Any]

    @property
    def dedupe_key(self) -> str:
        return dedupe_key(self.payload["id"])


@dataclass(frozen=True)
class ReplayResult:
    sent: int
    duplicates: int
    failed: int
    stopped: bool


def external_id(thread: Thread, index: int) -> str:
    """Stable per message, so a second run recognises what the first one delivered."""
    return f"demo-{thread.key}-{index}"


def dedupe_key(message_id: str) -> str:
    return f"{SOURCE}:{message_id}"


def brand_author(brand: Brand, inbox: str) -> dict[str, Any]:
    """The brand's own account on each platform, as the platform would name it."""
    ids = {
        "x": (brand.x_user_id, brand.x_handle),
        "facebook": (brand.facebook_page_id, brand.name),
        "whatsapp": (brand.whatsapp_number, brand.whatsapp_number),
    }
    author_id, handle = ids[inbox]
    return {"id": author_id, "handle": handle, "name": brand.name}


def message_payload(
    brand: Brand, thread: Thread, index: int, created_at: datetime
) -> dict[str, Any]:
    """The generic-API JSON for one scenario message (see channels/adapters/api.py)."""
    message = thread.messages[index]
    if message.author is None:
        author = brand_author(brand, thread.inbox)
    else:
        author = {
            "id": message.author.id,
            "handle": message.author.handle,
            "name": message.author.name,
            "followers": message.author.followers,
            "verified": message.author.verified,
        }
    payload: dict[str, Any] = {
        "id": external_id(thread, index),
        "author": author,
        "text": message.text,
        "in_reply_to": (
            None if message.reply_to is None else external_id(thread, message.reply_to)
        ),
        "created_at": created_at.isoformat(),
        "public": thread.public,
        "from_brand": message.from_brand,
    }
    if thread.public:
        # Like X's conversation id: the root post's id keeps every post of the thread
        # together, even one that replies to nothing. DMs thread per author on their own.
        payload["thread_id"] = external_id(thread, 0)
    return payload


def _offset(thread: Thread, message: ScenarioMessage) -> int:
    return thread.start + message.at


def plan_replay(
    scenario: Scenario, now: datetime, speed: float, done: Iterable[str] = ()
) -> list[Delivery]:
    """The deliveries still to make, in order, for a replay starting at `now`.

    `done` holds the ids of messages an earlier run already stored; they are left out, and
    the live clock resumes at the first message still missing instead of waiting out the
    time the earlier run already spent.
    """
    done = set(done)
    pending = [
        (position, thread, index, message)
        for position, (thread, index, message) in enumerate(scenario.messages())
        if external_id(thread, index) not in done
    ]
    live_offsets = [_offset(t, m) for _, t, _, m in pending if not t.has_brand_reply]
    resume_at = min(live_offsets, default=0)
    end = max(live_offsets, default=0)

    deliveries: list[tuple[float, datetime, int, Delivery]] = []
    for position, thread, index, message in pending:
        offset = _offset(thread, message)
        if thread.has_brand_reply:
            delay = 0.0
            created_at = now - HISTORY_SHIFT + timedelta(seconds=offset)
        elif speed > 0:
            delay = (offset - resume_at) / speed
            created_at = now + timedelta(seconds=delay)
        else:
            delay = 0.0
            created_at = now - timedelta(seconds=end - offset)
        delivery = Delivery(
            delay, thread.inbox, message_payload(scenario.brand, thread, index, created_at)
        )
        deliveries.append((delay, created_at, position, delivery))
    deliveries.sort(key=lambda item: item[:3])
    return [delivery for *_, delivery in deliveries]


def replayed_ids(inboxes: Iterable[Inbox]) -> set[str]:
    """Ids of the scenario messages already stored and threaded in these inboxes."""
    keys = RawInboundEvent.objects.filter(
        inbox__in=list(inboxes), source=SOURCE, state=EventState.PROCESSED
    ).values_list("dedupe_key", flat=True)
    prefix = dedupe_key("")
    return {key.removeprefix(prefix) for key in keys}


def run_replay(
    inboxes: dict[str, Inbox],
    deliveries: list[Delivery],
    *,
    stop: threading.Event | None = None,
    after_wait: Callable[[], None] | None = None,
) -> ReplayResult:
    """Ingest each delivery at its time. `after_wait` runs whenever the replay slept, which
    is where a long-running thread lets go of a database connection that went stale."""
    stop = stop or threading.Event()
    started = time.monotonic()
    sent = duplicates = failed = 0
    for count, delivery in enumerate(deliveries, start=1):
        wait = started + delivery.delay - time.monotonic()
        if wait > 0:
            if stop.wait(wait):
                return ReplayResult(sent, duplicates, failed, stopped=True)
            if after_wait is not None:
                after_wait()
        result = ingest(
            inboxes[delivery.inbox],
            SOURCE,
            delivery.dedupe_key,
            json.dumps(delivery.payload, ensure_ascii=False),
        )
        if not result.stored:
            duplicates += 1
        elif result.event.state == EventState.PROCESSED:
            sent += 1
        else:
            failed += 1
        if count % PROGRESS_EVERY == 0:
            logger.info(
                "demo.replay_progress %d/%d",
                count,
                len(deliveries),
                extra={"delivered": count, "total": len(deliveries)},
            )
    logger.info(
        "demo.replay_done sent=%d duplicates=%d failed=%d",
        sent,
        duplicates,
        failed,
        extra={"sent": sent, "duplicates": duplicates, "failed": failed},
    )
    return ReplayResult(sent, duplicates, failed, stopped=False)


def start_background_replay(
    inboxes: dict[str, Inbox], deliveries: list[Delivery]
) -> tuple[threading.Thread, threading.Event]:
    """Run the replay in a daemon thread beside the web server; set the event to stop it.

    The thread owns its own database connection: it drops stale ones after each wait (web
    requests and the worker share the database, SQLite in WAL mode included) and closes its
    connection when done, so nothing is left open for the server to trip over.
    """
    stop = threading.Event()

    def replay() -> None:
        try:
            close_old_connections()
            run_replay(inboxes, deliveries, stop=stop, after_wait=close_old_connections)
        except DatabaseError:
            logger.exception("demo.replay_failed; run `webcare demo` again to continue")
        finally:
            connection.close()

    thread = threading.Thread(target=replay, name="webcare-demo-replay", daemon=True)
    thread.start()
    return thread, stop
