"""The composer's draft: saved while the agent types, discarded on request.

`static/web/drafts.js` posts the composer's text here a moment after the agent stops typing
and shows the status fragment this answers with ("Draft saved 14:02"). The conversation page
fills the composer with the draft, so a closed tab, a crashed browser or another computer
loses nothing. Writes go through `replies.drafts`; lookups through `access_*`.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from webcare.core.errors import ActionError
from webcare.replies.drafts import MAX_DRAFT_LENGTH, StaleDraft, discard_draft, save_draft
from webcare.web.lookups import list_query, load_conversation


def _seen(request: HttpRequest) -> int | None:
    value = request.POST.get("seen_message_id", "")
    return int(value) if value.isdigit() else None


def _refusal(exc: ActionError) -> str:
    """The reason in the agent's language; the action's own words are for the API."""
    if isinstance(exc, StaleDraft):
        return gettext(
            "Draft not saved: you sent a reply or note here after this page was loaded. "
            "Reload the conversation to go on writing."
        )
    if exc.field == "text":
        return gettext("Draft not saved: it is longer than %(maximum)s characters.") % {
            "maximum": MAX_DRAFT_LENGTH
        }
    return exc.message


@login_required
@require_POST
def save(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    """Keep the composer's text as the agent's draft; answers the composer's status line."""
    user, account, conversation = load_conversation(request, account_id, display_id)
    context = {
        "account": account,
        "conversation": conversation,
        "list_query": list_query(request),
        "tz": conversation.inbox.timezone,
    }
    try:
        draft = save_draft(user, conversation, request.POST.get("text", ""), _seen(request))
    except ActionError as exc:
        context["draft_error"] = _refusal(exc)
        return TemplateResponse(
            request, "web/_conversation.html#draft_status", context, status=exc.status
        )
    context["draft"] = draft
    return TemplateResponse(request, "web/_conversation.html#draft_status", context)


@login_required
@require_POST
def discard(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    """Throw the draft away and show the conversation with an empty composer."""
    user, account, conversation = load_conversation(request, account_id, display_id)
    discard_draft(user, conversation)
    url = reverse("web:conversation", args=[account.pk, conversation.display_id])
    query = list_query(request)
    return HttpResponseRedirect(f"{url}?{query}" if query else url, status=303)
