"""The storms page: negative messages about one topic, grouped, answered and labelled at once.

A team lead gets a notification when a storm opens (triage/storms.py); here they see each open
storm's conversations, answer every waiting customer with one text (its variables filled per
customer, the collision guard per conversation), label them all, and mark the storm handled.
Agents see the page too, to know what is going on, without the group actions.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from webcare.accounts.access import access_account, is_lead_or_admin, member_accounts
from webcare.accounts.models import Account
from webcare.core.errors import ActionError
from webcare.replies.variables import NAMES
from webcare.triage import storms
from webcare.triage.models import Storm
from webcare.web.lookups import request_user


def _page(
    request: HttpRequest,
    account: Account,
    *,
    outcome: dict[int, storms.GroupResult] | None = None,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> TemplateResponse:
    user = request_user(request)
    groups = []
    for storm in storms.open_storms(account.pk):
        conversations = storms.conversations_of(storm)
        groups.append(
            {
                "storm": storm,
                "conversations": conversations,
                "waiting": sum(1 for c in conversations if c.waiting_since is not None),
                "seen": {c.pk: c.last_message_id for c in conversations},
                "outcome": (outcome or {}).get(storm.pk),
                "error": (errors or {}).get(storm.pk, ""),
            }
        )
    return TemplateResponse(
        request,
        "web/storms.html",
        {
            "account": account,
            "accounts": list(member_accounts(user)),
            "groups": groups,
            "leads": is_lead_or_admin(user, account.pk),
            "variables": [f"{{{name}}}" for name in NAMES],
        },
        status=status,
    )


def _storm(account: Account, storm_id: int) -> Storm:
    storm = Storm.objects.filter(pk=storm_id, account=account).first()
    if storm is None:
        raise Http404("No such storm")
    return storm


@login_required
@require_GET
def storms_page(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(request_user(request), account_id)
    return _page(request, account)


def _seen(request: HttpRequest) -> dict[int, int]:
    """What the lead saw: `seen-<conversation id>` = the newest message id on the page."""
    seen = {}
    for key, value in request.POST.items():
        conversation = key.removeprefix("seen-")
        if key.startswith("seen-") and conversation.isdigit() and value.isdigit():
            seen[int(conversation)] = int(value)
    return seen


@login_required
@require_POST
def storm_action(request: HttpRequest, account_id: int, storm_id: int) -> HttpResponse:
    """Answer all, label all, or mark handled: `action` says which."""
    user = request_user(request)
    account = access_account(user, account_id)
    storm = _storm(account, storm_id)
    action = request.POST.get("action", "")
    try:
        if action == "answer":
            result = storms.check_answer_storm(
                user, storm, request.POST.get("text", ""), _seen(request)
            )
            return _page(request, account, outcome={storm.pk: result})
        if action == "label":
            name = request.POST.get("label", "").strip() or storm.term
            result = storms.check_label_storm(user, storm, name)
            return _page(request, account, outcome={storm.pk: result})
        if action == "close":
            storms.check_close(user, storm)
            return redirect("web:storms", account.pk)
    except ActionError as exc:
        return _page(request, account, errors={storm.pk: exc.message}, status=exc.status)
    message = gettext("Unknown action %(action)r: answer, label or close.") % {"action": action}
    return _page(request, account, errors={storm.pk: message}, status=400)
