"""The composer's WhatsApp template picker: what an agent sends once the 24-hour window closed.

The composer shows the inbox's approved templates (the customer's language first) in place of
a free-text reply WhatsApp would refuse, each with a field per placeholder and a preview of
the text the customer will read. Sending posts to views.send_template, which queues it
through replies/templates.py like any reply; the preview (views.template_preview) is a
fragment htmx fetches while the agent types; without JavaScript it shows the placeholders.
"""

from dataclasses import dataclass

from django.http import Http404, HttpRequest

from webcare.channels.windows import ReplyWindow
from webcare.conversations.models import Conversation
from webcare.inboxes.models import MessageTemplate, TemplateStatus
from webcare.replies.templates import approved_templates


@dataclass(frozen=True)
class Option:
    """One template as the picker shows it: its fields, with what the agent typed so far."""

    template: MessageTemplate
    values: list[str]
    preview: str

    @property
    def fields(self) -> list[tuple[int, str]]:
        return list(enumerate(self.values, start=1))


def parameters_posted(request: HttpRequest, template: MessageTemplate) -> list[str]:
    """The values typed into this template's fields, one per placeholder ("" for a blank)."""
    posted = request.POST.getlist(f"parameter-{template.pk}")
    return [(posted[i] if i < len(posted) else "").strip() for i in range(template.parameter_count)]


def options(
    request: HttpRequest, conversation: Conversation, window: ReplyWindow | None
) -> list[Option]:
    """The templates to offer: only where the window has closed (WhatsApp inboxes only)."""
    if window is None or window.state != "closed":
        return []
    chosen = request.POST.get("template") if request.method == "POST" else None
    offered = []
    for template in approved_templates(conversation):
        values = (
            parameters_posted(request, template)
            if chosen == str(template.pk)
            else [""] * template.parameter_count
        )
        offered.append(Option(template, values, preview(template, values)))
    return offered


def preview(template: MessageTemplate, values: list[str]) -> str:
    """The text the customer reads; a placeholder not filled in yet stays as {{n}}."""
    return template.render([value or f"{{{{{n}}}}}" for n, value in enumerate(values, start=1)])


def offered_template(conversation: Conversation, template_id: str | None) -> MessageTemplate:
    """A template of this conversation's own inbox, approved; 404 for any other."""
    template = MessageTemplate.objects.filter(
        inbox_id=conversation.inbox_id,
        pk=int(template_id) if (template_id or "").isdigit() else 0,
        status=TemplateStatus.APPROVED,
    ).first()
    if template is None:
        raise Http404("No such template in this inbox")
    return template
