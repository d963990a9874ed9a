"""What the public sees: the contact form a company embeds, the chat widget's settings, and
an agent's download of an attachment (the one non-public view here, kept beside the other
file-serving code).

Thin like every view: the spam checks are channels/spam.py, storing is channels.actions.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from webcare.accounts.access import access_attachment
from webcare.channels import spam, webchat
from webcare.channels.actions import ingest
from webcare.channels.adapters import form
from webcare.conversations.models import PREVIEW_IMAGE_TYPES
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox, InboxKind
from webcare.web.lookups import request_user

# Types a browser may show in the page; anything else is downloaded, never rendered (an
# HTML or SVG attachment would otherwise run in our origin).
INLINE_TYPES = PREVIEW_IMAGE_TYPES | {"application/pdf"}
MAX_TEXT = 10_000


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    found = access_attachment(request_user(request), attachment_id)
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this attachment is gone") from None
    inline = found.mime_type in INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=found.filename or f"attachment-{found.pk}",
        content_type=found.mime_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# The contact form -------------------------------------------------------------------------------


def _form_inbox(token: str) -> Inbox:
    inbox = Inbox.objects.filter(token=token, kind=InboxKind.EMAIL).first()
    if inbox is None:
        raise Http404("No contact form here")
    return inbox


def _form_language(request: HttpRequest, inbox: Inbox) -> str:
    wanted = str(request.GET.get("lang") or request.POST.get("lang") or "").lower()[:2]
    if wanted in webchat.LANGUAGES:
        return wanted
    configured = str(inbox.setting("language") or "")
    return configured if configured in webchat.LANGUAGES else translation.get_language()[:2]


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _render_form(
    request: HttpRequest,
    inbox: Inbox,
    *,
    values: dict[str, str] | None = None,
    error: str = "",
    field: str | None = None,
    sent: bool = False,
    status: int = 200,
) -> TemplateResponse:
    ticket = spam.new_ticket()
    return TemplateResponse(
        request,
        "web/contact_form.html",
        {
            "inbox": inbox,
            "ticket": ticket.token,
            "values": values or {},
            "error": error,
            "error_field": field,
            "sent": sent,
            "honeypot": spam.HONEYPOT_FIELD,
            "color": webchat.brand_color(inbox),
            "lang": translation.get_language(),
        },
        status=status,
    )


def _check_fields(values: dict[str, str]) -> None:
    if not values["name"]:
        raise ActionError(_("Tell us your name."), field="name")
    if "@" not in values["email"] or " " in values["email"] or len(values["email"]) > 254:
        raise ActionError(_("Give an e-mail address, so we can answer you."), field="email")
    if not values["text"]:
        raise ActionError(_("Write your message."), field="text")
    if len(values["text"]) > MAX_TEXT:
        raise ActionError(
            _("A message is at most %(max)d characters.") % {"max": MAX_TEXT}, field="text"
        )


@csrf_exempt  # embedded on other sites; the checks below stand in for CSRF's
@xframe_options_exempt  # made to be shown in an iframe on the company's site
def contact_form(request: HttpRequest, token: str) -> HttpResponse:
    """`/forms/<inbox token>/`: the form (GET) and its submission (POST)."""
    inbox = _form_inbox(token)
    with translation.override(_form_language(request, inbox)):
        if request.method != "POST":
            return _render_form(request, inbox).render()
        values = {
            key: str(request.POST.get(key, "")).strip()
            for key in ("name", "email", "subject", "text")
        }
        try:
            spam.check_honeypot(str(request.POST.get(spam.HONEYPOT_FIELD, "")))
            nonce = spam.check_ticket(str(request.POST.get("ticket", "")))
            _check_fields(values)
            spam.check_rate(f"form:{inbox.pk}", _client_address(request))
        except ActionError as exc:
            return _render_form(
                request, inbox, values=values, error=exc.message, field=exc.field, status=exc.status
            ).render()
        item = form.stored_submission(
            nonce=nonce,
            name=values["name"][:200],
            address=values["email"],
            subject=values["subject"][:300] or _("Contact form"),
            text=values["text"],
            submitted_at=timezone.now(),
            via="form",
            page=str(request.headers.get("Referer") or "")[:500],
        )
        ingest(inbox, form.SOURCE, item.dedupe_key, item.payload)
        return _render_form(request, inbox, sent=True).render()


# The chat widget ---------------------------------------------------------------------------------


@require_GET
def chat_config(request: HttpRequest, token: str) -> JsonResponse:
    """`/chat/<inbox token>/config?lang=nl`: what the widget shows before it connects.

    Public and without cookies, so any site may read it (CORS *); it says nothing a visitor
    of the site could not see in the widget itself.
    """
    inbox = webchat.chat_inbox(token)
    if inbox is None:
        raise Http404("No chat here")
    lang = webchat.language(inbox, str(request.GET.get("lang") or ""))
    with translation.override(lang):
        status = webchat.status(inbox)
        body = {
            "lang": lang,
            "color": webchat.brand_color(inbox),
            "title": str(inbox.setting("title") or inbox.account.name),
            "online": status.online,
            "status": webchat.status_text(inbox, status),
            "socket": f"/ws/chat/{inbox.token}/",
            "stylesheet": static("webchat/widget.css"),
            "strings": widget_strings(),
        }
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


def widget_strings() -> dict[str, str]:
    """Every text the widget shows, in the active language."""
    return {
        "open": _("Chat with us"),
        "close": _("Close the chat"),
        "dialog": _("Chat with our team"),
        "log": _("Messages"),
        "input": _("Your message"),
        "placeholder": _("Type your message…"),
        "send": _("Send"),
        "you": _("You"),
        "team": _("Team"),
        "typing": _("%(name)s is typing…"),
        "someone": _("Someone"),
        "offline_title": _("Leave us a message"),
        "name": _("Your name"),
        "email": _("Your e-mail address"),
        "offline_send": _("Send message"),
        "offline_sent": _(
            "Thank you. We have your message and will answer you by e-mail at %(email)s."
        ),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "new_message": _("New message from %(name)s"),
        "empty": _("Ask your question: someone of the team answers here."),
        "error": _("Something went wrong. Please try again."),
    }
