"""The variables a prepared text may use, filled in for one conversation and one agent.

`{first_name}` is the customer's first name as the platform gives it (empty when unknown),
`{agent_first_name}` and `{agent_initials}` sign for the agent, as webcare teams sign
("^SdV"). Anything else in braces is left as written, so a typo shows up in the preview
instead of failing the send.
"""

import re

from webcare.accounts.models import User
from webcare.conversations.models import Conversation

_VARIABLE = re.compile(r"\{(first_name|agent_first_name|agent_initials)\}")
NAMES = ("first_name", "agent_first_name", "agent_initials")


def initials(user: User) -> str:
    parts = [user.first_name, user.last_name] if user.first_name else [user.get_username()]
    return "".join(word[0].upper() for part in parts for word in part.split() if word)


def fill(text: str, conversation: Conversation, agent: User) -> str:
    words = (conversation.contact.name or "").split()
    values = {
        "first_name": words[0] if words else "",
        "agent_first_name": agent.first_name or agent.get_username(),
        "agent_initials": initials(agent),
    }
    filled = _VARIABLE.sub(lambda match: values[match.group(1)], text)
    # "Hoi {first_name}," with no name known reads "Hoi ,": close the gap.
    return re.sub(r" +([,.!?])", r"\1", filled)
