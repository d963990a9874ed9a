"""The reply outbox: which reply the worker sends next, and when a failed one is tried again.

The outbox is the Message row itself. `do_send_reply` writes it `queued`, with an idempotency
key, in the transaction that records the reply, so a reply the agent saw accepted is on disk
before anything is sent. A worker then *claims* it: one short transaction marks it `sending`
with a lease (`next_attempt_at` = now + WEBCARE_DELIVERY_LEASE) and commits *before* the
platform is called. So after a crash at any moment the row says what may have happened:

- `queued`: not handed to the platform (or handed and refused); the worker takes it when due.
- `sending` past its lease: the platform may or may not have it. The next claim is marked
  `interrupted`, and delivery asks the sender before resending (replies/delivery.py).

Claims use `select_for_update(skip_locked=True)` on PostgreSQL, so workers never wait on each
other's rows; on SQLite the IMMEDIATE transaction's write lock serialises them. The lease is
also the fencing token: an outcome is recorded only while the row still holds the lease the
claim set, so a sender that outlived its lease cannot overwrite a newer claim's result.
"""

import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend

from webcare.conversations.models import DeliveryStatus, Message

logger = logging.getLogger(__name__)

OUTBOX_STATES = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)

# Set when a reply is queued in this process, so the embedded worker starts at once instead
# of at its next poll.
_work_waiting = threading.Event()


@dataclass(frozen=True)
class Claim:
    """A reply this worker holds until `lease_until`; `interrupted`: an earlier claim of it
    ended without an outcome (a crash, or a failure after which the platform may have it)."""

    message: Message
    lease_until: datetime
    interrupted: bool

    @property
    def attempt(self) -> int:
        return self.message.delivery_attempts


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBCARE_DELIVERY_LEASE)


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1, 2, ...).

    Exponential (base * 2^(attempt-1)), capped, with "equal jitter" (half fixed, half random)
    so replies that failed together, in an outage, do not all return together.
    """
    ceiling = min(
        settings.WEBCARE_DELIVERY_BACKOFF_MAX,
        settings.WEBCARE_DELIVERY_BACKOFF_BASE * 2 ** max(attempt - 1, 0),
    )
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def due(now: datetime) -> QuerySet[Message]:
    """Replies the worker may take: queued and due, or sending with their lease run out."""
    return Message.objects.filter(delivery_status__in=OUTBOX_STATES, next_attempt_at__lte=now)


def claim_next() -> Claim | None:
    """Claim the reply that has waited longest, or None when nothing is due.

    Looks before it claims: on SQLite the claim's transaction takes the database's one write
    lock, which idle sender threads polling several times a second should not.
    """
    candidates = due(timezone.now())
    if not candidates.exists():
        return None
    return _claim(candidates)


def claim(message_id: int) -> Claim | None:
    """Claim one reply if it is due; None when another worker has it or it is settled."""
    return _claim(due(timezone.now()).filter(pk=message_id))


def _claim(candidates: QuerySet[Message]) -> Claim | None:
    with transaction.atomic():
        row = (
            candidates.select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values("pk", "delivery_status")
            .first()
        )
        if row is None:
            return None
        lease_until = timezone.now() + lease()
        Message.objects.filter(pk=row["pk"]).update(
            delivery_status=DeliveryStatus.SENDING,
            next_attempt_at=lease_until,
            delivery_attempts=F("delivery_attempts") + 1,
        )
    message = Message.objects.select_related(
        "inbox", "conversation", "conversation__contact", "in_reply_to"
    ).get(pk=row["pk"])
    interrupted = row["delivery_status"] == DeliveryStatus.SENDING
    if interrupted:
        logger.warning("reply.claim_interrupted", extra={"message_id": message.pk})
    return Claim(message=message, lease_until=lease_until, interrupted=interrupted)


def held(claim: Claim) -> QuerySet[Message]:
    """The claimed row, only while it still holds this claim's lease (the fencing token)."""
    return Message.objects.filter(
        pk=claim.message.pk,
        delivery_status=DeliveryStatus.SENDING,
        next_attempt_at=claim.lease_until,
    )


def tasks_run_inline() -> bool:
    """True where tasks run the moment they are enqueued (the test settings): then no worker
    polls the outbox, and a reply is delivered at commit instead."""
    return isinstance(task_backends["default"], ImmediateBackend)


def wake() -> None:
    """A reply was queued: let this process's waiting sender threads look now."""
    _work_waiting.set()


def wait_for_work(timeout: float) -> None:
    """Sleep until a reply is queued in this process, or `timeout` seconds at most."""
    if _work_waiting.wait(timeout):
        _work_waiting.clear()
