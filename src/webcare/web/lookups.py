"""What every inbox view looks up first: the person, the conversation they named, and the
list filters to carry back. One place, so every page scopes the same way (`access_*`: 404
outside your accounts)."""

from django.http import Http404, HttpRequest

from webcare.accounts.access import (
    access_account,
    access_conversation_by_display_id,
    access_message,
)
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation, Message


def request_user(request: HttpRequest) -> User:
    """The logged-in person (the views are behind login_required; this narrows the type)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404("Not logged in")
    return user


def load_conversation(
    request: HttpRequest, account_id: int, display_id: int
) -> tuple[User, Account, Conversation]:
    user = request_user(request)
    account = access_account(user, account_id)
    return user, account, access_conversation_by_display_id(user, account, display_id)


def load_message(
    request: HttpRequest, account_id: int, display_id: int, message_id: int
) -> tuple[User, Account, Conversation, Message]:
    """The conversation as `load_conversation` finds it, and one of its messages (404 for any
    other)."""
    user, account, conversation = load_conversation(request, account_id, display_id)
    message = access_message(user, message_id)
    if message.conversation_id != conversation.pk:
        raise Http404("No such message in this conversation")
    return user, account, conversation, message


def list_query(request: HttpRequest) -> str:
    """The list's filters as a query string, carried from page to page (never the cursor)."""
    params = request.GET.copy()
    params.pop("cursor", None)
    return params.urlencode()


def sort_query(request: HttpRequest, sort: str) -> str:
    """The list's filters with another order, from its first page."""
    params = request.GET.copy()
    params.pop("cursor", None)
    params["sort"] = sort
    return params.urlencode()
