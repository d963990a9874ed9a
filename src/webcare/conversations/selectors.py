"""Read queries for the inbox views, shared by the web UI and the REST API.

Lists page by keyset cursors (the sort values + id), so page 200 of Needs reply costs what
page 1 costs, and a conversation that moves while an agent pages is neither skipped nor shown
twice within one sort order.

Needs reply has two orders: most urgent first (the default: the triage priority of the
waiting messages, then the longest waiting), and longest waiting first.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, DateTimeField, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.dateparse import parse_datetime

from webcare.accounts.models import Team, User
from webcare.channels.models import DownloadState, MediaDownload
from webcare.contacts.models import ContactIdentity
from webcare.conversations.models import (
    Conversation,
    Direction,
    Label,
    Message,
    MessageKind,
    Status,
)
from webcare.core.errors import ActionError

VIEWS = ("needs_reply", "mine", "unassigned", "escalated", "listening", "all")
MAX_LIMIT = 500
# The orders a view offers; the first is its default.
SORTS = {"needs_reply": ("priority", "oldest")}


@dataclass(frozen=True)
class ConversationFilter:
    """What an agent asked to see. Empty fields do not filter."""

    view: str = "needs_reply"
    inbox_id: int | None = None
    label: str = ""
    q: str = ""
    sort: str = ""  # "" is the view's default order

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ActionError(f"Unknown view {self.view!r}; use one of {', '.join(VIEWS)}.")
        offered = SORTS.get(self.view, ())
        if self.sort and self.sort not in offered:
            choices = ", ".join(offered) if offered else "only its own order"
            raise ActionError(
                f"The {self.view} view cannot be sorted by {self.sort!r}; it offers {choices}.",
                field="sort",
            )

    @property
    def order(self) -> str:
        """The order in effect: the one asked for, or the view's default ("" if it has one
        order only)."""
        return self.sort or next(iter(SORTS.get(self.view, ())), "")


def _view_filter(view: str, user: User) -> Q:
    if view == "needs_reply":
        # Snoozed ones with a waiting customer stay: snoozing defers an answer, never drops it.
        return Q(status__in=[Status.OPEN, Status.SNOOZED], waiting_since__isnull=False)
    if view == "mine":
        return Q(assignee=user) & ~Q(status=Status.RESOLVED)
    if view == "unassigned":
        return Q(assignee__isnull=True, status=Status.OPEN, proactive=False)
    if view == "escalated":
        return Q(escalated_at__isnull=False) & ~Q(status=Status.RESOLVED)
    if view == "listening":
        # Posts about the brand that nobody asked us about (conversations/listening.py).
        return Q(proactive=True) & ~Q(status=Status.RESOLVED)
    return Q()


SortKeys = tuple[tuple[str, bool], ...]  # (column, ascending), most significant first


def _ordering(view: str, sort: str = "") -> SortKeys:
    """The sort columns; ties go to the id, in the direction of the last column."""
    if view == "needs_reply":
        if sort == "oldest":
            return (("waiting_since", True),)
        return (("triage_priority", False), ("waiting_since", True))
    if view == "escalated":
        return (("escalated_at", True),)
    return (("last_activity_at", False),)


def search_filter(q: str) -> Q:
    """Match contact names and handles, and the text of any message in the conversation."""
    q = q.strip()
    text_match = Message.objects.filter(
        conversation=OuterRef("pk"), kind__in=[MessageKind.MESSAGE, MessageKind.NOTE]
    ).filter(text__icontains=q)
    return (
        Q(contact__name__icontains=q)
        | Q(contact__identities__handle__icontains=q.lstrip("@"))
        | Q(Exists(text_match))
    )


def conversations(
    user: User, account_ids: list[int], filters: ConversationFilter
) -> QuerySet[Conversation]:
    """The conversations `filters` selects in the given accounts, unordered and unpaged."""
    qs = Conversation.objects.filter(account_id__in=account_ids, merged_into__isnull=True).filter(
        _view_filter(filters.view, user)
    )
    if filters.inbox_id:
        qs = qs.filter(inbox_id=filters.inbox_id)
    if filters.label:
        qs = qs.filter(labels__name=filters.label)
    if filters.q.strip():
        qs = qs.filter(search_filter(filters.q)).distinct()
    return qs


def _encode_cursor(values: list[Any], pk: int) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps([plain, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_value(field: str, value: Any) -> Any:
    if isinstance(Conversation._meta.get_field(field), DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise ValueError(value)
        return moment
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


def _decode_cursor(cursor: str, keys: SortKeys) -> tuple[list[Any], int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values, pk = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(pk, int) or not isinstance(values, list) or len(values) != len(keys):
            raise ValueError(cursor)
        decoded = [_decode_value(field, v) for (field, _), v in zip(keys, values, strict=True)]
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ActionError("The cursor is not one this server gave out.", field="cursor") from None
    return decoded, pk


def _after(keys: SortKeys, values: list[Any], pk: int) -> Q:
    """Rows after (values, pk) in the order `keys`: the first column past its value, or
    equal there and the next one past, ..., or every column equal and the id past."""
    columns = [*keys, ("pk", keys[-1][1])]
    bounds = [*values, pk]
    after = Q(pk__in=[])
    for depth, (field, ascending) in enumerate(columns):
        equal = {f: v for (f, _), v in zip(columns[:depth], bounds[:depth], strict=True)}
        past = {f"{field}__{'gt' if ascending else 'lt'}": bounds[depth]}
        after |= Q(**equal, **past)
    return after


def page(
    qs: QuerySet[Conversation], view: str, limit: int, cursor: str | None, sort: str = ""
) -> tuple[list[Conversation], str | None]:
    """One page of `qs` in the view's order (`sort`: one it offers, "" its default), and the
    cursor of the next page (or None)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ActionError(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    keys = _ordering(view, sort)
    if cursor:
        values, pk = _decode_cursor(cursor, keys)
        # The plain range condition on the first column comes first so the database can seek
        # in the view's index; the OR alone makes SQLite and PostgreSQL scan from the start.
        first, ascending = keys[0]
        qs = qs.filter(Q(**{f"{first}__{'gte' if ascending else 'lte'}": values[0]}))
        qs = qs.filter(_after(keys, values, pk))
    order = [field if ascending else f"-{field}" for field, ascending in keys]
    order.append("pk" if keys[-1][1] else "-pk")
    rows = list(
        qs.select_related(
            "inbox", "contact", "assignee", "team", "last_message", "last_message__sender_user"
        )
        .prefetch_related("labels")
        .order_by(*order)[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor([getattr(last, field) for field, _ in keys], last.pk)
    return rows, next_cursor


def view_counts(user: User, account_ids: list[int], inbox_id: int | None = None) -> dict[str, int]:
    """How many conversations each view holds, for the sidebar badges.

    One pass with a filtered count per view rather than a count query per view: on 100,000
    conversations that is one scan instead of four.
    """
    qs = Conversation.objects.filter(account_id__in=account_ids, merged_into__isnull=True)
    if inbox_id:
        qs = qs.filter(inbox_id=inbox_id)
    counts = {
        view: Count("pk", filter=_view_filter(view, user)) if view != "all" else Count("pk")
        for view in VIEWS
    }
    return qs.aggregate(**counts)


def last_private_message_at(conversation_id: int) -> datetime | None:
    """When the customer last wrote privately in the conversation: where the platforms'
    messaging windows start (channels/windows.py, and the senders' own check)."""
    return (
        Message.objects.filter(
            conversation_id=conversation_id,
            direction=Direction.INBOUND,
            kind=MessageKind.MESSAGE,
            public=False,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def timeline(conversation: Conversation) -> QuerySet[Message]:
    """Everything in the conversation, oldest first: messages, notes and activity."""
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("sender_identity", "sender_user", "in_reply_to", "settled_by", "triage")
        .prefetch_related(
            "attachments",
            # Files still being fetched from the platform (WhatsApp media), or failed for now.
            Prefetch(
                "media_downloads",
                queryset=MediaDownload.objects.exclude(state=DownloadState.FETCHED),
                to_attr="pending_media",
            ),
        )
        .order_by("created_at", "pk")
    )


def contact_history(conversation: Conversation, limit: int = 20) -> QuerySet[Conversation]:
    """The customer's other conversations, across inboxes, newest first."""
    return (
        Conversation.objects.filter(contact_id=conversation.contact_id, merged_into__isnull=True)
        .exclude(pk=conversation.pk)
        .select_related("inbox", "last_message")
        .order_by("-last_activity_at")[:limit]
    )


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    """The list-item shape the API and the live updates share."""
    last = conversation.last_message
    return {
        "id": conversation.pk,
        "display_id": conversation.display_id,
        "account": conversation.account_id,
        "inbox": {
            "id": conversation.inbox_id,
            "name": conversation.inbox.name,
            "kind": conversation.inbox.kind,
        },
        "contact": {"id": conversation.contact_id, "name": conversation.contact.name},
        "kind": conversation.kind,
        "status": conversation.status,
        "assignee": (
            {"id": conversation.assignee_id, "name": conversation.assignee.display_name()}
            if conversation.assignee
            else None
        ),
        "team": (
            {"id": conversation.team_id, "name": conversation.team.name}
            if conversation.team
            else None
        ),
        "priority": conversation.priority,
        "triage_priority": conversation.triage_priority,
        "labels": [label.name for label in conversation.labels.all()],
        "message_count": conversation.message_count,
        "waiting_since": conversation.waiting_since,
        "last_activity_at": conversation.last_activity_at,
        "response_due_at": conversation.response_due_at,
        "resolution_due_at": conversation.resolution_due_at,
        "escalated_at": conversation.escalated_at,
        "skipped_at": conversation.skipped_at,
        "proactive": conversation.proactive,
        "preview": (
            {"text": last.text[:200], "direction": last.direction, "created_at": last.created_at}
            if last
            else None
        ),
    }


# --- Menus and details of the web inbox: filters, assignment choices, the customer's handles. ---


def account_labels(account_id: int) -> QuerySet[Label]:
    """The account's labels, for the sidebar filter and the label suggestions."""
    return Label.objects.filter(account_id=account_id).order_by("name")


def assignable_members(account_id: int) -> QuerySet[User]:
    """Everyone in the account who can take a conversation (active members, any role)."""
    return (
        User.objects.filter(memberships__account_id=account_id, is_active=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def assignable_teams(account_id: int) -> QuerySet[Team]:
    return Team.objects.filter(account_id=account_id).order_by("name")


def contact_handles(rows: list[Conversation]) -> dict[int, str]:
    """Each conversation's customer handle on its own inbox, in one query for a list page."""
    wanted = {(c.contact_id, c.inbox_id): c.pk for c in rows}
    identities = ContactIdentity.objects.filter(
        contact_id__in={c.contact_id for c in rows}, inbox_id__in={c.inbox_id for c in rows}
    ).values_list("contact_id", "inbox_id", "handle")
    return {
        wanted[(contact_id, inbox_id)]: handle
        for contact_id, inbox_id, handle in identities
        if (contact_id, inbox_id) in wanted and handle
    }


def contact_identities(conversation: Conversation) -> QuerySet[ContactIdentity]:
    """The customer's accounts on every platform, for the profile column."""
    return (
        ContactIdentity.objects.filter(contact_id=conversation.contact_id)
        .select_related("inbox")
        .order_by("inbox__kind", "inbox__name")
    )
