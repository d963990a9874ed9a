"""The agent inbox: server-rendered pages, enhanced with htmx.

Every page works without JavaScript: the forms POST and redirect back to the conversation
(post/redirect/get). With htmx, `#app` is boosted, so the same redirect comes back as a fresh
page of which htmx swaps `#app`: counts, list and thread are always what the server says,
never patched in the browser. Only the character counter and "load more" fetch fragments.
Views read through selectors, write through actions, and look everything up with `access_*`.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from webcare.accounts.access import (
    access_account,
    access_member,
    access_team,
    member_accounts,
    member_inboxes,
)
from webcare.accounts.models import Account, Team, User
from webcare.accounts.notifications import mark_read, unread_count
from webcare.channels import limits, whatsapp_reads, windows
from webcare.conversations import moderation, selectors
from webcare.conversations.accounting import StillWaiting
from webcare.conversations.actions import (
    check_add_labels,
    check_add_note,
    check_change_status,
    check_remove_label,
    check_set_priority,
    check_settle_no_reply,
    check_unsettle,
    do_assign,
    do_take_up,
)
from webcare.conversations.models import (
    AGENT_REASONS,
    Conversation,
    Direction,
    Message,
    MessageKind,
    ModerationReason,
    Priority,
    ReplyState,
    Status,
)
from webcare.core.errors import ActionError
from webcare.replies import canned, private_replies, similar
from webcare.replies.actions import (
    ReplyCollision,
    check_mark_sent,
    check_retry_delivery,
    check_send_reply,
    reply_is_public,
)
from webcare.replies.drafts import discard_draft, draft_for
from webcare.replies.private_invite import check_invite_to_private, draft_pii_names
from webcare.replies.templates import check_send_template
from webcare.triage.models import TriageResult
from webcare.triage.selectors import top_waiting_results
from webcare.triage.storms import open_storms
from webcare.triage.strategy import strategy_for
from webcare.web import templates_picker
from webcare.web.forms import (
    MODE_NOTE,
    AddLabelsForm,
    AssignForm,
    ComposeForm,
    NoReplyForm,
    PriorityForm,
    RemoveLabelForm,
    StatusForm,
)
from webcare.web.lookups import (
    list_query,
    load_conversation,
    load_message,
    request_user,
    sort_query,
)

PAGE_SIZE = 25
VIEW_LABELS = {
    "needs_reply": _("Needs reply"),
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "escalated": _("Escalated"),
    "listening": _("Listening"),
    "all": _("All"),
}
SORT_LABELS = {"priority": _("Most urgent"), "oldest": _("Longest waiting")}
# Status 422 marks a re-rendered page that carries form errors; htmx is configured to swap it.
INVALID = 422
CONFLICT = 409


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@dataclass(frozen=True)
class Row:
    """A conversation in the list, with its customer's handle on that inbox."""

    conversation: Conversation
    handle: str
    triage: TriageResult | None = None  # its most urgent waiting message's, for the badges


def _filters(request: HttpRequest) -> selectors.ConversationFilter:
    inbox = request.GET.get("inbox", "")
    try:
        return selectors.ConversationFilter(
            view=request.GET.get("view", "needs_reply"),
            inbox_id=int(inbox) if inbox.isdigit() else None,
            label=request.GET.get("label", "").strip(),
            q=request.GET.get("q", "").strip(),
            sort=request.GET.get("sort", ""),
        )
    except ActionError:
        return selectors.ConversationFilter()


def _rows(
    user: User, account: Account, filters: selectors.ConversationFilter, cursor: str | None
) -> tuple[list[Row], str | None]:
    qs = selectors.conversations(user, [account.pk], filters)
    try:
        page, next_cursor = selectors.page(qs, filters.view, PAGE_SIZE, cursor, filters.sort)
    except ActionError:
        page, next_cursor = selectors.page(qs, filters.view, PAGE_SIZE, None, filters.sort)
    handles = selectors.contact_handles(page)
    triage = top_waiting_results([c.pk for c in page]) if filters.view == "needs_reply" else {}
    return [Row(c, handles.get(c.pk, ""), triage.get(c.pk)) for c in page], next_cursor


def _workspace_context(
    request: HttpRequest, account: Account, conversation: Conversation | None = None
) -> dict[str, Any]:
    user = request_user(request)
    filters = _filters(request)
    rows, next_cursor = _rows(user, account, filters, request.GET.get("cursor"))
    counts = selectors.view_counts(user, [account.pk], filters.inbox_id)
    views = [
        {"key": key, "label": VIEW_LABELS[key], "count": counts[key]} for key in selectors.VIEWS
    ]
    return {
        "account": account,
        "accounts": list(member_accounts(user)),
        "filters": filters,
        "list_query": list_query(request),
        "views": views,
        "current_view": next(v for v in views if v["key"] == filters.view),
        "sorts": [
            {"key": key, "label": SORT_LABELS[key], "query": sort_query(request, key)}
            for key in selectors.SORTS.get(filters.view, ())
        ],
        "inboxes": member_inboxes(user, account.pk),
        "labels": selectors.account_labels(account.pk),
        "rows": rows,
        "next_cursor": next_cursor,
        "conversation": conversation,
        "unread_notifications": unread_count(user, account.pk),
        "storms": open_storms(account.pk),
    }


def _counter(conversation: Conversation, text: str) -> dict[str, Any]:
    """What the character counter shows, measured as the channel counts (twitter-text on X),
    and the personal data a public draft would repeat for everyone to read."""
    public = reply_is_public(conversation)
    limit = limits.text_limit(conversation.inbox.kind, public)
    length = limits.measure(conversation.inbox.kind, public, text)
    return {
        "length": length,
        "maximum": limit.maximum,
        "over": limit.maximum is not None and length > limit.maximum,
        "pii": draft_pii_names(text) if public else [],
    }


def _conversation_context(
    request: HttpRequest,
    account: Account,
    conversation: Conversation,
    *,
    compose_form: ComposeForm | None = None,
    errors: dict[str, list[str]] | None = None,
    collision: list[Message] | None = None,
) -> dict[str, Any]:
    members = list(selectors.assignable_members(account.pk))
    teams = list(selectors.assignable_teams(account.pk))
    form = compose_form or ComposeForm(conversation=conversation)
    draft = draft_for(request_user(request), conversation)
    text = form.data.get("text", "") if form.is_bound else (draft.text if draft else "")
    context = _workspace_context(request, account, conversation)
    timeline = list(selectors.timeline(conversation))
    window = windows.reply_window(conversation, public=reply_is_public(conversation))
    context.update(
        {
            "timeline": timeline,
            # After a collision the draft still answers what the agent saw before it, so
            # "send anyway" is recorded as the override it is.
            "seen_message_id": (
                form.data.get("expected_last_message_id")
                if collision
                else max((message.pk for message in timeline), default="")
            ),
            "collision": collision or [],
            "history": list(selectors.contact_history(conversation)),
            "identities": list(selectors.contact_identities(conversation)),
            "conversation_labels": list(conversation.labels.all()),
            "members": members,
            "teams": teams,
            "statuses": Status.choices,
            "no_reply_reasons": AGENT_REASONS,
            "waiting_count": sum(
                1 for message in timeline if message.reply_state == ReplyState.WAITING
            ),
            "priorities": Priority.choices,
            "reply_public": reply_is_public(conversation),
            "offers_private_reply": private_replies.offers_private_reply(conversation),
            "moderatable": {
                message.pk
                for message in timeline
                if moderation.can_moderate(message, conversation.inbox)
            },
            "moderation_reasons": ModerationReason.choices,
            "reply_window": window,
            "templates": templates_picker.options(request, conversation, window),
            "compose_form": form,
            "draft": draft,
            "compose_note": form.is_bound and form.data.get("mode") == MODE_NOTE,
            "counter": _counter(conversation, text),
            "errors": errors or {},
            "tz": conversation.inbox.timezone,
        }
    )
    context.update(_answer_help(request, conversation, timeline))
    return context


def _answer_help(
    request: HttpRequest, conversation: Conversation, timeline: list[Message]
) -> dict[str, Any]:
    """How to answer the customer's newest message: a strategy, the canned responses that fit
    it, and what colleagues answered to messages like it."""
    newest = next(
        (
            m
            for m in reversed(timeline)
            if m.direction == Direction.INBOUND and m.kind == MessageKind.MESSAGE
        ),
        None,
    )
    return {
        "strategy": strategy_for(conversation, newest),
        "suggestions": canned.suggestions(conversation, newest, request_user(request)),
        "similar_answers": similar.similar_answers(conversation, newest),
    }


def _back(request: HttpRequest, account: Account, conversation: Conversation) -> HttpResponse:
    """Post/redirect/get to the conversation, keeping the list's filters."""
    url = reverse("web:conversation", args=[account.pk, conversation.display_id])
    query = list_query(request)
    return HttpResponseRedirect(f"{url}?{query}" if query else url, status=303)


def _invalid(
    request: HttpRequest,
    account: Account,
    conversation: Conversation,
    errors: dict[str, list[str]],
    compose_form: ComposeForm | None = None,
    *,
    collision: list[Message] | None = None,
) -> TemplateResponse:
    context = _conversation_context(
        request,
        account,
        conversation,
        compose_form=compose_form,
        errors=errors,
        collision=collision,
    )
    status = CONFLICT if collision else INVALID
    return TemplateResponse(request, "web/workspace.html", context, status=status)


def _form_errors(form: Any, key: str) -> dict[str, list[str]]:
    return {key: [str(error) for errors in form.errors.values() for error in errors]}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the work: Needs reply of the first account the user is a member of."""
    account = member_accounts(request_user(request)).first()
    if account is None:
        return TemplateResponse(request, "web/no_account.html", {})
    return redirect("web:conversations", account.pk)


@login_required
@require_GET
def conversation_list(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(request_user(request), account_id)
    context = _workspace_context(request, account)
    if request.GET.get("cursor") and request.headers.get("HX-Request"):
        return TemplateResponse(request, "web/workspace.html#rows", context)
    return TemplateResponse(request, "web/workspace.html", context)


@login_required
@require_GET
def conversation_detail(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    user, account, conversation = load_conversation(request, account_id, display_id)
    mark_read(user, conversation)
    whatsapp_reads.request_read_receipt(conversation)
    return TemplateResponse(
        request, "web/workspace.html", _conversation_context(request, account, conversation)
    )


@login_required
@require_POST
def compose(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    """Send a reply (the conversation leaves Needs reply) or add an internal note."""
    user, account, conversation = load_conversation(request, account_id, display_id)
    form = ComposeForm(request.POST, conversation=conversation)
    if not form.is_valid():
        return _invalid(request, account, conversation, _form_errors(form, "compose"), form)
    try:
        if form.cleaned_data["mode"] == MODE_NOTE:
            check_add_note(user, conversation, form.cleaned_data["text"])
            # The note came from the composer's box, so its draft is written now.
            discard_draft(user, conversation)
        else:
            check_send_reply(
                user,
                conversation,
                form.cleaned_data["text"],
                expected_last_message_id=_seen(form, conversation),
                send_anyway=form.cleaned_data["send_anyway"],
                private_reply=form.cleaned_data["private"],
            )
    except ReplyCollision as exc:
        message = gettext(
            "A colleague replied to this customer while you were writing. Read their reply: "
            "send yours anyway only if it adds something, or change your draft first."
        )
        return _invalid(
            request, account, conversation, {"compose": [message]}, form, collision=exc.replies
        )
    except ActionError as exc:
        return _invalid(request, account, conversation, {"compose": [exc.message]}, form)
    return _back(request, account, conversation)


@login_required
@require_POST
def send_template(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    """Queue the WhatsApp template the agent chose, with the values typed into its fields."""
    user, account, conversation = load_conversation(request, account_id, display_id)
    template = templates_picker.offered_template(conversation, request.POST.get("template"))
    seen = request.POST.get("expected_last_message_id", "")
    try:
        check_send_template(
            user,
            conversation,
            template.name,
            template.language,
            request.POST.getlist(f"parameter-{template.pk}"),
            expected_last_message_id=int(seen) if seen.isdigit() else 0,
        )
    except ReplyCollision:
        message = gettext(
            "A colleague replied to this customer while you were choosing. Read their reply "
            "first; send the template again only if it still adds something."
        )
        return _invalid(request, account, conversation, {"template": [message]})
    except ActionError as exc:
        return _invalid(request, account, conversation, {"template": [exc.message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def template_preview(
    request: HttpRequest, account_id: int, display_id: int, template_id: int
) -> HttpResponse:
    """One template's preview, asked for while the agent fills in its fields."""
    _, _, conversation = load_conversation(request, account_id, display_id)
    template = templates_picker.offered_template(conversation, str(template_id))
    values = templates_picker.parameters_posted(request, template)
    option = templates_picker.Option(template, values, templates_picker.preview(template, values))
    return TemplateResponse(request, "web/_conversation.html#template_preview", {"option": option})


def _seen(form: ComposeForm, conversation: Conversation) -> int:
    """The newest message the agent saw; a form without it (an old tab) saw nothing newer
    than the customer's first message, so any reply since then counts as a collision."""
    seen = form.cleaned_data.get("expected_last_message_id")
    if seen is not None:
        return seen
    return conversation.messages.order_by("pk").values_list("pk", flat=True).first() or 0


@login_required
@require_POST
def counter(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    """The counter fragment for the composer, asked for while the agent types."""
    _, _, conversation = load_conversation(request, account_id, display_id)
    context = {"counter": _counter(conversation, request.POST.get("text", "").strip())}
    return TemplateResponse(request, "web/_conversation.html#counter", context)


def _assignment(user: User, account: Account, to: str) -> tuple[User | None, Team | None]:
    kind, _, pk = to.partition(":")
    if kind == "me":
        return user, None
    if kind == "user":
        return access_member(user, account.pk, int(pk)), None
    if kind == "team":
        return None, access_team(user, account.pk, int(pk))
    return None, None


@login_required
@require_POST
def assign(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    user, account, conversation = load_conversation(request, account_id, display_id)
    form = AssignForm(
        request.POST,
        members=list(selectors.assignable_members(account.pk)),
        teams=list(selectors.assignable_teams(account.pk)),
    )
    if not form.is_valid():
        return _invalid(request, account, conversation, _form_errors(form, "assign"))
    assignee, team = _assignment(user, account, form.cleaned_data["to"])
    if team is not None:
        # Handing to a team keeps the person who has it; the team is who picks it up next.
        assignee = conversation.assignee
    do_assign(user, conversation, assignee, team)
    return _back(request, account, conversation)


@login_required
@require_POST
def change_status(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    user, account, conversation = load_conversation(request, account_id, display_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _invalid(request, account, conversation, _form_errors(form, "status"))
    try:
        check_change_status(
            user,
            conversation,
            form.cleaned_data["status"],
            form.cleaned_data["snoozed_until"],
            form.cleaned_data["no_reply_reason"],
        )
    except StillWaiting as exc:
        message = ngettext(
            "A customer message is still waiting. Answer it, or say why it needs no reply.",
            "%(count)d customer messages are still waiting. Answer them, or say why they "
            "need no reply.",
            len(exc.messages),
        ) % {"count": len(exc.messages)}
        return _invalid(request, account, conversation, {"status": [message]})
    except ActionError as exc:
        return _invalid(request, account, conversation, {"status": [exc.message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def no_reply_needed(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    """Take one waiting customer message (or all) out of Needs reply, with the reason."""
    user, account, conversation = load_conversation(request, account_id, display_id)
    form = NoReplyForm(request.POST)
    if not form.is_valid():
        return _invalid(request, account, conversation, _form_errors(form, "accounting"))
    message_id = form.cleaned_data["message"]
    try:
        check_settle_no_reply(
            user,
            conversation,
            [message_id] if message_id else None,
            form.cleaned_data["reason"],
        )
    except ActionError:
        message = gettext("Nothing changed: that message is no longer waiting for an answer.")
        return _invalid(request, account, conversation, {"accounting": [message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def moderate(
    request: HttpRequest, account_id: int, display_id: int, message_id: int
) -> HttpResponse:
    """Hide, show again or delete a customer's public comment on its platform."""
    user, account, conversation, message = load_message(request, account_id, display_id, message_id)
    try:
        moderation.check_moderate(
            user, message, request.POST.get("action", ""), request.POST.get("reason", "")
        )
    except ActionError as exc:
        return _invalid(request, account, conversation, {"moderation": [exc.message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def invite_private(
    request: HttpRequest, account_id: int, display_id: int, message_id: int
) -> HttpResponse:
    """Answer a public message with personal data in it by taking the customer private."""
    user, account, conversation, message = load_message(request, account_id, display_id, message_id)
    seen = request.POST.get("expected_last_message_id", "")
    try:
        check_invite_to_private(
            user,
            conversation,
            message,
            expected_last_message_id=int(seen) if seen.isdigit() else message.pk,
        )
    except ReplyCollision as exc:
        text = gettext(
            "A colleague replied to this customer meanwhile. Read their reply first; invite "
            "the customer privately from the composer if it is still needed."
        )
        return _invalid(request, account, conversation, {"compose": [text]}, collision=exc.replies)
    except ActionError as exc:
        return _invalid(request, account, conversation, {"compose": [exc.message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def take_up(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    """Take up a post found by listening: it moves to Needs reply, assigned to you."""
    user, account, conversation = load_conversation(request, account_id, display_id)
    if not do_take_up(user, conversation):
        message = gettext("A colleague or the customer was first: it is already in Needs reply.")
        return _invalid(request, account, conversation, {"accounting": [message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def needs_reply_again(
    request: HttpRequest, account_id: int, display_id: int, message_id: int
) -> HttpResponse:
    user, account, conversation, message = load_message(request, account_id, display_id, message_id)
    try:
        check_unsettle(user, message)
    except ActionError:
        message_text = gettext("Nothing changed: that message was not marked 'no reply needed'.")
        return _invalid(request, account, conversation, {"accounting": [message_text]})
    return _back(request, account, conversation)


@login_required
@require_POST
def set_priority(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    user, account, conversation = load_conversation(request, account_id, display_id)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _invalid(request, account, conversation, _form_errors(form, "priority"))
    check_set_priority(user, conversation, form.cleaned_data["priority"])
    return _back(request, account, conversation)


@login_required
@require_POST
def add_labels(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    user, account, conversation = load_conversation(request, account_id, display_id)
    form = AddLabelsForm(request.POST)
    if not form.is_valid():
        return _invalid(request, account, conversation, _form_errors(form, "labels"))
    try:
        check_add_labels(user, conversation, form.cleaned_data["names"])
    except ActionError as exc:
        return _invalid(request, account, conversation, {"labels": [exc.message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def remove_label(request: HttpRequest, account_id: int, display_id: int) -> HttpResponse:
    user, account, conversation = load_conversation(request, account_id, display_id)
    form = RemoveLabelForm(request.POST)
    if not form.is_valid():
        return _invalid(request, account, conversation, _form_errors(form, "labels"))
    try:
        check_remove_label(user, conversation, form.cleaned_data["name"])
    except ActionError as exc:
        return _invalid(request, account, conversation, {"labels": [exc.message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def retry_delivery(
    request: HttpRequest, account_id: int, display_id: int, message_id: int
) -> HttpResponse:
    user, account, conversation, message = load_message(request, account_id, display_id, message_id)
    try:
        check_retry_delivery(user, message)
    except ActionError as exc:
        return _invalid(request, account, conversation, {"delivery": [exc.message]})
    return _back(request, account, conversation)


@login_required
@require_POST
def mark_sent(
    request: HttpRequest, account_id: int, display_id: int, message_id: int
) -> HttpResponse:
    """An agent found an uncertain reply on the platform: it counts as sent."""
    user, account, conversation, message = load_message(request, account_id, display_id, message_id)
    try:
        check_mark_sent(user, message)
    except ActionError as exc:
        return _invalid(request, account, conversation, {"delivery": [exc.message]})
    return _back(request, account, conversation)
