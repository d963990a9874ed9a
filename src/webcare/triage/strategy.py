"""How to answer a customer: one of the five ways webcare agents answer, chosen from triage.

The thesis behind the product (../shared/docs/product.md, seeds/004) found five ways: give the
relevant information; acknowledge that a complaint is justified and ask for details; humour;
respond to a message that did not ask for a response; and a playful duel. Humour has limits,
so it is suggested only where the customer's mood and the topic allow it, and a duel is one
thing never to have in public with an angry customer. The choice is a rule over what triage
found and where the conversation stands, so a team lead can read why.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from webcare.conversations.models import Conversation, Direction, Message, MessageKind
from webcare.triage.models import TriageResult

# A public conversation where the customer wrote this often, angrily, since our last reply is
# turning into a row: take it private instead of answering in public again.
DUEL_AFTER = 3


@dataclass(frozen=True)
class Strategy:
    key: str  # inform, acknowledge, humour, unprompted, no_duel
    label: str
    advice: str


STRATEGIES = {
    "inform": (
        _("Give the relevant information"),
        _("A question: answer it directly and completely, with a link or the next step."),
    ),
    "acknowledge": (
        _("Acknowledge the complaint and ask for details"),
        _(
            "Say you are sorry it happened and that you take it up; ask what you need to know "
            "(privately if it involves personal details)."
        ),
    ),
    "humour": (
        _("A light touch is fine here"),
        _(
            "The customer is positive and nothing is wrong: a warm or witty answer fits. Keep "
            "it kind, and never at anyone's expense."
        ),
    ),
    "unprompted": (
        _("Respond to an unprompted mention"),
        _(
            "They did not ask you: be brief and helpful, offer help without pushing, and do "
            "not sell."
        ),
    ),
    "no_duel": (
        _("Never a public duel"),
        _(
            "This is getting heated in public. One calm public answer at most, then invite "
            "them to continue privately or by phone; never argue point by point."
        ),
    ),
}


def _angry_turns(conversation: Conversation) -> int:
    """Complaints and other negative customer messages since our last reply."""
    last_reply = (
        conversation.messages.filter(direction=Direction.OUTBOUND, kind=MessageKind.MESSAGE)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    recent = TriageResult.objects.filter(
        Q(sentiment="negative") | Q(intent="complaint"),
        message__conversation=conversation,
        message__direction=Direction.INBOUND,
    )
    if last_reply is not None:
        recent = recent.filter(message__created_at__gt=last_reply)
    return recent.count()


def strategy_for(conversation: Conversation, message: Message | None) -> Strategy | None:
    """The way to answer `message` (the customer's newest); None before it is triaged."""
    triage = getattr(message, "triage", None) if message is not None else None
    if triage is None:
        return None
    if conversation.proactive or (message is not None and message.reply_state == "no_reply_needed"):
        key = "unprompted"
    elif message is not None and message.public and _angry_turns(conversation) >= DUEL_AFTER:
        key = "no_duel"
    elif triage.intent == "complaint" or triage.sentiment == "negative":
        key = "acknowledge"
    elif triage.intent in ("praise",) or (triage.sentiment == "positive" and not triage.has_pii):
        key = "humour"
    else:
        key = "inform"
    label, advice = STRATEGIES[key]
    return Strategy(key, str(label), str(advice))
