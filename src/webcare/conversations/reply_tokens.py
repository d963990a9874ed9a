"""Reply addresses that carry their conversation: `support+c1234-5f0e2a9b1c@example.com`.

An e-mail reply normally threads by its In-Reply-To and References headers. Some mail clients
drop them, and a customer may start a fresh mail to the address our reply came from; the
reply address still names the conversation then. The token is the conversation's number and
an HMAC of it with the inbox's secret, so nobody can write themselves into another customer's
conversation by guessing numbers.
"""

import hashlib
import hmac
import re

from webcare.conversations.models import Conversation
from webcare.inboxes.models import Inbox

TOKEN_PATTERN = re.compile(r"^c(\d{1,12})-([0-9a-f]{10})$")


def _signature(inbox: Inbox, conversation_pk: int) -> str:
    data = f"reply:{inbox.pk}:{conversation_pk}".encode()
    return hmac.new(inbox.secret.encode(), data, hashlib.sha256).hexdigest()[:10]


def token_for(conversation: Conversation) -> str:
    return f"c{conversation.display_id}-{_signature(conversation.inbox, conversation.pk)}"


def conversation_for(inbox: Inbox, token: str) -> Conversation | None:
    """The inbox's conversation the token names; None for a token that does not verify."""
    found = TOKEN_PATTERN.match(token.strip().lower())
    if found is None:
        return None
    conversation = Conversation.objects.filter(inbox=inbox, display_id=int(found.group(1))).first()
    if conversation is None:
        return None
    if not hmac.compare_digest(_signature(inbox, conversation.pk), found.group(2)):
        return None
    return conversation
