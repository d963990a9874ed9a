"""WhatsApp template replies: what an agent can still send once the 24-hour window closed.

WhatsApp takes free text only within 24 hours of the customer's last message; after that only
a template Meta approved (platforms.md §3.5). A template reply is an ordinary reply in the
outbox (replies/actions.py), so the collision guard, the retries and the delivery statuses
are the same; it carries the template's name, language and parameters (`Message.template`),
and its text is the body rendered with them, so the timeline shows what the customer read.

Checked here, before it is queued, as far as we know Meta's rules: the template belongs to
the conversation's inbox, is approved, and gets exactly one non-empty value per placeholder.
Meta checks again at send time (132000, 132001); its refusal then fails the reply in its words.
"""

from django.utils.translation import gettext as _

from webcare.accounts.models import User
from webcare.conversations.models import Conversation, Direction, Message, MessageKind
from webcare.core.errors import ActionError
from webcare.inboxes.models import InboxKind, MessageTemplate, TemplateStatus
from webcare.replies.actions import check_seen, do_send_reply
from webcare.triage.models import TriageResult


def customer_language(conversation: Conversation) -> str:
    """The language triage found in the customer's newest message ("nl", "en"), or ""."""
    result = (
        TriageResult.objects.filter(
            message__conversation=conversation,
            message__direction=Direction.INBOUND,
            message__kind=MessageKind.MESSAGE,
        )
        .order_by("-message__created_at", "-message__pk")
        .values_list("language", flat=True)
        .first()
    )
    return result if result in {"nl", "en"} else ""


def approved_templates(conversation: Conversation) -> list[MessageTemplate]:
    """The inbox's approved templates, those in the customer's language first.

    Empty for anything but WhatsApp: no other channel has templates.
    """
    if conversation.inbox.kind != InboxKind.WHATSAPP:
        return []
    templates = list(
        MessageTemplate.objects.filter(inbox=conversation.inbox, status=TemplateStatus.APPROVED)
    )
    language = customer_language(conversation)
    # Stable sort: within each group the model's order (name, language) stays.
    return sorted(templates, key=lambda t: t.base_language != language)


def _template(conversation: Conversation, name: str, language: str) -> MessageTemplate:
    if conversation.inbox.kind != InboxKind.WHATSAPP:
        raise ActionError(_("Only WhatsApp replies can be template messages."), field="template")
    template = MessageTemplate.objects.filter(
        inbox=conversation.inbox, name=name, language=language
    ).first()
    if template is None:
        raise ActionError(
            _("This inbox has no template %(name)s in %(language)s.")
            % {"name": name, "language": language},
            field="template",
        )
    if template.status != TemplateStatus.APPROVED:
        raise ActionError(
            _(
                "The template %(name)s is not approved by WhatsApp (%(status)s), so it cannot "
                "be sent."
            )
            % {"name": name, "status": template.get_status_display()},
            field="template",
            status=409,
        )
    return template


def check_parameters(template: MessageTemplate, parameters: list[str]) -> list[str]:
    """The parameters stripped; ActionError when WhatsApp would refuse them."""
    values = [value.strip() for value in parameters]
    if len(values) != template.parameter_count:
        raise ActionError(
            _("The template %(name)s needs %(count)d values, not %(given)d.")
            % {"name": template.name, "count": template.parameter_count, "given": len(values)},
            field="parameters",
        )
    if not all(values):
        raise ActionError(_("Fill in every field of the template."), field="parameters")
    return values


def check_send_template(
    actor: User,
    conversation: Conversation,
    name: str,
    language: str,
    parameters: list[str],
    *,
    expected_last_message_id: int,
    send_anyway: bool = False,
) -> Message:
    """Validate a template reply and queue it; raise ActionError with a message for the agent.

    Allowed in and outside the window: a template is what WhatsApp takes at any time.
    """
    if conversation.merged_into_id:
        raise ActionError(
            _("This conversation was merged into #%(id)d; reply there.")
            % {"id": conversation.merged_into.display_id},
            status=409,
        )
    template = _template(conversation, name, language)
    values = check_parameters(template, parameters)
    check_seen(conversation, expected_last_message_id)
    return do_send_reply(
        actor,
        conversation,
        template.render(values),
        public=False,
        expected_last_message_id=expected_last_message_id,
        send_anyway=send_anyway,
        template={"name": template.name, "language": template.language, "parameters": values},
        keep_draft=True,
    )
