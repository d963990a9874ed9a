"""`{% availability_switch %}`: the current person's Online / Away / Offline switch.

A tag rather than view context so any page that knows its `account` can show it without
each view having to fetch the membership.
"""

from typing import Any

from django import template
from django.utils.translation import gettext, gettext_lazy

from webcare.accounts.access import access_membership
from webcare.accounts.models import Availability, User
from webcare.conversations.assignment import open_count

register = template.Library()

# What each choice does (the button's title), and what the current one means (under it).
CHOICES = {
    Availability.ONLINE: gettext_lazy("Get new conversations"),
    Availability.AWAY: gettext_lazy("Keep your conversations, get no new ones"),
    Availability.OFFLINE: gettext_lazy("Hand your open conversations back to your team"),
}
HINTS = {
    Availability.ONLINE: gettext_lazy("You get new conversations."),
    Availability.AWAY: gettext_lazy("You keep your conversations but get no new ones."),
    Availability.OFFLINE: gettext_lazy("You get no conversations; open ones go to your team."),
}


@register.inclusion_tag("web/_availability.html", takes_context=True)
def availability_switch(context: template.Context) -> dict[str, Any]:
    user = context.get("user")
    account = context.get("account")
    if not isinstance(user, User) or account is None:
        return {"show": False}
    membership = access_membership(user, account.pk)
    current = membership.availability
    load = ""
    if current == Availability.ONLINE:
        load = gettext("You have %(open)s of at most %(capacity)s.") % {
            "open": open_count(membership),
            "capacity": membership.capacity,
        }
    return {
        "show": True,
        "account": account,
        "request": context.get("request"),
        "current": current,
        "options": [
            (value, label, CHOICES[Availability(value)]) for value, label in Availability.choices
        ],
        "hint": HINTS[Availability(current)],
        "load": load,
    }
