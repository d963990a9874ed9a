"""The canned responses page: the team's prepared answers, kept by leads and admins.

One page: the list, a form to add one (or to change the one chosen), and delete. Agents meet
them as suggestions in the composer (replies/canned.py ranks them per message).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from webcare.accounts.access import member_accounts
from webcare.accounts.models import Account
from webcare.core.errors import ActionError
from webcare.inboxes.models import InboxKind
from webcare.replies import canned
from webcare.replies.models import CannedResponse
from webcare.replies.variables import NAMES
from webcare.web.inbox_settings import lead_account


def _one(account: Account, canned_id: str) -> CannedResponse | None:
    if not canned_id:
        return None
    found = (
        canned.canned_for(account.pk).filter(pk=canned_id).first() if canned_id.isdigit() else None
    )
    if found is None:
        raise Http404("No such canned response")
    return found


def _render(
    request: HttpRequest,
    account: Account,
    editing: CannedResponse | None,
    values: dict[str, str],
    error: ActionError | None = None,
) -> TemplateResponse:
    user = request.user
    return TemplateResponse(
        request,
        "web/canned.html",
        {
            "account": account,
            "accounts": list(member_accounts(user)),  # type: ignore[arg-type]
            "responses": list(canned.canned_for(account.pk)),
            "editing": editing,
            "values": values,
            "error": error,
            "languages": CannedResponse.Language.choices,
            "channels": InboxKind.choices,
            "variables": [f"{{{name}}}" for name in NAMES],
        },
        status=error.status if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def canned_page(request: HttpRequest, account_id: int) -> HttpResponse:
    user, account = lead_account(request, account_id)
    editing = _one(account, request.GET.get("edit", "") or request.POST.get("id", ""))
    if request.method == "GET":
        values = (
            {
                "title": editing.title,
                "text": editing.text,
                "language": editing.language,
                "channel": editing.channel,
            }
            if editing
            else {"title": "", "text": "", "language": "", "channel": ""}
        )
        return _render(request, account, editing, values)
    values = {key: request.POST.get(key, "") for key in ("title", "text", "language", "channel")}
    try:
        canned.check_save_canned(user, account, canned=editing, **values)
    except ActionError as exc:
        return _render(request, account, editing, values, exc)
    return redirect("web:canned", account.pk)


@login_required
@require_POST
def canned_delete(request: HttpRequest, account_id: int, canned_id: int) -> HttpResponse:
    user, account = lead_account(request, account_id)
    found = _one(account, str(canned_id))
    assert found is not None
    canned.check_delete_canned(user, account, found)
    return redirect("web:canned", account.pk)
