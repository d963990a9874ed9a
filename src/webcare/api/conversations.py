"""`/api/v1/conversations`: the inbox views, one conversation's timeline, and the changes an
agent makes to it. Thin on purpose: access_* scopes, selectors read, actions write.

Every write answers with the state re-read after the change, so a client never has to
guess what the server made of its request.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from webcare.accounts.access import (
    access_account,
    access_conversation,
    access_inbox,
    access_member,
    access_team,
    member_accounts,
)
from webcare.accounts.models import User
from webcare.api.auth import actor
from webcare.api.schemas import (
    ERRORS,
    AssignmentIn,
    CollisionOut,
    ConversationDetailOut,
    ConversationOut,
    ConversationPage,
    ConversationQuery,
    LabelsIn,
    MessageOut,
    NoReplyIn,
    PriorityIn,
    ReplyIn,
    StatusIn,
    TemplateOut,
    TextIn,
)
from webcare.conversations.actions import (
    check_add_labels,
    check_add_note,
    check_change_status,
    check_remove_label,
    check_set_priority,
    check_settle_no_reply,
    do_assign,
    do_take_up,
)
from webcare.conversations.models import Conversation, Message
from webcare.conversations.selectors import (
    ConversationFilter,
    conversation_summary,
    conversations,
    page,
    timeline,
)
from webcare.core.errors import ActionError
from webcare.inboxes.models import MessageTemplate
from webcare.replies.actions import ReplyCollision, check_send_reply
from webcare.replies.templates import approved_templates, check_send_template
from webcare.triage.models import TriageResult
from webcare.triage.selectors import top_waiting_results

router = Router(tags=["conversations"])


def _account_ids(user: User, account_id: int | None) -> list[int]:
    if account_id is not None:
        return [access_account(user, account_id).pk]
    return [account.pk for account in member_accounts(user)]


def _summary(user: User, conversation_id: int) -> dict[str, Any]:
    return conversation_summary(access_conversation(user, conversation_id))


def _entry(conversation: Conversation, message_id: int) -> Message:
    """One timeline entry as it is now (a sandbox reply may already be delivered)."""
    return timeline(conversation).get(pk=message_id)


@router.get("", response={200: ConversationPage, **ERRORS}, summary="List conversations")
def list_conversations(request: HttpRequest, filters: Query[ConversationQuery]) -> dict[str, Any]:
    """One page of a view, with the total count and the cursor of the next page."""
    user = actor(request)
    account_ids = _account_ids(user, filters.account)
    inbox_id = access_inbox(user, filters.inbox).pk if filters.inbox is not None else None
    selection = ConversationFilter(
        view=filters.view, inbox_id=inbox_id, label=filters.label, q=filters.q, sort=filters.sort
    )
    matching = conversations(user, account_ids, selection)
    items, next_cursor = page(
        matching, selection.view, filters.limit, filters.cursor, selection.sort
    )
    triage = top_waiting_results([conversation.pk for conversation in items])
    return {
        "count": matching.order_by().count(),
        "items": [
            {**conversation_summary(c), "triage_reasons": _reasons(triage.get(c.pk))} for c in items
        ],
        "next": next_cursor,
    }


def _reasons(result: TriageResult | None) -> list[str]:
    return list(result.reasons) if result is not None else []


@router.get(
    "/{conversation_id}",
    response={200: ConversationDetailOut, **ERRORS},
    summary="Get a conversation with its timeline",
)
def get_conversation(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    conversation = access_conversation(actor(request), conversation_id)
    return {**conversation_summary(conversation), "messages": list(timeline(conversation))}


@router.post(
    "/{conversation_id}/replies",
    response={201: MessageOut, **ERRORS, 409: CollisionOut},
    summary="Reply to the customer",
)
def send_reply(request: HttpRequest, conversation_id: int, payload: ReplyIn) -> Status[Any]:
    """Queue a reply on the conversation's channel; `delivery_status` tells how it went.

    With `template` (WhatsApp), the approved template goes instead of free text.
    409 with the colleague's reply when someone answered after `expected_last_message_id`.
    """
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    try:
        if payload.template is not None:
            message = check_send_template(
                user,
                conversation,
                payload.template.name,
                payload.template.language,
                payload.template.parameters,
                expected_last_message_id=payload.expected_last_message_id,
                send_anyway=payload.send_anyway,
            )
        else:
            message = check_send_reply(
                user,
                conversation,
                payload.text,
                expected_last_message_id=payload.expected_last_message_id,
                send_anyway=payload.send_anyway,
                private_reply=payload.private,
            )
    except ReplyCollision as exc:
        replies = timeline(conversation).filter(pk__in=[reply.pk for reply in exc.replies])
        return Status(
            409, {"error": exc.message, "field": None, "code": "collision", "replies": replies}
        )
    return Status(201, _entry(conversation, message.pk))


@router.get(
    "/{conversation_id}/templates",
    response={200: list[TemplateOut], **ERRORS},
    summary="List the WhatsApp templates a reply can use",
)
def list_templates(request: HttpRequest, conversation_id: int) -> list[MessageTemplate]:
    """The inbox's approved templates, those in the customer's language first; empty for
    channels without templates. Send one with `template` on POST .../replies."""
    conversation = access_conversation(actor(request), conversation_id)
    return approved_templates(conversation)


@router.post(
    "/{conversation_id}/notes",
    response={201: MessageOut, **ERRORS},
    summary="Add an internal note",
)
def add_note(request: HttpRequest, conversation_id: int, payload: TextIn) -> Status[Message]:
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    note = check_add_note(user, conversation, payload.text)
    return Status(201, _entry(conversation, note.pk))


@router.post(
    "/{conversation_id}/assignment",
    response={200: ConversationOut, **ERRORS},
    summary="Assign to a colleague and/or a team",
)
def assign(request: HttpRequest, conversation_id: int, payload: AssignmentIn) -> dict[str, Any]:
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    assignee = (
        access_member(user, conversation.account_id, payload.assignee_id)
        if payload.assignee_id is not None
        else None
    )
    team = (
        access_team(user, conversation.account_id, payload.team_id)
        if payload.team_id is not None
        else None
    )
    do_assign(user, conversation, assignee, team)
    return _summary(user, conversation_id)


@router.post(
    "/{conversation_id}/status",
    response={200: ConversationOut, **ERRORS},
    summary="Change the status (open, pending, snoozed, resolved)",
)
def change_status(request: HttpRequest, conversation_id: int, payload: StatusIn) -> dict[str, Any]:
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    check_change_status(
        user, conversation, payload.status, payload.snoozed_until, payload.no_reply_reason or ""
    )
    return _summary(user, conversation_id)


@router.post(
    "/{conversation_id}/no-reply-needed",
    response={200: ConversationOut, **ERRORS},
    summary="Settle waiting customer messages that need no reply",
)
def no_reply_needed(
    request: HttpRequest, conversation_id: int, payload: NoReplyIn
) -> dict[str, Any]:
    """Take waiting customer messages out of Needs reply with a reason (all of them, or the
    ones named); 409 when a named message is not waiting or nobody waits."""
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    check_settle_no_reply(user, conversation, payload.messages, payload.reason)
    return _summary(user, conversation_id)


@router.post(
    "/{conversation_id}/take-up",
    response={200: ConversationOut, **ERRORS},
    summary="Take up a post found by listening",
)
def take_up(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    """Move a proactive conversation into Needs reply, assigned to you if nobody has it;
    409 when it is no longer proactive (a colleague or the customer was first)."""
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    if not do_take_up(user, conversation):
        raise ActionError("This conversation is not (or no longer) in Listening.", status=409)
    return _summary(user, conversation_id)


@router.post(
    "/{conversation_id}/priority",
    response={200: ConversationOut, **ERRORS},
    summary="Set the priority",
)
def set_priority(request: HttpRequest, conversation_id: int, payload: PriorityIn) -> dict[str, Any]:
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    check_set_priority(user, conversation, payload.priority)
    return _summary(user, conversation_id)


@router.post(
    "/{conversation_id}/labels",
    response={200: ConversationOut, **ERRORS},
    summary="Add labels",
)
def add_labels(request: HttpRequest, conversation_id: int, payload: LabelsIn) -> dict[str, Any]:
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    check_add_labels(user, conversation, payload.labels)
    return _summary(user, conversation_id)


@router.delete(
    "/{conversation_id}/labels/{name}",
    response={200: ConversationOut, **ERRORS},
    summary="Remove a label",
)
def remove_label(request: HttpRequest, conversation_id: int, name: str) -> dict[str, Any]:
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    check_remove_label(user, conversation, name)
    return _summary(user, conversation_id)
