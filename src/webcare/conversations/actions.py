"""Every write to conversations and messages, so the invariants live in one place.

`receive_message` is the one door through which customer messages (and the brand's own posts
made elsewhere) enter, whatever the source. The `do_*` functions make the changes a person
asks for; each writes an activity entry in the timeline, which is the audit record.
"""

import hashlib
import logging
import re
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from webcare.accounts.models import Account, Team, User
from webcare.channels.adapters.base import InboundAttachment, InboundMessage
from webcare.channels.models import RawInboundEvent
from webcare.contacts.actions import upsert_identity
from webcare.contacts.models import ContactIdentity
from webcare.conversations import accounting, assignment, listening, promises, reply_tokens
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import (
    Attachment,
    Conversation,
    ConversationKind,
    DeliveryStatus,
    Direction,
    Label,
    Message,
    MessageKind,
    NoReplyReason,
    Priority,
    ReplyState,
    Status,
    attachment_kind,
)
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox, InboxKind

logger = logging.getLogger(__name__)


def next_display_id(account_id: int) -> int:
    """Hand out the account's next conversation number; the row lock serialises callers."""
    Account.objects.filter(pk=account_id).update(conversation_counter=F("conversation_counter") + 1)
    return Account.objects.values_list("conversation_counter", flat=True).get(pk=account_id)


def _conversation_kind(inbox: Inbox, public: bool) -> str:
    if inbox.kind == InboxKind.EMAIL:
        return ConversationKind.EMAIL_THREAD
    return ConversationKind.PUBLIC_THREAD if public else ConversationKind.DIRECT_MESSAGE


def _dm_thread_key(author_id: str) -> str:
    """Private messages with one person on one inbox form one conversation, reopened as needed."""
    return f"dm:{author_id}"


def _create_conversation(
    inbox: Inbox,
    identity: ContactIdentity,
    kind: str,
    thread_id: str,
    at: datetime,
    *,
    proactive: bool = False,
) -> Conversation:
    return Conversation.objects.create(
        account_id=inbox.account_id,
        inbox=inbox,
        contact_id=identity.contact_id,
        display_id=next_display_id(inbox.account_id),
        kind=kind,
        external_thread_id=thread_id,
        last_activity_at=at,
        proactive=proactive,
    )


def _followed(conversation: Conversation) -> Conversation:
    """The conversation itself, or the one it was merged into."""
    if conversation.merged_into_id:
        return Conversation.objects.get(pk=conversation.merged_into_id)
    return conversation


def _thread_for(
    inbox: Inbox, msg: InboundMessage, identity: ContactIdentity | None
) -> tuple[Conversation | None, Message | None]:
    """Find where `msg` belongs: its parent's conversation, else an older message it refers
    to (e-mail References, newest first), else the conversation its reply address names,
    else its platform thread."""
    known = [msg.in_reply_to] if msg.in_reply_to else []
    known += [ref for ref in reversed(msg.references) if ref and ref != msg.in_reply_to]
    for external_id in known:
        parent = (
            Message.objects.select_related("conversation")
            .filter(inbox=inbox, external_id=external_id)
            .first()
        )
        if parent is not None:
            return _followed(parent.conversation), parent
    if msg.reply_token:
        named = reply_tokens.conversation_for(inbox, msg.reply_token)
        if named is not None:
            return _followed(named), None
    thread_id = msg.thread_id
    if thread_id is None and not msg.public and identity is not None:
        thread_id = _dm_thread_key(identity.external_id)
    if thread_id:
        conversation = Conversation.objects.filter(
            inbox=inbox, external_thread_id=thread_id
        ).first()
        if conversation is not None:
            return conversation, None
    return None, None


def _waiting_children(inbox: Inbox, external_id: str) -> list[Message]:
    """Messages that named `external_id` as their parent before it arrived."""
    return list(
        Message.objects.select_related("conversation").filter(
            inbox=inbox, in_reply_to_external_id=external_id, in_reply_to__isnull=True
        )
    )


def _new_thread_key(inbox: Inbox, msg: InboundMessage, identity: ContactIdentity | None) -> str:
    if msg.thread_id:
        return msg.thread_id
    if not msg.public and identity is not None:
        return _dm_thread_key(identity.external_id)
    if msg.in_reply_to:
        # Its root is unknown until the parent arrives; keep the key free for that root.
        return ""
    return msg.external_id


def _reply_state(msg: InboundMessage, unprompted: bool) -> dict[str, object]:
    """The reply-state columns a new message starts with: ours have none, a customer's
    waits, a post found by listening is settled as unprompted (conversations/listening.py),
    and an automatic message (an auto-reply, a list mail) as automated."""
    if msg.from_brand:
        return {"reply_state": ReplyState.NONE}
    if unprompted:
        return listening.unprompted_state()
    if msg.automated:
        return {
            "reply_state": ReplyState.NO_REPLY_NEEDED,
            "no_reply_reason": NoReplyReason.AUTOMATED,
            "settled_at": timezone.now(),
        }
    return {"reply_state": ReplyState.WAITING}


def receive_message(
    inbox: Inbox, msg: InboundMessage, raw_event: RawInboundEvent | None = None
) -> tuple[Message, bool]:
    """Thread one platform message into its conversation. Idempotent on (inbox, external id).

    Never drops a message: one whose parent is unknown starts a conversation of its own, and is
    moved under its parent when the parent arrives. New customer messages reopen resolved,
    pending and snoozed conversations. Returns the message and whether it was new.
    """
    existing = Message.objects.filter(inbox=inbox, external_id=msg.external_id).first()
    if existing is not None:
        return existing, False
    if msg.bounce_of:
        bounced = _receive_bounce(inbox, msg)
        if bounced is not None:
            return bounced, False
        # A bounce of a mail we did not send: kept as an (automatic) message below.
    try:
        with transaction.atomic():
            return _receive_new(inbox, msg, raw_event), True
    except IntegrityError:
        # The same message raced in through another worker or a webhook redelivery.
        existing = Message.objects.filter(inbox=inbox, external_id=msg.external_id).first()
        if existing is None:
            raise
        return existing, False


def _receive_new(inbox: Inbox, msg: InboundMessage, raw_event: RawInboundEvent | None) -> Message:
    identity = None if msg.from_brand else upsert_identity(inbox, msg.author)
    conversation, parent = _thread_for(inbox, msg, identity)
    children = _waiting_children(inbox, msg.external_id)
    if conversation is None and children:
        # The parent of earlier orphans: join the oldest orphan's conversation.
        conversation = _followed(min((c.conversation for c in children), key=lambda c: c.pk))
    if conversation is None:
        if identity is None:
            identity = upsert_identity(inbox, msg.author)  # a brand post with nothing above it
        conversation = _create_conversation(
            inbox,
            identity,
            _conversation_kind(inbox, msg.public),
            _new_thread_key(inbox, msg, identity),
            msg.created_at,
            proactive=msg.unprompted,
        )
        # Nobody is handed an auto-reply or a list mail: nothing in it waits for an answer.
        if not conversation.proactive and not msg.automated:
            assignment.route_new_conversation(conversation)
    else:
        # Serialise with status changes (do_change_status locks the same row): either they
        # see this message waiting, or it sees their status and reopens the conversation.
        conversation.status = (
            Conversation.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=conversation.pk)
        )
    if not conversation.external_thread_id and not msg.in_reply_to and msg.public:
        conversation.external_thread_id = msg.external_id
        conversation.save(update_fields=["external_thread_id"])
    unprompted = conversation.proactive and msg.unprompted and not msg.from_brand
    # The customer addressed us after all: an ordinary conversation from now on.
    woken = conversation.proactive and not unprompted and not msg.from_brand
    if woken:
        listening.end_proactive(conversation)

    message = Message.objects.create(
        account_id=inbox.account_id,
        conversation=conversation,
        inbox=inbox,
        direction=Direction.OUTBOUND if msg.from_brand else Direction.INBOUND,
        kind=MessageKind.MESSAGE,
        external_id=msg.external_id,
        in_reply_to=parent,
        in_reply_to_external_id=msg.in_reply_to or "",
        sender_identity=identity if not msg.from_brand else None,
        text=msg.text,
        subject=msg.subject[:500],
        html=msg.html,
        mail_headers=msg.headers,
        automated=msg.automated[:200],
        public=msg.public,
        created_at=msg.created_at,
        delivery_status=DeliveryStatus.DELIVERED if msg.from_brand else DeliveryStatus.NONE,
        raw_event=raw_event,
        **_reply_state(msg, unprompted),
    )
    for attachment in msg.attachments:
        store_attachment(message, attachment)
    for child in children:
        child.in_reply_to = message
        child.save(update_fields=["in_reply_to"])
        if child.conversation_id != conversation.pk:
            merge_conversations(child.conversation, into=conversation)

    if (
        not msg.from_brand
        and not unprompted
        and not msg.automated
        and conversation.status != Status.OPEN
    ):
        _reopen(conversation)
    if conversation.inbox_id == inbox.pk:
        conversation.inbox = inbox  # spares refresh a query for the inbox's promises
    # A customer message that arrives after our last reply (nearly all of them) changes no
    # other message's state, so the full recount is only needed when something could.
    settle = (
        msg.from_brand or woken or bool(children) or accounting.answered_after(conversation, msg)
    )
    refresh_conversation_state(conversation, settle=settle, status_is_current=True)
    conversation_changed(conversation, "message")
    logger.debug(
        "message.received",
        extra={"conversation_id": conversation.pk, "message_id": message.pk},
    )
    return message


_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f/\\]+")


def store_attachment(message: Message, attachment: InboundAttachment) -> Attachment:
    """Keep one file of a message; the content is stored once, named after its hash."""
    digest = hashlib.sha256(attachment.content).hexdigest()
    name = f"attachments/{digest[:2]}/{digest}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(attachment.content))
    filename = _UNSAFE_FILENAME.sub("_", attachment.filename).strip(" .")[:255]
    mime_type = (attachment.mime_type or "application/octet-stream").lower()[:150]
    return Attachment.objects.create(
        message=message,
        kind=attachment_kind(mime_type),
        mime_type=mime_type,
        filename=filename,
        size=len(attachment.content),
        sha256=digest,
        file=name,
    )


def _receive_bounce(inbox: Inbox, msg: InboundMessage) -> Message | None:
    """A delivery status notification about one of our replies: the reply failed.

    Returns the reply, or None when the bounced mail is not one we sent.
    """
    reply = (
        Message.objects.select_related("conversation")
        .filter(
            inbox=inbox,
            external_id=msg.bounce_of,
            direction=Direction.OUTBOUND,
            kind=MessageKind.MESSAGE,
        )
        .first()
    )
    if reply is None:
        return None
    do_record_bounce(reply, msg.bounce_reason)
    return reply


@transaction.atomic
def do_record_bounce(reply: Message, reason: str) -> None:
    """The recipient's mail server returned our reply: it failed, shown on the reply with
    the server's reason, and the customer it answered waits again."""
    conversation = reply.conversation
    Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk").get()
    Message.objects.filter(pk=reply.pk).update(
        delivery_status=DeliveryStatus.FAILED,
        delivery_error=f"Returned by the recipient's mail server: {reason}"[:2000],
        next_attempt_at=None,
    )
    record_activity(conversation, None, "bounced", {"message": reply.pk, "reason": reason[:300]})
    refresh_conversation_state(conversation)
    conversation_changed(conversation, "delivery")
    logger.warning("reply.bounced", extra={"message_id": reply.pk, "reason": reason[:300]})


def _reopen(conversation: Conversation, by: str = "customer") -> None:
    previous = conversation.status
    conversation.status = Status.OPEN
    conversation.snoozed_until = None
    conversation.save(update_fields=["status", "snoozed_until"])
    record_activity(conversation, None, "reopened", {"from": previous, "to": Status.OPEN, "by": by})


def merge_conversations(source: Conversation, *, into: Conversation) -> None:
    """Move everything of `source` into `into`; `source` stays, resolved, pointing at `into`."""
    if source.pk == into.pk:
        return
    Message.objects.filter(conversation=source).update(conversation=into)
    into.labels.add(*source.labels.all())
    if into.assignee_id is None and source.assignee_id is not None:
        into.assignee_id = source.assignee_id
    if into.team_id is None and source.team_id is not None:
        into.team_id = source.team_id
    into.priority = max(into.priority, source.priority)
    into.save(update_fields=["assignee", "team", "priority"])
    source.status = Status.RESOLVED
    source.snoozed_until = None
    source.merged_into = into
    source.external_thread_id = ""
    source.save(update_fields=["status", "snoozed_until", "merged_into", "external_thread_id"])
    Conversation.objects.filter(merged_into=source).update(merged_into=into)
    refresh_conversation_state(source)
    record_activity(into, None, "merged", {"from": source.display_id})
    conversation_changed(source, "merged")


def refresh_conversation_state(
    conversation: Conversation, *, settle: bool = True, status_is_current: bool = False
) -> None:
    """Recompute the denormalised columns, and the customer messages' reply states.

    Derived rather than incremented so that late, out-of-order and merged messages always
    leave the right answer: a customer message is answered by our first reply at or after it
    that did not fail (nor may have failed: `uncertain`), unless an agent settled it as
    needing no reply; waiting_since is the oldest one still waiting. A conversation with a
    waiting customer is always open: if a reply fails after it was resolved, it reopens.

    `settle=False` skips recounting the reply states, for a caller that knows none changed;
    `status_is_current` says the caller holds the row lock and `conversation.status` is the
    database's, so it need not be read again.
    """
    if settle:
        accounting.settle_answers(conversation)
    is_message = Q(kind=MessageKind.MESSAGE)
    is_reply = (
        is_message
        & Q(direction=Direction.OUTBOUND)
        & ~Q(delivery_status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN])
    )
    totals = Message.objects.filter(conversation=conversation).aggregate(
        first_reply=Min("created_at", filter=is_reply),
        count=Count("pk", filter=is_message),
        last_activity=Max("created_at"),
        waiting_since=Min(
            "created_at",
            filter=Q(direction=Direction.INBOUND, reply_state=ReplyState.WAITING),
        ),
        first_inbound=Min("created_at", filter=Q(direction=Direction.INBOUND)),
        # Triage results are written by the worker; one not there yet counts for nothing.
        top_priority=Max(
            "triage__priority",
            filter=Q(direction=Direction.INBOUND, reply_state=ReplyState.WAITING),
        ),
    )
    messages = Message.objects.filter(is_message, conversation=conversation)

    conversation.waiting_since = totals["waiting_since"]
    conversation.first_response_at = totals["first_reply"]
    conversation.message_count = totals["count"]
    conversation.triage_priority = totals["top_priority"] or 0
    conversation.last_message_id = (
        messages.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    )
    conversation.last_activity_at = totals["last_activity"] or conversation.last_activity_at
    due = promises.due_times(
        conversation.inbox,
        waiting_since=conversation.waiting_since,
        first_response_at=conversation.first_response_at,
        first_customer_message_at=totals["first_inbound"],
        resolved=conversation.status == Status.RESOLVED,
    )
    fields = [
        "waiting_since",
        "first_response_at",
        "message_count",
        "last_message",
        "last_activity_at",
        "response_due_at",
        "resolution_due_at",
        "triage_priority",
    ]
    if due.response != conversation.response_due_at:
        # A new wait (or none): the warning and the skipped alarm were about the old one.
        # Written only then, so an older copy never undoes what the sweep just recorded.
        conversation.sla_warned_at = None
        conversation.skipped_at = None
        fields += ["sla_warned_at", "skipped_at"]
    conversation.response_due_at = due.response
    conversation.resolution_due_at = due.resolution
    conversation.save(update_fields=fields)
    if conversation.waiting_since is not None and conversation.merged_into_id is None:
        # Read the status in the database, not the caller's copy: a reply that failed after
        # a colleague resolved the conversation must bring it back.
        previous = (
            conversation.status
            if status_is_current
            else Conversation.objects.filter(pk=conversation.pk)
            .values_list("status", flat=True)
            .first()
        )
        if previous in (Status.RESOLVED, Status.PENDING):
            conversation.status = previous
            _reopen(conversation, by="system")


def record_activity(
    conversation: Conversation, actor: User | None, verb: str, data: dict[str, Any]
) -> Message:
    """Write one audit entry into the timeline; actor None means the system did it."""
    return Message.objects.create(
        account_id=conversation.account_id,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        direction=Direction.OUTBOUND,
        kind=MessageKind.ACTIVITY,
        sender_user=actor,
        public=False,
        created_at=timezone.now(),
        activity={"verb": verb, **data},
    )


def _touch(conversation: Conversation, at: datetime) -> None:
    Conversation.objects.filter(pk=conversation.pk, last_activity_at__lt=at).update(
        last_activity_at=at
    )


@transaction.atomic
def do_assign(
    actor: User, conversation: Conversation, assignee: User | None, team: Team | None = None
) -> None:
    before = {"assignee": conversation.assignee_id, "team": conversation.team_id}
    conversation.assignee = assignee
    conversation.team = team if team is not None else conversation.team
    conversation.save(update_fields=["assignee", "team"])
    entry = record_activity(
        conversation,
        actor,
        "assigned",
        {
            "from": before["assignee"],
            "to": assignee.pk if assignee else None,
            "to_name": assignee.display_name() if assignee else "",
            "team": conversation.team.name if conversation.team else "",
            "team_before": before["team"],
        },
    )
    _touch(conversation, entry.created_at)
    conversation_changed(conversation, "assigned")


@transaction.atomic
def do_change_status(
    actor: User,
    conversation: Conversation,
    status: str,
    snoozed_until: datetime | None = None,
    no_reply_reason: str = "",
) -> None:
    """Change the status; leaving `open` settles the waiting customer messages first.

    Nothing leaves Needs reply unanswered without a reason: when customers are still waiting,
    the change needs `no_reply_reason`, which is recorded on each of their messages.
    """
    # Lock the conversation so a customer message arriving now is either settled with the
    # others or reopens the conversation after us, never silently closed.
    Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk").get()
    previous = conversation.status
    settled = 0
    if status in (Status.RESOLVED, Status.PENDING):
        # Snoozing defers the answer and stays in Needs reply; these two say it is done.
        waiting = accounting.waiting_messages(conversation)
        if waiting and not no_reply_reason:
            raise accounting.StillWaiting(waiting)
        if waiting:
            settled = accounting.settle_no_reply(actor, waiting, no_reply_reason)
    conversation.status = status
    conversation.snoozed_until = snoozed_until if status == Status.SNOOZED else None
    conversation.save(update_fields=["status", "snoozed_until"])
    data: dict[str, Any] = {"from": previous, "to": status}
    if snoozed_until:
        data["until"] = snoozed_until.isoformat()
    if settled:
        data["no_reply_needed"] = {"count": settled, "reason": no_reply_reason}
    if status == Status.RESOLVED:
        conversation.escalated_at = None
        conversation.save(update_fields=["escalated_at"])
    entry = record_activity(conversation, actor, "status_changed", data)
    _touch(conversation, entry.created_at)
    refresh_conversation_state(conversation)
    conversation_changed(conversation, "status")
    if status == Status.RESOLVED and previous != Status.RESOLVED:
        assignment.after_resolved(conversation)


@transaction.atomic
def do_settle_no_reply(
    actor: User, conversation: Conversation, messages: list[Message], reason: str
) -> int:
    """Take customer messages out of Needs reply with a reason; the timeline records it."""
    Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk").get()
    count = accounting.settle_no_reply(actor, messages, reason)
    if count:
        entry = record_activity(
            conversation,
            actor,
            "no_reply_needed",
            {"messages": [m.pk for m in messages], "reason": reason, "count": count},
        )
        _touch(conversation, entry.created_at)
        refresh_conversation_state(conversation)
        conversation_changed(conversation, "accounting")
    return count


@transaction.atomic
def do_unsettle(actor: User, message: Message) -> None:
    """'Needs a reply after all': the message goes back to Needs reply (or stays answered)."""
    conversation = message.conversation
    Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk").get()
    if accounting.unsettle(message):
        entry = record_activity(conversation, actor, "needs_reply_again", {"message": message.pk})
        _touch(conversation, entry.created_at)
        refresh_conversation_state(conversation)
        conversation_changed(conversation, "accounting")


@transaction.atomic
def do_set_priority(actor: User, conversation: Conversation, priority: int) -> None:
    previous = conversation.priority
    conversation.priority = Priority(priority)
    conversation.save(update_fields=["priority"])
    entry = record_activity(
        conversation, actor, "priority_changed", {"from": previous, "to": int(priority)}
    )
    _touch(conversation, entry.created_at)
    conversation_changed(conversation, "priority")


@transaction.atomic
def do_add_labels(actor: User, conversation: Conversation, names: list[str]) -> list[Label]:
    """Add labels by name, creating the account's label the first time it is used."""
    labels = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        label, _ = Label.objects.get_or_create(account_id=conversation.account_id, name=name)
        labels.append(label)
    current = set(conversation.labels.values_list("pk", flat=True))
    added = [label for label in labels if label.pk not in current]
    if added:
        conversation.labels.add(*added)
        entry = record_activity(
            conversation, actor, "labels_added", {"labels": [label.name for label in added]}
        )
        _touch(conversation, entry.created_at)
        conversation_changed(conversation, "labels")
    return labels


@transaction.atomic
def do_remove_label(actor: User, conversation: Conversation, label: Label) -> None:
    if conversation.labels.filter(pk=label.pk).exists():
        conversation.labels.remove(label)
        entry = record_activity(conversation, actor, "label_removed", {"labels": [label.name]})
        _touch(conversation, entry.created_at)
        conversation_changed(conversation, "labels")


@transaction.atomic
def do_add_note(actor: User, conversation: Conversation, text: str) -> Message:
    note = Message.objects.create(
        account_id=conversation.account_id,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        direction=Direction.OUTBOUND,
        kind=MessageKind.NOTE,
        sender_user=actor,
        text=text,
        public=False,
        created_at=timezone.now(),
    )
    _touch(conversation, note.created_at)
    conversation_changed(conversation, "note")
    return note


# --- Checks in front of the do_* changes above, shared by the web UI and the REST API. ---
# They turn what a person asked for into a clear ActionError (naming the field) instead of a
# database error, and refuse what the model's constraints would refuse.

LABEL_NAME_MAX = Label._meta.get_field("name").max_length or 50


def check_change_status(
    actor: User,
    conversation: Conversation,
    status: str,
    snoozed_until: datetime | None = None,
    no_reply_reason: str = "",
) -> None:
    if no_reply_reason:
        accounting.check_reason(no_reply_reason)
    if status not in Status.values:
        raise ActionError(
            f"Unknown status {status!r}; use one of {', '.join(Status.values)}.", field="status"
        )
    if conversation.merged_into_id and status != Status.RESOLVED:
        # A merged conversation stays resolved (conv_merged_is_resolved); work goes on in the other.
        raise ActionError(
            f"This conversation was merged into #{conversation.merged_into.display_id}; "
            "change the status there.",
            status=409,
            field="status",
        )
    if status == Status.SNOOZED:
        if snoozed_until is None:
            raise ActionError("Say until when to snooze.", field="snoozed_until")
        if timezone.is_naive(snoozed_until):
            raise ActionError(
                "snoozed_until needs a time zone (e.g. Z or +01:00).", field="snoozed_until"
            )
        if snoozed_until <= timezone.now():
            raise ActionError("snoozed_until must be in the future.", field="snoozed_until")
    elif snoozed_until is not None:
        raise ActionError("snoozed_until only goes with status snoozed.", field="snoozed_until")
    do_change_status(actor, conversation, status, snoozed_until, no_reply_reason)


def check_settle_no_reply(
    actor: User, conversation: Conversation, message_ids: list[int] | None, reason: str
) -> int:
    """Settle the named customer messages (all waiting ones when `message_ids` is None)."""
    accounting.check_reason(reason)
    waiting = accounting.waiting_messages(conversation)
    if message_ids is None:
        chosen = waiting
    else:
        by_id = {m.pk: m for m in waiting}
        unknown = [pk for pk in message_ids if pk not in by_id]
        if unknown:
            raise ActionError(
                f"Message {unknown[0]} is not a waiting customer message of conversation "
                f"#{conversation.display_id}.",
                status=409,
                field="messages",
            )
        chosen = [by_id[pk] for pk in message_ids]
    if not chosen:
        raise ActionError("No customer is waiting in this conversation.", status=409)
    return do_settle_no_reply(actor, conversation, chosen, reason)


def check_unsettle(actor: User, message: Message) -> None:
    if message.reply_state != ReplyState.NO_REPLY_NEEDED:
        raise ActionError("Only a message marked 'no reply needed' can be put back.", status=409)
    do_unsettle(actor, message)


def check_set_priority(actor: User, conversation: Conversation, priority: int) -> None:
    if isinstance(priority, bool) or priority not in Priority.values:
        raise ActionError(
            f"Unknown priority {priority!r}; use 0 (none) to 4 (urgent).", field="priority"
        )
    do_set_priority(actor, conversation, priority)


def check_add_labels(actor: User, conversation: Conversation, names: list[str]) -> list[Label]:
    cleaned = [name.strip() for name in names if name.strip()]
    if not cleaned:
        raise ActionError("Name at least one label.", field="labels")
    too_long = [name for name in cleaned if len(name) > LABEL_NAME_MAX]
    if too_long:
        raise ActionError(
            f"A label name is at most {LABEL_NAME_MAX} characters; {too_long[0][:60]!r} is "
            f"{len(too_long[0])}.",
            field="labels",
        )
    return do_add_labels(actor, conversation, cleaned)


def check_remove_label(actor: User, conversation: Conversation, name: str) -> None:
    label = conversation.labels.filter(name=name).first()
    if label is None:
        raise ActionError(f"This conversation has no label {name!r}.", status=404, field="name")
    do_remove_label(actor, conversation, label)


def check_add_note(actor: User, conversation: Conversation, text: str) -> Message:
    text = text.strip()
    if not text:
        raise ActionError("Write a note before saving it.", field="text")
    return do_add_note(actor, conversation, text)


def do_create_label(account: Account, name: str, color: str = "") -> Label:
    """The account's label `name`, created if new; a given colour replaces the current one.

    Labels are otherwise born on first use (do_add_labels); this lets setup offer a list
    before anyone has labelled a conversation.
    """
    label, _ = Label.objects.get_or_create(account=account, name=name.strip())
    if color and label.color != color:
        label.color = color
        label.save(update_fields=["color"])
    return label


@transaction.atomic
def do_take_up(actor: User, conversation: Conversation) -> bool:
    """An agent takes up a post found by listening: it joins Needs reply, assigned to them.

    Returns False when it was no longer proactive (a colleague or the customer was first).
    """
    Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk").get()
    if not listening.end_proactive(conversation):
        return False
    if conversation.assignee_id is None:
        conversation.assignee = actor
        Conversation.objects.filter(pk=conversation.pk).update(assignee=actor)
    assignment.route_new_conversation(conversation)
    refresh_conversation_state(conversation)
    record_activity(conversation, actor, "taken_up", {})
    conversation_changed(conversation, "status")
    logger.info("conversation.taken_up", extra={"conversation_id": conversation.pk})
    return True
