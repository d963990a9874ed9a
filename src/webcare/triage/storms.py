"""Storm alerts: negative messages about one topic far above their usual rate.

Run by the worker's sweep every 30 seconds. Per account, the terms of the negative messages
of the last hour (MessageTopic, written with each message's triage) are counted; a term is a
storm when at least MIN_MESSAGES of them name it and that is FACTOR times its usual hourly
rate over the week before, plus a margin, so an everyday word ("slagboom" at a car park) needs
a real surge. Terms that are mostly the same messages as a storm already open (the garage's
name beside the broken barrier) join it rather than open another. A new storm notifies the
account's leads and admins once; it closes when a lead marks it handled, or after QUIET hours
without a new message.

Counting is two index range scans per account and sweep (topic_window, topic_baseline), so
a quiet desk costs next to nothing.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from webcare.accounts.access import is_lead_or_admin
from webcare.accounts.models import Account, Notification, NotificationKind, Role, User
from webcare.conversations.actions import check_add_labels
from webcare.conversations.models import Conversation, Message
from webcare.core.errors import ActionError
from webcare.replies.actions import ReplyCollision, check_send_reply
from webcare.replies.variables import fill
from webcare.triage.models import MessageTopic, Storm

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
BASELINE = timedelta(days=7)
MIN_MESSAGES = 5
FACTOR = 4.0
MARGIN = 2.0
# A candidate whose messages are this much the same as an open storm's is part of it.
SAME_STORM = 0.5
QUIET = timedelta(hours=6)


@dataclass(frozen=True)
class Candidate:
    term: str
    count: int
    baseline_per_hour: float
    message_ids: frozenset[int]


def _window_counts(account_id: int, now: datetime) -> list[tuple[str, int]]:
    rows = (
        MessageTopic.objects.filter(account_id=account_id, created_at__gte=now - WINDOW)
        .values("term")
        .annotate(n=Count("message", distinct=True))
        .filter(n__gte=MIN_MESSAGES)
        .order_by("-n", "term")
    )
    return [(row["term"], row["n"]) for row in rows]


def _baseline(account_id: int, term: str, now: datetime) -> float:
    """Messages an hour naming `term` in the week before the window."""
    before = MessageTopic.objects.filter(
        account_id=account_id,
        term=term,
        created_at__gte=now - WINDOW - BASELINE,
        created_at__lt=now - WINDOW,
    ).count()
    return before / (BASELINE / timedelta(hours=1))


def _message_ids(account_id: int, term: str, since: datetime) -> frozenset[int]:
    return frozenset(
        MessageTopic.objects.filter(
            account_id=account_id, term=term, created_at__gte=since
        ).values_list("message_id", flat=True)
    )


def messages_of(storm: Storm) -> frozenset[int]:
    """The storm's messages: its term's, from an hour before it opened."""
    return _message_ids(storm.account_id, storm.term, storm.opened_at - WINDOW)


def candidates(account_id: int, now: datetime) -> list[Candidate]:
    """The terms surging now, most messages first."""
    found = []
    for term, count in _window_counts(account_id, now):
        baseline = _baseline(account_id, term, now)
        if count >= FACTOR * baseline + MARGIN:
            ids = _message_ids(account_id, term, now - WINDOW)
            found.append(Candidate(term, count, baseline, ids))
    return found


def _overlaps(ids: frozenset[int], others: list[frozenset[int]]) -> bool:
    return any(len(ids & other) >= SAME_STORM * len(ids) for other in others)


def detect(account: Account, now: datetime | None = None) -> list[Storm]:
    """Open storms for what surges now, refresh the open ones; returns the newly opened."""
    now = now or timezone.now()
    open_storms = list(Storm.objects.filter(account=account, closed_at__isnull=True))
    by_term = {storm.term: storm for storm in open_storms}
    taken = [messages_of(storm) for storm in open_storms]
    opened = []
    for candidate in candidates(account.pk, now):
        storm = by_term.get(candidate.term)
        if storm is not None:
            Storm.objects.filter(pk=storm.pk).update(
                last_seen_at=now, message_count=candidate.count
            )
            continue
        if _overlaps(candidate.message_ids, taken):
            continue
        new = _open(account, candidate, now)
        if new is not None:
            opened.append(new)
            taken.append(candidate.message_ids)
    Storm.objects.filter(
        account=account, closed_at__isnull=True, last_seen_at__lt=now - QUIET
    ).update(closed_at=now)
    return opened


def _open(account: Account, candidate: Candidate, now: datetime) -> Storm | None:
    try:
        with transaction.atomic():
            storm = Storm.objects.create(
                account=account,
                term=candidate.term,
                opened_at=now,
                last_seen_at=now,
                message_count=candidate.count,
                baseline_per_hour=candidate.baseline_per_hour,
            )
            _notify_leads(storm)
    except IntegrityError:
        return None  # another worker opened it first
    logger.info(
        "storm.opened",
        extra={"account_id": account.pk, "term": candidate.term, "count": candidate.count},
    )
    return storm


def _notify_leads(storm: Storm) -> None:
    latest = (
        Message.objects.filter(pk__in=messages_of(storm))
        .order_by("-created_at")
        .values_list("conversation_id", flat=True)
        .first()
    )
    if latest is None:
        return
    leads = User.objects.filter(
        memberships__account_id=storm.account_id,
        memberships__role__in=[Role.LEAD, Role.ADMIN],
        is_active=True,
    ).distinct()
    for lead in leads:
        with override(lead.language or None):
            text = _(
                "Storm: %(count)s negative messages about “%(term)s” in the last hour "
                "(usually %(usual).1f an hour)."
            ) % {
                "count": storm.message_count,
                "term": storm.term,
                "usual": storm.baseline_per_hour,
            }
        Notification.objects.create(
            account_id=storm.account_id,
            user=lead,
            conversation_id=latest,
            kind=NotificationKind.STORM,
            text=text[:300],
        )


def sweep(now: datetime | None = None) -> int:
    """Detect storms in every account; returns how many opened."""
    return sum(len(detect(account, now)) for account in Account.objects.all())


def open_storms(account_id: int) -> list[Storm]:
    return list(
        Storm.objects.filter(account_id=account_id, closed_at__isnull=True).order_by(
            "-message_count", "opened_at"
        )
    )


def conversations_of(storm: Storm) -> list[Conversation]:
    """The storm's conversations, newest message first, once each; each carries that newest
    storm message as `storm_message`, to show what the customer said."""
    ids = messages_of(storm)
    seen: dict[int, Conversation] = {}
    for message in (
        Message.objects.filter(pk__in=ids)
        .select_related(
            "conversation",
            "conversation__contact",
            "conversation__inbox",
            "conversation__last_message",
        )
        .order_by("-created_at")
    ):
        conversation = message.conversation
        if conversation.merged_into_id is None and conversation.pk not in seen:
            conversation.storm_message = message  # type: ignore[attr-defined]
            seen[conversation.pk] = conversation
    return list(seen.values())


def check_close(actor: User, storm: Storm) -> None:
    _check_lead(actor, storm)
    if not Storm.objects.filter(pk=storm.pk, closed_at__isnull=True).update(
        closed_at=timezone.now(), closed_by=actor
    ):
        raise ActionError(_("This storm was already marked handled."), status=409)


# Group actions: a lead answers or labels the whole storm at once. ----------------------------


@dataclass(frozen=True)
class GroupResult:
    done: list[Conversation]
    skipped: list[tuple[Conversation, str]]  # and why, in the lead's words


def _check_lead(actor: User, storm: Storm) -> None:
    if not is_lead_or_admin(actor, storm.account_id):
        raise ActionError(
            _("Only team leads and admins answer or label a storm at once."), status=403
        )


def check_answer_storm(actor: User, storm: Storm, text: str, seen: dict[int, int]) -> GroupResult:
    """Send `text` (with its variables filled in per customer) to every conversation of the
    storm whose customer still waits. `seen` maps each conversation to the newest message the
    lead saw on the storm page: a conversation with a colleague's reply since, or one that
    joined the storm after the page was shown, is skipped and named, never answered twice.
    """
    _check_lead(actor, storm)
    if not text.strip():
        raise ActionError(_("Write the answer first."), field="text")
    done, skipped = [], []
    for conversation in conversations_of(storm):
        if conversation.waiting_since is None:
            skipped.append((conversation, _("already answered")))
            continue
        if conversation.pk not in seen:
            skipped.append((conversation, _("came in after you opened this page")))
            continue
        try:
            check_send_reply(
                actor,
                conversation,
                fill(text, conversation, actor),
                expected_last_message_id=seen[conversation.pk],
            )
        except ReplyCollision:
            skipped.append((conversation, _("a colleague replied meanwhile")))
        except ActionError as exc:
            skipped.append((conversation, exc.message))
        else:
            done.append(conversation)
    logger.info(
        "storm.answered",
        extra={"storm_id": storm.pk, "sent": len(done), "skipped": len(skipped)},
    )
    return GroupResult(done, skipped)


def check_label_storm(actor: User, storm: Storm, name: str) -> GroupResult:
    """Give every conversation of the storm the label `name` (created when new)."""
    _check_lead(actor, storm)
    done = []
    for conversation in conversations_of(storm):
        check_add_labels(actor, conversation, [name])
        done.append(conversation)
    return GroupResult(done, [])
