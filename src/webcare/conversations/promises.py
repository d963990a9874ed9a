"""Response-time promises: when a waiting customer must have an answer.

Due times are derived with the conversation (`refresh_conversation_state` calls `due_times`),
counted in the inbox's business hours; conversations/escalation.py acts on them.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from webcare.core.errors import ActionError
from webcare.inboxes.business_hours import BusinessCalendar
from webcare.inboxes.models import Inbox

logger = logging.getLogger(__name__)


def _calendar(inbox: Inbox) -> BusinessCalendar:
    """The inbox's calendar; settings that no longer validate (a time zone dropped from the
    system's database) count around the clock rather than stop the ingest of a message."""
    try:
        return BusinessCalendar.for_inbox(inbox)
    except ActionError:
        logger.warning("promises.bad_calendar", extra={"inbox_id": inbox.pk})
        return BusinessCalendar({}, "UTC")


@dataclass(frozen=True)
class DueTimes:
    response: datetime | None
    resolution: datetime | None


def due_times(
    inbox: Inbox,
    *,
    waiting_since: datetime | None,
    first_response_at: datetime | None,
    first_customer_message_at: datetime | None,
    resolved: bool,
) -> DueTimes:
    """When the waiting customer must be answered, and the conversation resolved.

    The first answer of a conversation has its own target; any later one the next-response
    target. A calendar that never opens gives no due time rather than an endless one.
    """
    calendar = _calendar(inbox)
    response = None
    if waiting_since is not None:
        is_first = first_response_at is None or first_response_at > waiting_since
        minutes = inbox.first_response_minutes if is_first else inbox.next_response_minutes
        if minutes is not None:
            response = calendar.add_minutes(waiting_since, minutes)
    resolution = None
    if not resolved and first_customer_message_at and inbox.resolution_minutes is not None:
        resolution = calendar.add_minutes(first_customer_message_at, inbox.resolution_minutes)
    return DueTimes(response, resolution)
