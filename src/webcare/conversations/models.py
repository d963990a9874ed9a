"""Conversations, their messages, and labels.

Everything here is written by `conversations.actions` (and `replies.actions` for sends); the
denormalised columns on Conversation (waiting_since, last_message, message_count, ...) are kept
in step by `actions.refresh_conversation_state`, never by model callbacks.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from webcare.accounts.models import Account, Team
from webcare.contacts.models import Contact, ContactIdentity
from webcare.inboxes.models import Inbox


class Label(models.Model):
    """A tag agents put on conversations ('factuur', 'slagboom', ...)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="label_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ConversationKind(models.TextChoices):
    PUBLIC_THREAD = "public_thread", _("Public thread")
    DIRECT_MESSAGE = "direct_message", _("Direct message")
    EMAIL_THREAD = "email_thread", _("E-mail thread")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")


class Priority(models.IntegerChoices):
    NONE = 0, _("None")
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Conversation(models.Model):
    """One thread with one customer on one inbox.

    `waiting_since` is the platform time of the oldest customer message that no reply has
    answered yet; NULL means nobody is waiting. Needs reply = open and waiting.
    `external_thread_id` is the platform's thread key (root post id, DM conversation id) used
    to thread messages that carry no reply link. A conversation that turned out to belong to
    another (its parent post arrived late) is kept, resolved and pointing at `merged_into`.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="conversations")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    display_id = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ConversationKind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    external_thread_id = models.CharField(max_length=200, blank=True, default="")
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    snoozed_until = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    # Response-time promises (inboxes/business_hours.py): when the waiting customer must have
    # an answer, when the conversation must be resolved, and what the SLA sweep has done.
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Set by the sweep when the waiting message is overdue while newer ones in the inbox
    # were answered: the signature of a message that scrolled away.
    skipped_at = models.DateTimeField(null=True, blank=True)
    # Found by listening (a post that names the brand without addressing it) and not taken up
    # yet: shown in the Listening view, never in Needs reply (conversations/listening.py).
    proactive = models.BooleanField(default=False)
    # The highest triage priority (0-100, triage/priority.py) among the customer messages still
    # waiting; 0 when none waits or none is triaged yet. Needs reply is ordered by it.
    triage_priority = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "display_id"], name="conv_display_unique"),
            models.UniqueConstraint(
                fields=["inbox", "external_thread_id"],
                condition=~Q(external_thread_id=""),
                name="conv_thread_unique",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="conv_status_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=ConversationKind.values), name="conv_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=0, priority__lte=4), name="conv_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status=Status.RESOLVED),
                name="conv_merged_is_resolved",
            ),
            models.CheckConstraint(
                condition=Q(snoozed_until__isnull=True) | Q(status=Status.SNOOZED),
                name="conv_snooze_needs_status",
            ),
        ]
        indexes = [
            # Needs reply, longest waiting first (all inboxes, or one).
            models.Index(fields=["account", "status", "waiting_since"], name="conv_needs_reply"),
            # Needs reply, most urgent first (the default order).
            models.Index(
                fields=["account", "-triage_priority", "waiting_since"],
                condition=Q(waiting_since__isnull=False),
                name="conv_needs_reply_priority",
            ),
            models.Index(fields=["inbox", "status", "waiting_since"], name="conv_inbox_waiting"),
            # Mine / Unassigned / All, newest activity first.
            models.Index(
                fields=["account", "assignee", "status", "-last_activity_at"], name="conv_assignee"
            ),
            models.Index(fields=["account", "-last_activity_at"], name="conv_activity"),
            models.Index(fields=["contact", "-last_activity_at"], name="conv_contact"),
            # The promises sweep's questions (conversations/escalation.py), each on the rows
            # it has not acted on yet, so a quiet pass reads next to nothing.
            models.Index(
                fields=["inbox", "response_due_at"],
                condition=Q(response_due_at__isnull=False, sla_warned_at__isnull=True),
                name="conv_due_unwarned",
            ),
            models.Index(
                fields=["inbox", "response_due_at"],
                condition=Q(response_due_at__isnull=False, escalated_at__isnull=True),
                name="conv_due_unescalated",
            ),
            models.Index(
                fields=["inbox", "resolution_due_at"],
                condition=Q(resolution_due_at__isnull=False, escalated_at__isnull=True),
                name="conv_resolution_unescalated",
            ),
            models.Index(
                fields=["inbox", "response_due_at"],
                condition=Q(response_due_at__isnull=False, skipped_at__isnull=True),
                name="conv_due_unflagged",
            ),
            models.Index(
                fields=["account", "escalated_at"],
                condition=Q(escalated_at__isnull=False),
                name="conv_escalated",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.display_id}"


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    ACTIVITY = "activity", _("Activity")


class DeliveryStatus(models.TextChoices):
    """Where a reply is on its way out; the outbox worker moves it (replies/outbox.py).

    queued -> sending -> sent/delivered (-> read), or back to queued for a retry, or failed.
    `uncertain`: a send was interrupted and the platform can neither be asked nor safely
    sent the reply twice, so a person checks the platform and decides.
    """

    NONE = "", _("Not applicable")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")  # the customer opened it: only WhatsApp says so (its statuses)
    FAILED = "failed", _("Failed")
    UNCERTAIN = "uncertain", _("Maybe sent")


class ReplyState(models.TextChoices):
    """Where a customer message stands; every one ends in exactly one of these.

    answered: a reply of ours (or the brand's own post) after it that did not fail;
    no_reply_needed: an agent said so, with a reason; waiting: neither, yet.
    Our own messages, notes and activity entries have no reply state ("").
    """

    NONE = "", _("Not applicable")
    WAITING = "waiting", _("Waiting")
    ANSWERED = "answered", _("Answered")
    NO_REPLY_NEEDED = "no_reply_needed", _("No reply needed")


class NoReplyReason(models.TextChoices):
    THANKS_ONLY = "thanks_only", _("Only a thank-you")
    SPAM = "spam", _("Spam")
    ANSWERED_ELSEWHERE = "answered_elsewhere", _("Answered elsewhere (phone, e-mail, DM)")
    DUPLICATE = "duplicate", _("Duplicate of another message")
    NOT_FOR_US = "not_for_us", _("Not meant for us")
    NO_QUESTION = "no_question", _("No question or complaint in it")
    # Set by the system, never chosen by an agent: a post found by a listening query (it
    # names the brand without addressing it) stays out of Needs reply until someone takes it up.
    UNPROMPTED = "unprompted", _("Found by listening; not taken up")
    # Set by the system: an auto-reply, bounce or mailing-list message (Auto-Submitted,
    # Precedence, X-Loop); it is kept in the timeline but nobody, and nothing, answers it.
    AUTOMATED = "automated", _("Automatic message (auto-reply, bounce or list)")


# The reasons an agent can give (UNPROMPTED and AUTOMATED are the system's).
SYSTEM_REASONS = frozenset({NoReplyReason.UNPROMPTED, NoReplyReason.AUTOMATED})
AGENT_REASONS = [choice for choice in NoReplyReason.choices if choice[0] not in SYSTEM_REASONS]


class Moderation(models.TextChoices):
    """What the team did to a customer's public comment on the platform (moderation.py)."""

    NONE = "", _("Visible")
    HIDDEN = "hidden", _("Hidden")
    DELETED = "deleted", _("Deleted")


class ModerationReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    ABUSE = "abuse", _("Abuse or insults")
    PERSONAL_DATA = "personal_data", _("Personal data in public")
    OFF_TOPIC = "off_topic", _("Off topic")


class Message(models.Model):
    """One entry in a conversation's timeline.

    kind=message: a customer's message (inbound) or the brand's reply (outbound).
    kind=note: an internal note between colleagues, never public.
    kind=activity: the audit record of a state change (who assigned, resolved, labelled...),
    with the structured change in `activity`; the timeline doubles as the audit trail.

    `created_at` is the platform's time (when the customer posted), `received_at` ours.
    `in_reply_to_external_id` keeps the platform's parent id even while the parent is unknown,
    so a reply that arrived first is attached when its parent comes in.

    A reply is its own outbox entry: `idempotency_key` names it to the platform on every
    attempt, so a resend is recognised as the same reply; `next_attempt_at` is when the
    worker may take it (queued), or when its claim runs out (sending).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="messages")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    # NULL, not "": our replies have no platform id until sent, and NULLs never collide.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    in_reply_to_external_id = models.CharField(max_length=200, blank=True, default="")
    sender_identity = models.ForeignKey(
        ContactIdentity, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    text = models.TextField(blank=True, default="")
    # E-mail: the subject, the HTML part sanitised with nh3 at ingest (shown instead of the
    # text when present), and the addressing and References the reply needs (channels/
    # adapters/email.py). Empty for other channels.
    subject = models.CharField(max_length=500, blank=True, default="")
    html = models.TextField(blank=True, default="")
    mail_headers = models.JSONField(null=True, blank=True)
    # WhatsApp: a reply sent as an approved template, {"name", "language", "parameters"}; its
    # `text` is the template rendered with them (inboxes.models.MessageTemplate). Null: free text.
    template = models.JSONField(null=True, blank=True)
    # WhatsApp, a customer message: when we told WhatsApp an agent read it (the customer's
    # blue ticks), and why the last try failed; channels/whatsapp_reads.py.
    read_receipt_at = models.DateTimeField(null=True, blank=True)
    read_receipt_error = models.TextField(blank=True, default="")
    # Why the message counts as automatic (an auto-reply, a bounce, a list mail): it is
    # settled as needing no reply, and never answered automatically. Empty: a person wrote it.
    automated = models.CharField(max_length=200, blank=True, default="")
    public = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    delivery_status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )
    delivery_error = models.TextField(blank=True, default="")
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    activity = models.JSONField(null=True, blank=True)
    # Needs-reply accounting of a customer message (ReplyState); conversations.accounting.
    reply_state = models.CharField(
        max_length=16, choices=ReplyState.choices, default=ReplyState.NONE, blank=True
    )
    answered_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    no_reply_reason = models.CharField(
        max_length=20, choices=NoReplyReason.choices, blank=True, default=""
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="settled_messages",
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    # A public comment hidden or deleted on the platform, and why; the timeline's activity
    # entries say who did it and when (conversations/moderation.py).
    moderation = models.CharField(max_length=10, choices=Moderation.choices, blank=True, default="")
    moderation_reason = models.CharField(
        max_length=20, choices=ModerationReason.choices, blank=True, default=""
    )
    # When the worker triaged this customer message (webcare.triage); NULL: not yet, and then
    # it is in the partial index the worker reads its next batch from.
    triaged_at = models.DateTimeField(null=True, blank=True)
    raw_event = models.ForeignKey(
        "webcare_channels.RawInboundEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_external_unique",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="message_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="message_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(direction=Direction.INBOUND)
                | Q(kind=MessageKind.MESSAGE, sender_user__isnull=True),
                name="message_inbound_is_customer",
            ),
            models.CheckConstraint(
                condition=Q(kind=MessageKind.MESSAGE)
                | Q(direction=Direction.OUTBOUND, public=False),
                name="message_internal_never_public",
            ),
            models.CheckConstraint(
                condition=~Q(direction=Direction.OUTBOUND, kind=MessageKind.MESSAGE)
                | ~Q(delivery_status=DeliveryStatus.NONE),
                name="message_reply_has_delivery",
            ),
            # Customer messages, and only they, carry a reply state; each state its evidence.
            models.CheckConstraint(
                condition=Q(direction=Direction.INBOUND, reply_state__in=ReplyState.values[1:])
                | Q(~Q(direction=Direction.INBOUND), reply_state=""),
                name="message_reply_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reply_state=ReplyState.ANSWERED) | Q(answered_by__isnull=False),
                name="message_answered_names_reply",
            ),
            models.CheckConstraint(
                condition=(
                    Q(reply_state=ReplyState.NO_REPLY_NEEDED)
                    & Q(no_reply_reason__in=NoReplyReason.values)
                )
                | (~Q(reply_state=ReplyState.NO_REPLY_NEEDED) & Q(no_reply_reason="")),
                name="message_no_reply_has_reason",
            ),
            # An outbox entry always knows its key and when the worker may take it next.
            models.CheckConstraint(
                condition=~Q(delivery_status__in=["queued", "sending"])
                | Q(idempotency_key__isnull=False, next_attempt_at__isnull=False),
                name="message_outbox_entry_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_timeline"),
            models.Index(fields=["inbox", "in_reply_to_external_id"], name="message_parent_link"),
            models.Index(fields=["account", "delivery_status"], name="message_delivery"),
            models.Index(fields=["conversation", "reply_state"], name="message_reply_state"),
            # The skipped alarm: the newest answered customer message of an inbox.
            models.Index(
                fields=["inbox", "created_at"],
                condition=Q(direction="inbound", reply_state="answered"),
                name="message_inbox_answered",
            ),
            # The triage worker's query: customer messages not triaged yet.
            models.Index(
                fields=["id"],
                condition=Q(direction="inbound", kind="message", triaged_at__isnull=True),
                name="message_untriaged",
            ),
            # The outbox worker's query: replies due to be sent or whose claim ran out.
            models.Index(
                fields=["delivery_status", "next_attempt_at"],
                condition=Q(delivery_status__in=["queued", "sending"]),
                name="message_outbox_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.pk}"

    @property
    def is_reply(self) -> bool:
        return self.direction == Direction.OUTBOUND and self.kind == MessageKind.MESSAGE


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("Image")
    AUDIO = "audio", _("Audio")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")


# Images a browser shows inside the conversation page. Not SVG: it can carry script, and
# would run in our origin if it were ever rendered instead of downloaded.
PREVIEW_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def attachment_kind(mime_type: str) -> str:
    major = mime_type.split("/", 1)[0].lower()
    return major if major in {"image", "audio", "video"} else AttachmentKind.DOCUMENT


class Attachment(models.Model):
    """A file that came with a message (an e-mail attachment, a photo).

    Stored once per content: `file` is named after `sha256`, so the same PDF sent twice takes
    the space once. Never served from a public URL: the conversation page links to a view that
    checks the agent's access first (web/views.attachment).
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices)
    mime_type = models.CharField(max_length=150)
    filename = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="attachments/", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AttachmentKind.values), name="attachment_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["sha256"], name="attachment_sha256")]

    def __str__(self) -> str:
        return self.filename or self.sha256[:12]

    @property
    def previews_inline(self) -> bool:
        """A customer's photo (a broken barrier, a parking receipt) is shown in the thread,
        so the agent sees it without opening a download."""
        return self.mime_type in PREVIEW_IMAGE_TYPES
