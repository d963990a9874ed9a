"""Writes to inboxes."""

from django.db import IntegrityError, transaction

from webcare.accounts.models import Account
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox, InboxKind

# Settings each kind understands; anything else is a typo we refuse loudly.
KNOWN_SETTINGS: dict[str, set[str]] = {
    InboxKind.API: {"callback_url", "sandbox"},
}
COMMON_SETTINGS = {"sandbox"}


def _coerce(value: str) -> object:
    lowered = value.lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    return value


def parse_settings(kind: str, pairs: list[str]) -> dict[str, object]:
    """Turn `key=value` strings into settings, refusing keys the kind does not know."""
    allowed = KNOWN_SETTINGS.get(kind, set()) | COMMON_SETTINGS
    parsed: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ActionError(f"Setting {pair!r} is not key=value.", field="set")
        if key not in allowed:
            raise ActionError(
                f"{kind} inboxes have no setting {key!r}; known: {', '.join(sorted(allowed))}.",
                field="set",
            )
        parsed[key] = _coerce(value)
    return parsed


def do_add_inbox(
    account: Account,
    kind: str,
    name: str,
    *,
    handle: str = "",
    settings: dict[str, object] | None = None,
) -> Inbox:
    if kind not in InboxKind.values:
        raise ActionError(f"Unknown inbox kind {kind!r}; use one of {', '.join(InboxKind.values)}.")
    try:
        with transaction.atomic():
            return Inbox.objects.create(
                account=account, kind=kind, name=name, handle=handle, settings=settings or {}
            )
    except IntegrityError:
        raise ActionError(f"Account {account.name} already has an inbox named {name!r}.") from None


def do_update_settings(inbox: Inbox, settings: dict[str, object]) -> Inbox:
    inbox.settings = {**inbox.settings, **settings}
    inbox.save(update_fields=["settings"])
    return inbox
