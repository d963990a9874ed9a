"""Writes to people, roles and API tokens."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from webcare.accounts.models import Account, ApiToken, Membership, Role, Team, User
from webcare.core.errors import ActionError

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
