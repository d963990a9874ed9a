"""Handing a claimed reply to its platform, and recording the outcome on the message.

The claim (replies/outbox.py) committed `sending` before we get here. Then:

- accepted: `delivered` or `sent`, with the platform's id.
- a temporary failure (5xx, network, 429): `queued` again for later, with backoff and never
  before the platform's rate-limit reset; after WEBCARE_DELIVERY_MAX_ATTEMPTS: `failed`.
- a permanent failure (other 4xx, no way to send): `failed` at once, in the platform's words.
- the platform may have it already (an interrupted claim, or a failure after the request
  went out): resent where that is safe (the platform dedupes by key), else the platform is
  asked first (`lookup`), else the reply is parked `uncertain` for a person to decide.

Every outcome is written only while the claim still holds (`outbox.held`), and a failed or
uncertain reply makes the customer count as waiting again.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from webcare.channels import registry
from webcare.channels.adapters.base import ChannelError, Sender, SendResult
from webcare.conversations.actions import refresh_conversation_state
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import DeliveryStatus, Message
from webcare.replies import outbox
from webcare.replies.outbox import Claim

logger = logging.getLogger(__name__)

CANNOT_TELL = "Sending was interrupted, and this channel cannot be asked whether the reply arrived."


def deliver_next() -> bool:
    """Claim the reply that is due longest and deliver it; False when none is due."""
    claim = outbox.claim_next()
    if claim is None:
        return False
    deliver(claim)
    return True


def deliver_now(message_id: int) -> None:
    """Deliver one reply if it is due and no other worker has it (the on-commit path)."""
    claim = outbox.claim(message_id)
    if claim is not None:
        deliver(claim)


def deliver(claim: Claim) -> None:
    """Hand a claimed reply to its inbox's sender and record what happened."""
    try:
        sender = registry.sender_for(claim.message.inbox)
    except ChannelError as exc:
        mark_failed(claim, str(exc))
        return
    try:
        result = _send_once(sender, claim)
    except ChannelError as exc:
        _failed_attempt(claim, sender, exc)
        return
    if result is None:
        park_uncertain(claim, CANNOT_TELL)
    else:
        mark_delivered(claim, result)


def _send_once(sender: Sender, claim: Claim) -> SendResult | None:
    """Send, but after an interruption only where a second copy cannot appear.

    None: the platform may have the reply and nobody can tell.
    """
    message = claim.message
    if claim.interrupted and not sender.resend_is_safe:
        try:
            lookup = sender.lookup(message.inbox, message)
        except ChannelError as exc:
            # Still unknown whether the platform has it; ask again next time.
            raise ChannelError(
                f"Could not check whether the reply arrived: {exc}",
                permanent=exc.permanent,
                retry_at=exc.retry_at,
                maybe_sent=True,
            ) from exc
        if not lookup.known:
            return None
        if lookup.found is not None:
            logger.info("reply.found_on_platform", extra={"message_id": message.pk})
            return lookup.found
    return sender.send(message.inbox, message)


def _failed_attempt(claim: Claim, sender: Sender, exc: ChannelError) -> None:
    """Retry a temporary failure later; fail (or park, if it may be posted) otherwise."""
    reason = str(exc)
    doubtful = exc.maybe_sent and not sender.resend_is_safe
    settle = park_uncertain if doubtful else mark_failed
    if exc.permanent:
        settle(claim, reason)
        return
    # A rate limit that says when to come back is the platform's schedule, not a failure.
    counts = not (exc.rate_limited and exc.retry_at)
    if counts and claim.attempt >= settings.WEBCARE_DELIVERY_MAX_ATTEMPTS:
        plural = "" if claim.attempt == 1 else "s"
        settle(claim, f"{reason}. Gave up after {claim.attempt} attempt{plural}.")
        return
    now = timezone.now()
    if exc.rate_limited and exc.retry_at:
        retry_at = exc.retry_at
        hold_back(claim.message, exc.retry_at)
    else:
        retry_at = max(now + outbox.backoff(claim.attempt), exc.retry_at or now)
    schedule_retry(claim, reason, retry_at, counts=counts, recheck=doubtful)


@transaction.atomic
def mark_delivered(claim: Claim, result: SendResult) -> None:
    message = claim.message
    status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.SENT
    fields = {"delivery_status": status, "delivery_error": "", "next_attempt_at": None}
    try:
        with transaction.atomic():
            updated = outbox.held(claim).update(**fields, external_id=result.external_id)
    except IntegrityError:
        # The platform's id is already on another message (its echo came in first).
        logger.warning("reply.external_id_taken", extra={"message_id": message.pk})
        updated = outbox.held(claim).update(**fields)
    if not updated:
        _lost_claim(claim, "delivered")
        return
    conversation_changed(message.conversation, "delivery")
    logger.info("reply.delivered", extra={"message_id": message.pk})


@transaction.atomic
def schedule_retry(
    claim: Claim, reason: str, retry_at: datetime, *, counts: bool, recheck: bool
) -> None:
    """Queue the reply again for `retry_at`; `recheck`: ask the platform before resending."""
    message = claim.message
    updated = outbox.held(claim).update(
        delivery_status=DeliveryStatus.SENDING if recheck else DeliveryStatus.QUEUED,
        delivery_error=reason,
        next_attempt_at=retry_at,
        delivery_attempts=F("delivery_attempts") - (0 if counts else 1),
    )
    if not updated:
        _lost_claim(claim, "retry")
        return
    conversation_changed(message.conversation, "delivery")
    logger.warning(
        "reply.retry_scheduled",
        extra={"message_id": message.pk, "reason": reason, "retry_at": retry_at.isoformat()},
    )


def hold_back(message: Message, until: datetime) -> None:
    """The platform rate-limits this inbox: no queued reply of the same kind goes before
    `until`. Public replies and private messages are separate endpoints with separate limits
    on X and Meta, so only replies with the same `public` wait."""
    Message.objects.filter(
        inbox_id=message.inbox_id,
        public=message.public,
        delivery_status=DeliveryStatus.QUEUED,
        next_attempt_at__lt=until,
    ).update(next_attempt_at=until)


@transaction.atomic
def mark_failed(claim: Claim, reason: str) -> None:
    """A failed reply is shown on the message, and the customer counts as waiting again."""
    _settle(claim, DeliveryStatus.FAILED, reason)
    logger.warning("reply.failed", extra={"message_id": claim.message.pk, "reason": reason})


@transaction.atomic
def park_uncertain(claim: Claim, reason: str) -> None:
    """The platform may have the reply and cannot be asked: a person checks and decides."""
    _settle(claim, DeliveryStatus.UNCERTAIN, reason)
    logger.warning("reply.uncertain", extra={"message_id": claim.message.pk, "reason": reason})


def _settle(claim: Claim, status: str, reason: str) -> None:
    message = claim.message
    updated = outbox.held(claim).update(
        delivery_status=status, delivery_error=reason, next_attempt_at=None
    )
    if not updated:
        _lost_claim(claim, status)
        return
    refresh_conversation_state(message.conversation)
    conversation_changed(message.conversation, "delivery")


def _lost_claim(claim: Claim, outcome: str) -> None:
    """Our lease ran out and another claim took the reply over; its outcome counts."""
    logger.warning("reply.claim_lost", extra={"message_id": claim.message.pk, "outcome": outcome})
