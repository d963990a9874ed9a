"""Personal data in public: the one-click reply that moves the customer out of public view.

A customer who posts a licence plate, a phone number or an IBAN in public needs two things at
once: the conversation continued privately, and the data out of everyone's sight. The reply
takes the form the channel has for that (../shared/docs/platforms.md):

- Facebook and Instagram comments: a private reply, which opens a private conversation with
  the customer; the comment itself can then be hidden (moderation, offered beside it).
- X and any other public channel: a public reply inviting a direct message, asking the
  customer to remove the details from their post.

The text is in the customer's language as triage found it (Dutch or English), signed with
the agent's first name as webcare teams sign ("^Sanne"), and goes through the one send path
with the collision guard, like any reply.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from webcare.accounts.models import User
from webcare.conversations.models import Conversation, Message
from webcare.core.errors import ActionError
from webcare.inboxes.models import InboxKind
from webcare.replies import private_replies
from webcare.replies.actions import check_send_reply
from webcare.triage import pii

# What each kind of personal data is called, for the warning and for the agent.
PII_NAMES = {
    "email": _("e-mail address"),
    "phone": _("phone number"),
    "iban": _("bank account number (IBAN)"),
    "plate": _("licence plate"),
    "postcode": _("postcode"),
    "card": _("card number"),
    "order": _("order or ticket number"),
}

# The invitations, per form and language. Written out rather than translated, because the
# customer's language decides, not the agent's.
PRIVATE_REPLY = {
    "nl": (
        "Hoi{name}, we helpen je hier privé verder. Je reactie bevat persoonlijke gegevens; "
        "haal die gerust weg uit je openbare reactie. Wat kunnen we voor je doen? ^{agent}"
    ),
    "en": (
        "Hi{name}, we'll help you here in private. Your comment contains personal details; "
        "feel free to remove them from your public comment. How can we help? ^{agent}"
    ),
}
INVITE_TO_DM = {
    "nl": (
        "{handle}Je bericht bevat persoonlijke gegevens: haal die liever weg uit je openbare "
        "bericht. Stuur ons een privébericht, dan helpen we je daar verder. ^{agent}"
    ),
    "en": (
        "{handle}Your post contains personal details: best remove them from your public post. "
        "Send us a private message and we'll help you there. ^{agent}"
    ),
}


@dataclass(frozen=True)
class Invitation:
    text: str
    private_reply: bool  # answered by a private message (Meta), else a public invitation


def pii_names(message: Message) -> list[str]:
    """The kinds of personal data triage found in `message`, named for a person, in order."""
    triage = getattr(message, "triage", None)
    kinds = dict.fromkeys(span["type"] for span in (triage.pii if triage else []))
    return [str(PII_NAMES.get(kind, kind)) for kind in kinds]


def draft_pii_names(text: str) -> list[str]:
    """The kinds of personal data in a draft, named for the agent: a public reply must not
    repeat the customer's licence plate or phone number for everyone to read."""
    kinds = dict.fromkeys(span.type for span in pii.find(text))
    return [str(PII_NAMES.get(kind, kind)) for kind in kinds]


def _language(message: Message) -> str:
    triage = getattr(message, "triage", None)
    return "nl" if triage is not None and triage.language == "nl" else "en"


def invitation(conversation: Conversation, message: Message, agent: User) -> Invitation:
    """The reply that takes `message`'s customer private, in their language."""
    language = _language(message)
    signature = agent.first_name or agent.get_username()
    if conversation.inbox.kind in private_replies.KINDS:
        identity = message.sender_identity
        words = ((identity.display_name if identity else "") or conversation.contact.name).split()
        name = f" {words[0]}" if words else ""
        return Invitation(PRIVATE_REPLY[language].format(name=name, agent=signature), True)
    handle = message.sender_identity.handle if message.sender_identity else ""
    mention = f"@{handle} " if handle and conversation.inbox.kind == InboxKind.X else ""
    return Invitation(INVITE_TO_DM[language].format(handle=mention, agent=signature), False)


def check_invite_to_private(
    actor: User, conversation: Conversation, message: Message, *, expected_last_message_id: int
) -> Message:
    """Queue the invitation for `message`, a public customer message with personal data."""
    if message.conversation_id != conversation.pk or not message.public or not pii_names(message):
        raise ActionError(
            str(_("Only a public customer message with personal data in it needs this.")),
            field="message",
        )
    invite = invitation(conversation, message, actor)
    return check_send_reply(
        actor,
        conversation,
        invite.text,
        expected_last_message_id=expected_last_message_id,
        private_reply=invite.private_reply,
    )
