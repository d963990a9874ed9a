"""Bearer-token authentication for the REST API.

Tokens come from `webcare token create <username>`; only their hash is stored, so a leaked
database does not leak working tokens. The token acts as its user: it sees exactly the
accounts that user is a member of.
"""

from typing import cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from webcare.accounts.actions import authenticate_token
from webcare.accounts.models import User


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; ninja answers 401 when this returns None."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token.strip():
            return None
        return authenticate_token(token)


def actor(request: HttpRequest) -> User:
    """The user behind the request's token (ninja sets `request.auth` once auth succeeded)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]
