"""Triage's reasons as the badges of a list row, in the agent's language.

The reasons are stored as triage/priority.py words them ("complaint", "very negative",
"12k followers", "public", "personal data in public"), which `webcare triage` prints as they
are; here each becomes a translated badge with a class for its colour.
"""

import re
from dataclasses import dataclass

from django import template
from django.utils.translation import gettext as _

from webcare.conversations.models import Message
from webcare.replies.private_invite import pii_names
from webcare.triage.models import TriageResult

register = template.Library()

FOLLOWERS = re.compile(r"^(?P<count>[\d.]+[kM]?) followers$")


@dataclass(frozen=True)
class Badge:
    label: str
    kind: str  # the css class suffix: intent, negative, reach, pii


def _badge(reason: str) -> Badge | None:
    words = {
        "complaint": Badge(_("Complaint"), "complaint"),
        "question": Badge(_("Question"), "intent"),
        "feedback": Badge(_("Feedback"), "intent"),
        "negative": Badge(_("Negative"), "negative"),
        "very negative": Badge(_("Very negative"), "negative"),
        "personal data in public": Badge(_("Personal data in public"), "pii"),
    }
    if reason in words:
        return words[reason]
    followers = FOLLOWERS.match(reason)
    if followers:
        return Badge(_("%(count)s followers") % {"count": followers["count"]}, "reach")
    # "public" is on the row already; "waiting ..." is the row's own clock.
    return None


@register.simple_tag
def triage_badges(result: TriageResult | None) -> list[Badge]:
    if result is None:
        return []
    return [badge for badge in map(_badge, result.reasons) if badge is not None]


@register.simple_tag
def personal_data(message: Message) -> list[str]:
    """The kinds of personal data triage found in a customer's message, named for a person."""
    return pii_names(message)
