"""The connection page of an inbox: its health, and a button that tests its credentials.

A WhatsApp inbox also lists its message templates, with a button that fetches them from Meta
again (channels/whatsapp_templates.py): a lead syncs after Meta approved a new one, without
the command line.

For leads and admins, like the promises page: it shows the webhook URL and what the platform
last said, which an agent has no use for. The test runs the platform adapter's check
(channels/registry.py) and reports in the lead's words what worked or what to fix.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from webcare.channels import registry
from webcare.channels.adapters.base import ChannelError
from webcare.channels.health import connector_health
from webcare.channels.whatsapp_templates import sync_templates
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox, InboxKind, MessageTemplate
from webcare.web.inbox_settings import lead_account


def _inbox(request: HttpRequest, account_id: int, inbox_id: int) -> Inbox:
    _lead, account = lead_account(request, account_id)
    inbox = Inbox.objects.filter(pk=inbox_id, account=account).select_related("account").first()
    if inbox is None:
        raise Http404("No such inbox")
    return inbox


@login_required
@require_http_methods(["GET"])
def connection_page(request: HttpRequest, account_id: int, inbox_id: int) -> HttpResponse:
    inbox = _inbox(request, account_id, inbox_id)
    return TemplateResponse(
        request,
        "web/connection.html",
        {
            "account": inbox.account,
            "inbox": inbox,
            "health": connector_health(inbox),
            "templates": (
                list(MessageTemplate.objects.filter(inbox=inbox))
                if inbox.kind == InboxKind.WHATSAPP
                else None
            ),
        },
    )


@login_required
@require_POST
def test_connection(request: HttpRequest, account_id: int, inbox_id: int) -> HttpResponse:
    """Run the platform's check and come back to the page with what it said."""
    inbox = _inbox(request, account_id, inbox_id)
    try:
        found = registry.check_connection(inbox)
    except (ChannelError, ActionError) as exc:
        messages.error(request, gettext("The connection test failed: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, found)
    return HttpResponseRedirect(reverse("web:connection", args=[account_id, inbox_id]))


@login_required
@require_POST
def sync_message_templates(request: HttpRequest, account_id: int, inbox_id: int) -> HttpResponse:
    """Fetch a WhatsApp inbox's templates from Meta and come back with what changed."""
    inbox = _inbox(request, account_id, inbox_id)
    if inbox.kind != InboxKind.WHATSAPP:
        raise Http404("Only WhatsApp inboxes have message templates")
    try:
        result = sync_templates(inbox)
    except ChannelError as exc:
        messages.error(
            request, gettext("Fetching the templates failed: %(reason)s") % {"reason": exc}
        )
    else:
        messages.success(
            request,
            gettext(
                "Templates fetched from WhatsApp: %(created)d new, %(updated)d updated, "
                "%(removed)d removed, %(skipped)d skipped (Webcare cannot fill them in)."
            )
            % {
                "created": len(result.created),
                "updated": len(result.updated),
                "removed": len(result.removed),
                "skipped": len(result.skipped),
            },
        )
    return HttpResponseRedirect(reverse("web:connection", args=[account_id, inbox_id]))
