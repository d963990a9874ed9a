"""Request and response shapes of the REST API; /api/openapi.json is generated from these.

The conversation list item mirrors `conversations.selectors.conversation_summary`, the shape
the live updates use too, so an integrator sees one shape wherever a conversation appears.
"""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from webcare.accounts.models import User
from webcare.conversations.models import Message, ModerationReason, NoReplyReason, Status
from webcare.conversations.selectors import MAX_LIMIT
from webcare.inboxes.models import Inbox

View = Literal["needs_reply", "mine", "unassigned", "escalated", "listening", "all"]


class ErrorOut(Schema):
    """Every error answer: a message fit to show, and the request field it is about (or null)."""

    error: str
    field: str | None = None


# Documented on every endpoint; the handlers in api/root.py produce them.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


# --- Conversations ---


class InboxRef(Schema):
    id: int
    name: str
    kind: str


class ContactRef(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    name: str


class TeamRef(Schema):
    id: int
    name: str


class PreviewOut(Schema):
    text: str = Field(description="The first 200 characters of the last message.")
    direction: str
    created_at: datetime


class ConversationOut(Schema):
    id: int
    display_id: int = Field(description="The conversation number shown in the UI (#123).")
    account: int
    inbox: InboxRef
    contact: ContactRef
    kind: str = Field(description="public_thread, direct_message or email_thread.")
    status: str = Field(description="open, pending, snoozed or resolved.")
    assignee: UserRef | None
    team: TeamRef | None
    priority: int = Field(description="0 none, 1 low, 2 medium, 3 high, 4 urgent.")
    triage_priority: int = Field(
        description="0-100: how urgent the most urgent waiting customer message is, from "
        "triage (intent, anger, reach, public, personal data in public); 0 when nobody waits "
        "or nothing is triaged yet. needs_reply is ordered by it unless sort=oldest."
    )
    triage_reasons: list[str] = Field(
        default_factory=list,
        description='Why, in words ("complaint", "very negative", "12k followers", "public").',
    )
    labels: list[str]
    message_count: int
    waiting_since: datetime | None = Field(
        description="When the oldest unanswered customer message was posted; null: nobody waits."
    )
    last_activity_at: datetime
    response_due_at: datetime | None = Field(
        description="When the waiting customer must have an answer (the inbox's target, "
        "counted in its business hours); null: nobody waits or no target."
    )
    resolution_due_at: datetime | None = Field(
        description="When the conversation must be resolved; null: no target or resolved."
    )
    escalated_at: datetime | None = Field(
        description="When a missed target escalated it to the team leads; null: not escalated."
    )
    skipped_at: datetime | None = Field(
        description="When the skipped alarm went: overdue while newer messages were answered."
    )
    proactive: bool = Field(
        description="Found by listening (names the brand without addressing it) and not taken "
        "up: in the listening view, not in needs_reply. POST .../take-up, or reply, to take it."
    )
    preview: PreviewOut | None


class ConversationPage(Schema):
    count: int = Field(description="How many conversations match, over all pages.")
    items: list[ConversationOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class ConversationQuery(Schema):
    view: View = Field(
        "needs_reply",
        description="needs_reply (most urgent first, see `sort`), mine, unassigned, escalated "
        "(longest escalated first), listening (posts found by listening, not taken up) or all "
        "(mine, unassigned, listening and all: newest activity first).",
    )
    sort: Literal["", "priority", "oldest"] = Field(
        "",
        description="needs_reply only: priority (the default: highest triage_priority first, "
        "then longest waiting) or oldest (longest waiting first).",
    )
    account: int | None = Field(None, description="Only this account; default: all of yours.")
    inbox: int | None = Field(None, description="Only this inbox.")
    label: str = Field("", description="Only conversations with this label.")
    q: str = Field("", description="Search contact names, handles and message text.")
    limit: int = Field(50, description=f"Items per page, 1 to {MAX_LIMIT}.")
    cursor: str | None = Field(None, description="The `next` of the previous page.")


class ContactSender(Schema):
    type: Literal["contact"] = "contact"
    id: int = Field(description="The contact identity (the customer's account on this inbox).")
    contact_id: int
    handle: str
    name: str


class UserSender(Schema):
    type: Literal["user"] = "user"
    id: int
    username: str
    name: str


class MessageOut(Schema):
    """One timeline entry: a customer message, our reply, an internal note or an activity."""

    id: int
    conversation_id: int
    direction: str = Field(description="inbound (from the customer) or outbound.")
    kind: str = Field(description="message, note (internal) or activity (audit entry).")
    text: str
    public: bool
    created_at: datetime = Field(description="When it was posted (the platform's time).")
    received_at: datetime = Field(description="When Webcare stored it.")
    external_id: str | None = Field(description="The platform's id of the message.")
    in_reply_to: int | None = Field(description="The id of the message this one answers.")
    sender: ContactSender | UserSender | None = Field(
        description="The customer's identity, or the colleague; null for the system."
    )
    delivery_status: str | None = Field(
        description=(
            "For replies: queued, sending, sent, delivered, read (WhatsApp), failed, or "
            "uncertain (sending was interrupted and a person decides: mark-sent or retry); "
            "null otherwise."
        )
    )
    delivery_error: str = Field(
        description="Why the last attempt failed, in words; empty when nothing went wrong."
    )
    template: dict[str, Any] | None = Field(
        None,
        description="A WhatsApp template reply: {name, language, parameters}; null otherwise.",
    )
    activity: dict[str, Any] | None = Field(
        description="For kind=activity: the change, e.g. {verb: assigned, from, to}."
    )
    reply_state: str | None = Field(
        description="For customer messages: waiting, answered (see answered_by) or "
        "no_reply_needed (see no_reply_reason); null for everything else."
    )
    answered_by: int | None = Field(description="The id of the reply that answered it.")
    no_reply_reason: str | None = Field(
        description="Why an agent said it needs no reply: " + ", ".join(NoReplyReason.values)
    )
    moderation: str | None = Field(
        description="A public comment the team hid or deleted on the platform: hidden or "
        "deleted; null while it is visible."
    )
    moderation_reason: str | None = Field(
        description="Why it was hidden or deleted: " + ", ".join(ModerationReason.values)
    )

    @staticmethod
    def resolve_moderation(message: Message) -> str | None:
        return message.moderation or None

    @staticmethod
    def resolve_moderation_reason(message: Message) -> str | None:
        return message.moderation_reason or None

    @staticmethod
    def resolve_reply_state(message: Message) -> str | None:
        return message.reply_state or None

    @staticmethod
    def resolve_answered_by(message: Message) -> int | None:
        return message.answered_by_id

    @staticmethod
    def resolve_no_reply_reason(message: Message) -> str | None:
        return message.no_reply_reason or None

    @staticmethod
    def resolve_in_reply_to(message: Message) -> int | None:
        return message.in_reply_to_id

    @staticmethod
    def resolve_delivery_status(message: Message) -> str | None:
        return message.delivery_status or None

    @staticmethod
    def resolve_sender(message: Message) -> dict[str, Any] | None:
        identity = message.sender_identity
        if identity is not None:
            return {
                "type": "contact",
                "id": identity.pk,
                "contact_id": identity.contact_id,
                "handle": identity.handle,
                "name": identity.display_name,
            }
        user = message.sender_user
        if user is not None:
            return {
                "type": "user",
                "id": user.pk,
                "username": user.username,
                "name": user.display_name(),
            }
        return None


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut] = Field(description="The timeline, oldest first.")


class CollisionOut(ErrorOut):
    """409 from the replies endpoint: a colleague answered first. Their replies, oldest first."""

    code: str = Field("collision", description="Always `collision`.")
    replies: list[MessageOut]


class TextIn(Schema):
    text: str


class TemplateIn(Schema):
    """An approved WhatsApp template, sent instead of free text (e.g. outside the 24 hours)."""

    name: str = Field(description="The template's name, as Meta approved it.")
    language: str = Field(description='Its language code, e.g. "nl" or "en_US".')
    parameters: list[str] = Field(
        default_factory=list,
        description="One value per placeholder of its body, in order ({{1}}, {{2}}, ...).",
    )


class TemplateOut(Schema):
    """An approved WhatsApp template the conversation's inbox can send."""

    name: str
    language: str = Field(description='Meta\'s language code, e.g. "nl" or "en_US".')
    category: str
    body: str = Field(description="The body text, with placeholders {{1}}, {{2}}, ...")
    parameter_count: int = Field(description="How many `parameters` a send must carry.")


class ReplyIn(Schema):
    text: str = Field(
        "", description="The reply. Leave it empty when sending a WhatsApp `template`."
    )
    template: TemplateIn | None = Field(
        None,
        description=(
            "WhatsApp only: send this approved template instead of `text`. Outside the "
            "24-hour window it is the only reply WhatsApp takes; the reply's text is then the "
            "rendered template body. GET /conversations/{id}/templates lists them."
        ),
    )
    expected_last_message_id: int = Field(
        description=(
            "The id of the newest message of this conversation you have seen (any kind: the "
            "customer's, a reply, a note). If a colleague replied after it, the reply is "
            "refused with 409 and their reply, so the customer never gets two answers."
        )
    )
    send_anyway: bool = Field(
        False,
        description="Send even though a colleague replied since: an explicit, audited override.",
    )
    private: bool = Field(
        False,
        description="Facebook and Instagram: answer the customer's public comment with a "
        "private message (once per comment, within 7 days of it) instead of in public.",
    )


class AssignmentIn(Schema):
    assignee_id: int | None = Field(
        None, description="A member of the conversation's account; null unassigns."
    )
    team_id: int | None = Field(
        None, description="A team of the conversation's account; null keeps the current team."
    )


class StatusIn(Schema):
    status: Status
    snoozed_until: datetime | None = Field(
        None, description="Required with status snoozed: a future time with a time zone."
    )
    no_reply_reason: NoReplyReason | None = Field(
        None,
        description="Required to leave `open` while customers still wait (else 409): why "
        "their messages need no reply; recorded on each of them.",
    )


class NoReplyIn(Schema):
    reason: NoReplyReason = Field(description="Why no reply is needed.")
    messages: list[int] | None = Field(
        None, description="The waiting customer messages to settle; default: all of them."
    )


class PriorityIn(Schema):
    priority: int = Field(ge=0, le=4, description="0 none, 1 low, 2 medium, 3 high, 4 urgent.")


class LabelsIn(Schema):
    labels: list[str] = Field(min_length=1, description="Names; new names create the label.")


# --- The caller and its inboxes ---


class AccountRef(Schema):
    id: int
    name: str


class MembershipOut(Schema):
    account: AccountRef
    role: str = Field(description="agent, lead or admin.")


class MeUserOut(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(user: User) -> str:
        return user.display_name()


class MeOut(Schema):
    user: MeUserOut
    memberships: list[MembershipOut]


class InboxOut(Schema):
    id: int
    kind: str
    name: str
    handle: str
    account: int

    @staticmethod
    def resolve_account(inbox: Inbox) -> int:
        return inbox.account_id


class ModerationIn(Schema):
    reason: str = Field(
        "",
        description="Why (required to hide or delete): " + ", ".join(ModerationReason.values),
    )
