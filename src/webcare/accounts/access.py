"""Tenant scoping: every lookup a person triggers goes through here.

An object in an account the user is not a member of does not exist for them (404, not 403),
so ids cannot be probed across brands.
"""

from django.db.models import QuerySet
from django.http import Http404

from webcare.accounts.models import Account, Membership, Role, Team, User
from webcare.conversations.models import Attachment, Conversation, Message
from webcare.inboxes.models import Inbox


def member_accounts(user: User) -> QuerySet[Account]:
    return Account.objects.filter(memberships__user=user)


def role_in(user: User, account_id: int) -> str | None:
    return (
        Membership.objects.filter(user=user, account_id=account_id)
        .values_list("role", flat=True)
        .first()
    )


def is_lead_or_admin(user: User, account_id: int) -> bool:
    return role_in(user, account_id) in (Role.ADMIN, Role.LEAD)


def access_account(user: User, account_id: int) -> Account:
    account = member_accounts(user).filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account")
    return account


def access_conversation(user: User, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("inbox", "contact", "assignee", "team", "merged_into")
        .filter(pk=conversation_id, account__memberships__user=user)
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation")
    return conversation


def access_conversation_by_display_id(
    user: User, account: Account, display_id: int
) -> Conversation:
    conversation = (
        Conversation.objects.select_related("inbox", "contact", "assignee", "team", "merged_into")
        .filter(account=account, display_id=display_id, account__memberships__user=user)
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation")
    return conversation


def access_message(user: User, message_id: int) -> Message:
    message = (
        Message.objects.select_related("conversation", "inbox")
        .filter(pk=message_id, account__memberships__user=user)
        .first()
    )
    if message is None:
        raise Http404("No such message")
    return message


def access_attachment(user: User, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("message")
        .filter(pk=attachment_id, message__account__memberships__user=user)
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment")
    return attachment


def access_inbox(user: User, inbox_id: int) -> Inbox:
    inbox = Inbox.objects.filter(pk=inbox_id, account__memberships__user=user).first()
    if inbox is None:
        raise Http404("No such inbox")
    return inbox


def access_member(user: User, account_id: int, member_id: int) -> User:
    """A colleague in the same account (for assignment)."""
    colleague = User.objects.filter(pk=member_id, memberships__account_id=account_id).first()
    if colleague is None:
        raise Http404("No such colleague")
    return colleague


def access_team(user: User, account_id: int, team_id: int) -> Team:
    """A team of the given account (for assignment); another account's team does not exist."""
    team = Team.objects.filter(
        pk=team_id, account_id=account_id, account__memberships__user=user
    ).first()
    if team is None:
        raise Http404("No such team")
    return team


def memberships(user: User) -> QuerySet[Membership]:
    """The user's accounts with their role in each, for `GET /api/v1/me`."""
    return Membership.objects.filter(user=user).select_related("account").order_by("account__name")


def member_inboxes(user: User, account_id: int | None = None) -> QuerySet[Inbox]:
    """The inboxes of the user's accounts, or of one of them."""
    inboxes = Inbox.objects.filter(account__memberships__user=user)
    if account_id is not None:
        inboxes = inboxes.filter(account_id=account_id)
    return inboxes.order_by("account_id", "name", "pk")


def access_membership(user: User, account_id: int) -> Membership:
    """The user's own membership of an account (availability, capacity); 404 outside it."""
    membership = (
        Membership.objects.select_related("account")
        .filter(user=user, account_id=account_id)
        .first()
    )
    if membership is None:
        raise Http404("No such account")
    return membership
