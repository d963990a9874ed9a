"""What the sweep and the assigner tell people: reading and clearing their notifications.

Written by conversations/promises.py and conversations/assignment.py; a notification is read
when its person opens the conversation it is about, so nobody has to clear a list by hand.
"""

from django.db.models import F, QuerySet
from django.utils import timezone

from webcare.accounts.models import Notification, User
from webcare.conversations.models import Conversation


def recent(user: User, account_id: int, limit: int = 50) -> QuerySet[Notification]:
    """The person's notifications in one account, unread first, newest first."""
    return (
        Notification.objects.filter(user=user, account_id=account_id)
        .select_related("conversation", "conversation__contact", "conversation__inbox")
        # Unread (NULL) first on every database: PostgreSQL sorts NULLs last by default.
        .order_by(F("read_at").asc(nulls_first=True), "-created_at", "-pk")[:limit]
    )


def unread_count(user: User, account_id: int) -> int:
    return Notification.objects.filter(user=user, account_id=account_id, read_at=None).count()


def mark_read(user: User, conversation: Conversation) -> int:
    """Opening a conversation reads what it was about."""
    return Notification.objects.filter(
        user=user, conversation=conversation, read_at__isnull=True
    ).update(read_at=timezone.now())


def mark_all_read(user: User, account_id: int) -> int:
    return Notification.objects.filter(
        user=user, account_id=account_id, read_at__isnull=True
    ).update(read_at=timezone.now())
