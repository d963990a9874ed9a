"""Writes to people, roles and API tokens."""

import hashlib
import logging
import secrets

from django.db import transaction
from django.utils import timezone

from webcare.accounts.models import Account, ApiToken, Availability, Membership, Role, Team, User
from webcare.conversations import assignment
from webcare.core.errors import ActionError

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "wc_"  # noqa: S105 (a visible prefix, not a secret)


def get_or_create_account(name: str) -> Account:
    name = name.strip()
    if not name:
        raise ActionError("An account needs a name.", field="account")
    account, _ = Account.objects.get_or_create(name=name)
    return account


@transaction.atomic
def do_add_user(
    username: str, account: Account, role: str, password: str, *, full_name: str = ""
) -> User:
    """Create the user (or reuse an existing one) and give them `role` in `account`."""
    if role not in Role.values:
        raise ActionError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    user = User.objects.filter(username=username).first()
    if user is None:
        first, _, last = full_name.partition(" ")
        user = User.objects.create_user(
            username=username, password=password, first_name=first, last_name=last
        )
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    Membership.objects.update_or_create(user=user, account=account, defaults={"role": role})
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User) -> str:
    """A new bearer token for `user`; only its hash is kept, so this is the only copy."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=_hash(token), prefix=token[:10])
    return token


def authenticate_token(token: str) -> User | None:
    api_token = (
        ApiToken.objects.select_related("user").filter(key_hash=_hash(token.strip())).first()
    )
    if api_token is None or not api_token.user.is_active:
        return None
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
    return api_token.user


def do_set_language(user: User, language: str) -> None:
    """Pick the language the UI speaks to `user`, whatever their browser asks for."""
    if language not in User.Language.values:
        raise ActionError(
            f"Unknown language {language!r}; use one of {', '.join(User.Language.values)}.",
            field="language",
        )
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


@transaction.atomic
def do_add_team(account: Account, name: str, members: list[User]) -> Team:
    """Create the team (or reuse it) and add `members`; members already in it stay as they are."""
    name = name.strip()
    if not name:
        raise ActionError("A team needs a name.", field="name")
    team, _ = Team.objects.get_or_create(account=account, name=name)
    team.members.add(*members)
    return team


# A person's own cap on open conversations; above this round-robin stops being a queue.
MAX_CAPACITY = 100


def _check_availability(availability: str) -> None:
    if availability not in Availability.values:
        raise ActionError(
            f"Unknown availability {availability!r}; use one of {', '.join(Availability.values)}.",
            field="availability",
        )


def _check_capacity(capacity: int) -> None:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise ActionError("capacity must be a whole number.", field="capacity")
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ActionError(
            f"capacity must be between 0 and {MAX_CAPACITY}; got {capacity}.", field="capacity"
        )


@transaction.atomic
def check_set_availability(
    membership: Membership, availability: str, capacity: int | None = None
) -> Membership:
    """Availability and, when given, capacity at once: both valid, or neither changes."""
    _check_availability(availability)
    if capacity is not None:
        _check_capacity(capacity)
    # Availability first: someone going offline is not first filled up to a new capacity.
    do_set_availability(membership, availability)
    if capacity is not None:
        do_set_capacity(membership, capacity)
    return membership


@transaction.atomic
def do_set_availability(membership: Membership, availability: str) -> Membership:
    """Say whether round-robin may hand this person new conversations in this account.

    Online takes up waiting conversations at once (up to capacity); away keeps what one has
    and gets nothing new; offline hands one's open conversations back to their teams, so no
    customer waits on someone who has gone home.
    """
    _check_availability(availability)
    previous = membership.availability
    if previous == availability:
        return membership
    # Routing locks first (teams, then memberships), the order every routing path takes.
    assignment.lock_routing(membership)
    membership.availability = availability
    membership.save(update_fields=["availability"])
    logger.info(
        "membership.availability_changed",
        extra={
            "account_id": membership.account_id,
            "user_id": membership.user_id,
            "from": previous,
            "to": availability,
        },
    )
    if availability == Availability.OFFLINE:
        assignment.return_to_team(membership)
    elif availability == Availability.ONLINE:
        assignment.fill_capacity(membership)
    return membership


@transaction.atomic
def do_set_capacity(membership: Membership, capacity: int) -> Membership:
    """How many open conversations round-robin may give this person at most.

    Lowering it takes nothing away (they finish what they have); raising it fills the new
    room straight away when they are online.
    """
    _check_capacity(capacity)
    if membership.capacity == capacity:
        return membership
    assignment.lock_routing(membership)
    membership.capacity = capacity
    membership.save(update_fields=["capacity"])
    logger.info(
        "membership.capacity_changed",
        extra={
            "account_id": membership.account_id,
            "user_id": membership.user_id,
            "capacity": capacity,
        },
    )
    if membership.availability == Availability.ONLINE:
        assignment.fill_capacity(membership)
    return membership


def do_set_auto_assign(team: Team, auto_assign: bool) -> Team:
    """Switch round-robin for the team's inboxes on or off (new conversations from then on)."""
    if team.auto_assign != auto_assign:
        team.auto_assign = auto_assign
        team.save(update_fields=["auto_assign"])
    return team
