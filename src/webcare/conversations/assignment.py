"""Automatic assignment: round-robin within a team, within each person's capacity.

A team with `auto_assign` hands each new conversation of its inboxes to one of its members who
is online in the conversation's account and has fewer open conversations than their
`capacity`: the one assigned longest ago (`last_assigned_at`, never first), ties by user id.
When nobody has room the conversation waits with its team, unassigned, until someone comes
online or resolves one (`fill_capacity`). Someone who goes offline hands their open
conversations back to the team (`return_to_team`), which offers them to the others.

Why the locks: several worker processes ingest at once, and two of them must not both give
away the last free slot of one person. Every routing transaction first locks the Team rows it
routes for, then the Membership rows of their members, both in id order, so they queue behind
each other instead of deadlocking. On PostgreSQL these are `FOR NO KEY UPDATE` row locks (they
do not block inserts that merely reference the team); SQLite ignores them, but there every
write transaction is IMMEDIATE and so already runs alone.

Imports of `conversations.actions` go through the module (`conversation_actions.x`): actions
calls back into this module when a conversation is created, and module-level access keeps
that cycle harmless whichever of the two is imported first.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from webcare.accounts.models import Availability, Membership, Notification, NotificationKind, Team
from webcare.conversations import actions as conversation_actions
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import Conversation, Status

logger = logging.getLogger(__name__)

ROUND_ROBIN = "round_robin"


def open_conversations(account_id: int) -> QuerySet[Conversation]:
    """What counts against capacity: not resolved (a merged one is always resolved)."""
    return Conversation.objects.filter(account_id=account_id, merged_into__isnull=True).exclude(
        status=Status.RESOLVED
    )


def open_count(membership: Membership) -> int:
    return open_conversations(membership.account_id).filter(assignee_id=membership.user_id).count()


def _lock(team_ids: Iterable[int], account_id: int) -> None:
    """Lock the teams, then their members' memberships in the account, each in id order.

    The one lock order every routing path uses (see the module docstring).
    """
    ids = sorted(set(team_ids))
    if not ids:
        return
    list(
        Team.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Membership.objects.select_for_update(no_key=True)
        .filter(account_id=account_id, user__teams__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _routing_teams(membership: Membership) -> list[int]:
    """The auto-assign teams of the membership's account that the person is a member of."""
    return list(
        Team.objects.filter(
            account_id=membership.account_id, members=membership.user_id, auto_assign=True
        ).values_list("pk", flat=True)
    )


def lock_routing(membership: Membership) -> None:
    """Lock everything a change to this person's routing may touch, in the one lock order.

    Their auto-assign teams (where they may receive) and the teams of their open
    conversations (where those would return to), then those teams' memberships.
    """
    held = open_conversations(membership.account_id).filter(
        assignee_id=membership.user_id, team__isnull=False
    )
    team_ids = set(held.values_list("team_id", flat=True)) | set(_routing_teams(membership))
    _lock(team_ids, membership.account_id)


def next_assignee(team: Team, account_id: int) -> Membership | None:
    """The team member whose turn it is, or None when nobody online has room.

    Reads only: the caller holds the team lock, so the answer stays true until it commits.
    """
    assigned_open = (
        open_conversations(account_id)
        .filter(assignee_id=OuterRef("user_id"))
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Membership.objects.filter(
            account_id=account_id,
            availability=Availability.ONLINE,
            user__is_active=True,
            user__teams=team,
        )
        .annotate(open_now=Coalesce(Subquery(assigned_open), Value(0)))
        .filter(open_now__lt=F("capacity"))
        .select_related("user")
        .order_by(F("last_assigned_at").asc(nulls_first=True), "user_id")
        .first()
    )


def _give(conversation: Conversation, membership: Membership, reason: str) -> bool:
    """Assign `conversation` to the member, as the system; False if someone else was quicker.

    The UPDATE only takes a conversation that is still unassigned and open, so a colleague who
    picked it by hand a moment ago keeps it.
    """
    taken = (
        Conversation.objects.filter(pk=conversation.pk, assignee__isnull=True, merged_into=None)
        .exclude(status=Status.RESOLVED)
        .update(assignee=membership.user_id)
    )
    if not taken:
        return False
    now = timezone.now()
    Membership.objects.filter(pk=membership.pk).update(last_assigned_at=now)
    membership.last_assigned_at = now
    conversation.assignee = membership.user
    user = membership.user
    team = conversation.team
    # The same shape as do_assign's entry, so the timeline and API clients read it alike.
    conversation_actions.record_activity(
        conversation,
        None,
        "assigned",
        {
            "from": None,
            "to": user.pk,
            "to_name": user.display_name(),
            "team": team.name if team else "",
            "team_before": conversation.team_id,
            "by": ROUND_ROBIN,
            "reason": reason,
        },
    )
    with override(user.language):
        Notification.objects.create(
            account_id=conversation.account_id,
            user=user,
            conversation=conversation,
            kind=NotificationKind.ASSIGNED,
            text=_("Conversation #%(number)s was assigned to you")
            % {"number": conversation.display_id},
        )
    conversation_changed(conversation, "assigned")
    logger.info(
        "conversation.auto_assigned",
        extra={
            "conversation_id": conversation.pk,
            "account_id": conversation.account_id,
            "user_id": user.pk,
            "reason": reason,
        },
    )
    return True


def _offer(conversation: Conversation, reason: str) -> bool:
    """Give the conversation to whoever's turn it is in its team; the caller holds the lock."""
    team = conversation.team
    if team is None or not team.auto_assign:
        return False
    membership = next_assignee(team, conversation.account_id)
    if membership is None:
        return False
    return _give(conversation, membership, reason)


@transaction.atomic
def route_new_conversation(conversation: Conversation) -> None:
    """Hand a newly created conversation to its inbox's team, and round-robin within it.

    Called from the ingest path inside its transaction; the team lock is held until that
    commits, so the next conversation counts this assignment.
    """
    inbox = conversation.inbox
    if inbox.team_id is None:
        return
    conversation.team_id = inbox.team_id
    Conversation.objects.filter(pk=conversation.pk).update(team=inbox.team_id)
    team = Team.objects.get(pk=inbox.team_id)
    conversation.team = team
    if not team.auto_assign or conversation.assignee_id is not None:
        return
    _lock([team.pk], conversation.account_id)
    _offer(conversation, "new")


def _waiting_first(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """The customer who has waited longest first; nobody waiting after, oldest first."""
    return conversations.order_by(
        F("waiting_since").asc(nulls_last=True), "created_at", "pk"
    ).select_related("team", "inbox")


@transaction.atomic
def return_to_team(membership: Membership) -> list[Conversation]:
    """Take the member's open conversations back and offer them to online colleagues.

    The team stays on each conversation (unassigned with its team is where nobody-has-room
    leaves it); every one gets a timeline entry saying why it moved. Returns the conversations
    that were handed back.
    """
    lock_routing(membership)
    mine = open_conversations(membership.account_id).filter(assignee_id=membership.user_id)
    returned = list(_waiting_first(mine))
    for conversation in returned:
        moved = Conversation.objects.filter(
            pk=conversation.pk, assignee_id=membership.user_id
        ).update(assignee=None)
        if not moved:
            continue
        conversation.assignee = None
        conversation_actions.record_activity(
            conversation,
            None,
            "returned_to_team",
            {
                "from": membership.user_id,
                "from_name": membership.user.display_name(),
                "team": conversation.team.name if conversation.team else "",
                "reason": "offline",
            },
        )
        conversation_changed(conversation, "assigned")
    logger.info(
        "assignment.returned_to_team",
        extra={
            "account_id": membership.account_id,
            "user_id": membership.user_id,
            "count": len(returned),
        },
    )
    for conversation in returned:
        if conversation.assignee_id is None:
            _offer(conversation, "returned")
    return returned


@transaction.atomic
def fill_capacity(membership: Membership) -> list[Conversation]:
    """Give an online member the longest-waiting unassigned conversations of their teams.

    Up to their capacity; called when they come online and when they resolve one.
    """
    teams = _routing_teams(membership)
    if not teams:
        return []
    lock_routing(membership)
    current = Membership.objects.select_related("user").get(pk=membership.pk)
    if current.availability != Availability.ONLINE or not current.user.is_active:
        return []
    room = current.capacity - open_count(current)
    if room <= 0:
        return []
    waiting = _waiting_first(
        open_conversations(membership.account_id).filter(assignee__isnull=True, team__in=teams)
    )[:room]
    given = [c for c in waiting if _give(c, current, "capacity")]
    membership.last_assigned_at = current.last_assigned_at
    return given


def after_resolved(conversation: Conversation) -> None:
    """A slot freed up: after the resolve commits, refill the person who had it.

    After commit, and in a transaction of its own, so the resolve never waits for (nor
    deadlocks with) routing locks; a failure there is logged and leaves the resolve standing.
    """
    if conversation.assignee_id is None:
        return
    membership = Membership.objects.filter(
        account_id=conversation.account_id, user_id=conversation.assignee_id
    ).first()
    if membership is None or membership.availability != Availability.ONLINE:
        return
    transaction.on_commit(lambda: fill_capacity(membership), robust=True)
