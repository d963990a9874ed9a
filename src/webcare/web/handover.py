"""The handover page at the end of a shift, and each person's notifications.

Both are read-only pages beside the inbox; the buttons on them lead into conversations, where
the work is done.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from webcare.accounts import notifications
from webcare.accounts.access import access_account, member_accounts, member_inboxes
from webcare.conversations.handover import handover
from webcare.web.lookups import request_user


@login_required
@require_GET
def handover_page(request: HttpRequest, account_id: int) -> HttpResponse:
    """What is still waiting and in whose hands; printable, so it can go on the desk."""
    user = request_user(request)
    account = access_account(user, account_id)
    inbox = request.GET.get("inbox", "")
    inboxes = list(member_inboxes(user, account.pk))
    inbox_id = int(inbox) if inbox.isdigit() and any(i.pk == int(inbox) for i in inboxes) else None
    return TemplateResponse(
        request,
        "web/handover.html",
        {
            "account": account,
            "accounts": list(member_accounts(user)),
            "inboxes": inboxes,
            "inbox_id": inbox_id,
            "report": handover(account.pk, timezone.now(), inbox_id),
        },
    )


@login_required
@require_GET
def notifications_page(request: HttpRequest, account_id: int) -> HttpResponse:
    user = request_user(request)
    account = access_account(user, account_id)
    return TemplateResponse(
        request,
        "web/notifications.html",
        {"account": account, "items": list(notifications.recent(user, account.pk))},
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest, account_id: int) -> HttpResponse:
    user = request_user(request)
    account = access_account(user, account_id)
    notifications.mark_all_read(user, account.pk)
    return redirect("web:notifications", account.pk)
