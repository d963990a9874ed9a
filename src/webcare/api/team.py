"""`/api/v1/notifications` and `/api/v1/handover`: what the promises sweep told you, and what
is still open in whose hands, for a wallboard or a chat bot as much as for the web pages."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from webcare.accounts import notifications
from webcare.accounts.access import access_account, access_inbox
from webcare.api.auth import actor
from webcare.api.schemas import ERRORS, ConversationOut, MessageOut, UserRef
from webcare.conversations.handover import handover
from webcare.conversations.selectors import conversation_summary

router = Router(tags=["team"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="sla_warning, escalated, skipped or assigned.")
    text: str = Field(description="Worded in the recipient's language.")
    conversation: int = Field(description="The conversation's id.")
    created_at: datetime
    read_at: datetime | None = Field(
        description="Null while unread; opening the conversation reads it."
    )


class NotificationPage(Schema):
    unread: int
    items: list[NotificationOut]


class ReadOut(Schema):
    read: int = Field(description="How many notifications this marked as read.")


class HandoverGroupOut(Schema):
    holder: UserRef | None = Field(description="The person; null when a team or nobody holds them.")
    team: str = Field(description="For conversations nobody holds: their team, or empty.")
    waiting: int
    conversations: list[ConversationOut]


class HandoverOut(Schema):
    generated_at: datetime
    waiting: int = Field(description="Customers waiting for an answer, over all groups.")
    groups: list[HandoverGroupOut]
    failed_replies: list[MessageOut] = Field(description="Replies that did not reach the customer.")


@router.get(
    "/notifications",
    response={200: NotificationPage, **ERRORS},
    summary="Your notifications in one account",
)
def list_notifications(request: HttpRequest, account: int) -> dict[str, Any]:
    """Unread first, newest first, at most 50."""
    user = actor(request)
    account_id = access_account(user, account).pk
    return {
        "unread": notifications.unread_count(user, account_id),
        "items": [
            {
                "id": n.pk,
                "kind": n.kind,
                "text": n.text,
                "conversation": n.conversation_id,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in notifications.recent(user, account_id)
        ],
    }


@router.post(
    "/notifications/read",
    response={200: ReadOut, **ERRORS},
    summary="Mark all your notifications in one account as read",
)
def read_notifications(request: HttpRequest, account: int) -> dict[str, int]:
    user = actor(request)
    return {"read": notifications.mark_all_read(user, access_account(user, account).pk)}


@router.get("/handover", response={200: HandoverOut, **ERRORS}, summary="The shift handover")
def get_handover(request: HttpRequest, account: int, inbox: int | None = None) -> dict[str, Any]:
    """Open conversations grouped by who holds them (nobody's first), longest waiting first,
    and the replies that did not reach their customer."""
    user = actor(request)
    account_id = access_account(user, account).pk
    inbox_id = access_inbox(user, inbox).pk if inbox is not None else None
    report = handover(account_id, timezone.now(), inbox_id)
    return {
        "generated_at": report.generated_at,
        "waiting": report.waiting,
        "groups": [
            {
                "holder": (
                    {"id": group.holder.pk, "name": group.holder.display_name()}
                    if group.holder
                    else None
                ),
                "team": group.team_name,
                "waiting": group.waiting,
                "conversations": [conversation_summary(c) for c in group.conversations],
            }
            for group in report.groups
        ],
        "failed_replies": report.failed_replies,
    }
