"""`/api/v1/me` and `/api/v1/inboxes`: who the token is, and where it can work.

Small, but it is what an integrator calls first: to check a token, and to find the account
and inbox ids the other endpoints take.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from webcare.accounts.access import access_account, member_inboxes, memberships
from webcare.api.auth import actor
from webcare.api.schemas import ERRORS, InboxOut, MeOut
from webcare.inboxes.models import Inbox

router = Router(tags=["me"])


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The token's user and accounts")
def me(request: HttpRequest) -> dict[str, Any]:
    user = actor(request)
    return {"user": user, "memberships": list(memberships(user))}


@router.get("/inboxes", response={200: list[InboxOut], **ERRORS}, summary="List inboxes")
def inboxes(request: HttpRequest, account: int | None = None) -> list[Inbox]:
    """The inboxes of your accounts, or of `account` only."""
    user = actor(request)
    account_id = access_account(user, account).pk if account is not None else None
    return list(member_inboxes(user, account_id))
