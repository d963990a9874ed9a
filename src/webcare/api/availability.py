"""`/api/v1/me/availability`: whether round-robin may hand the caller new conversations.

Per account, since one person can be online for one brand and offline for another. A
workforce or telephony tool calls PUT when an agent's shift starts or ends; going offline
hands the agent's open conversations back to their teams.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from webcare.accounts.access import access_membership, memberships
from webcare.accounts.actions import MAX_CAPACITY, check_set_availability
from webcare.accounts.models import Membership
from webcare.api.auth import actor
from webcare.api.schemas import ERRORS, AccountRef
from webcare.conversations.assignment import open_count

router = Router(tags=["me"])


class AvailabilityOut(Schema):
    account: AccountRef
    availability: str = Field(description="online, away or offline.")
    capacity: int = Field(description="At most this many open conversations by round-robin.")
    open_conversations: int = Field(description="Open conversations assigned to you now.")


class AvailabilityIn(Schema):
    account: int = Field(description="The account (brand) this is about; see GET /api/v1/me.")
    # A plain string, so that a wrong value is a 400 naming the field with the allowed values.
    availability: str = Field(
        description=(
            "online: you get new conversations; away: you keep yours but get none; "
            "offline: your open conversations go back to the team."
        ),
        examples=["online"],
    )
    capacity: int | None = Field(
        default=None, description=f"0 to {MAX_CAPACITY}; leave out to keep the current one."
    )


def _out(membership: Membership) -> dict[str, Any]:
    return {
        "account": membership.account,
        "availability": membership.availability,
        "capacity": membership.capacity,
        "open_conversations": open_count(membership),
    }


@router.get(
    "/me/availability",
    response={200: list[AvailabilityOut], **ERRORS},
    summary="Your availability per account",
)
def get_availability(request: HttpRequest, account: int | None = None) -> list[dict[str, Any]]:
    """Your availability and capacity in each of your accounts, or in `account` only."""
    user = actor(request)
    if account is not None:
        return [_out(access_membership(user, account))]
    return [_out(membership) for membership in memberships(user)]


@router.put(
    "/me/availability",
    response={200: AvailabilityOut, **ERRORS},
    summary="Set your availability (and capacity) in an account",
)
def put_availability(request: HttpRequest, payload: AvailabilityIn) -> dict[str, Any]:
    """Online takes up waiting conversations at once; offline returns yours to the team."""
    membership = access_membership(actor(request), payload.account)
    check_set_availability(membership, payload.availability, payload.capacity)
    return _out(membership)
