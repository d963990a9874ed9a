"""The team's canned responses: written by leads, suggested to agents for each message.

A canned response is for one language and one channel kind, or for any. For a customer
message the suggestions are those that fit its language (as triage found it) and its
channel, ranked by the words they share with the message (triage/topics.py's content words,
over the response's title and text), and filled in for the conversation and the agent, so
"Use" puts the finished text in the composer.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from webcare.accounts.access import is_lead_or_admin
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation, Message
from webcare.core.errors import ActionError
from webcare.inboxes.models import InboxKind
from webcare.replies.models import CannedResponse
from webcare.replies.variables import fill
from webcare.triage import topics

SUGGESTIONS = 3
TITLE_MAX = 80


@dataclass(frozen=True)
class Suggestion:
    canned: CannedResponse
    text: str  # filled in for this conversation and agent
    shared: tuple[str, ...]  # the words it has in common with the message


def canned_for(account_id: int) -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(account_id=account_id).order_by("title", "language")


def _check_lead(actor: User, account: Account) -> None:
    if not is_lead_or_admin(actor, account.pk):
        raise ActionError(_("Only team leads and admins change the canned responses."), status=403)


def check_save_canned(
    actor: User,
    account: Account,
    *,
    title: str,
    text: str,
    language: str = "",
    channel: str = "",
    canned: CannedResponse | None = None,
) -> CannedResponse:
    """Add a canned response, or change `canned`; a clear error names a bad field."""
    _check_lead(actor, account)
    title, text = title.strip(), text.strip()
    if not title:
        raise ActionError(_("Give the canned response a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ActionError(_("A title is at most 80 characters."), field="title")
    if not text:
        raise ActionError(_("Write the text of the canned response."), field="text")
    if language not in CannedResponse.Language.values:
        raise ActionError(_("Choose Dutch, English or any language."), field="language")
    if channel and channel not in InboxKind.values:
        raise ActionError(_("Choose a channel, or every channel."), field="channel")
    row = canned or CannedResponse(account=account)
    if row.account_id != account.pk:
        raise ActionError(_("No such canned response."), status=404)
    row.title, row.text, row.language, row.channel = title, text, language, channel
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ActionError(
            _("There is already a canned response with this title for this language and channel."),
            field="title",
        ) from None
    return row


def check_delete_canned(actor: User, account: Account, canned: CannedResponse) -> None:
    _check_lead(actor, account)
    if canned.account_id != account.pk:
        raise ActionError(_("No such canned response."), status=404)
    canned.delete()


def _language(message: Message | None) -> str:
    triage = getattr(message, "triage", None) if message is not None else None
    return triage.language if triage is not None and triage.language in ("nl", "en") else ""


def suggestions(
    conversation: Conversation, message: Message | None, agent: User
) -> list[Suggestion]:
    """The canned responses that fit `message` best (the customer's newest), filled in."""
    language = _language(message)
    fitting = canned_for(conversation.account_id).filter(
        Q(channel="") | Q(channel=conversation.inbox.kind)
    )
    if language:
        fitting = fitting.filter(Q(language="") | Q(language=language))
    words = set(topics.terms(message.text)) if message is not None else set()
    ranked = []
    for canned in fitting:
        shared = tuple(sorted(words & set(topics.terms(f"{canned.title} {canned.text}"))))
        # More shared words first; then the ones written for this channel and language.
        ranked.append(((-len(shared), canned.channel == "", canned.language == ""), canned, shared))
    ranked.sort(key=lambda item: (item[0], item[1].title))
    return [
        Suggestion(canned, fill(canned.text, conversation, agent), shared)
        for _key, canned, shared in ranked[:SUGGESTIONS]
    ]
