"""Template questions about settings pages: whether to show their links at all."""

from django import template

from webcare.accounts.access import is_lead_or_admin
from webcare.accounts.models import Account, User

register = template.Library()


@register.simple_tag
def can_manage_inboxes(user: object, account: Account) -> bool:
    """Whether the inbox-promises link belongs in this user's menu (leads and admins only)."""
    return isinstance(user, User) and is_lead_or_admin(user, account.pk)
