"""Writes to inboxes."""

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from webcare.accounts.access import is_lead_or_admin
from webcare.accounts.models import Account, Team, User
from webcare.conversations.actions import refresh_conversation_state
from webcare.conversations.models import Conversation
from webcare.core.errors import ActionError
from webcare.inboxes import credentials
from webcare.inboxes.business_hours import parse_opening_hours, validate_calendar_settings
from webcare.inboxes.models import Inbox, InboxKind

logger = logging.getLogger(__name__)

# Settings each kind understands; anything else is a typo we refuse loudly.
KNOWN_SETTINGS: dict[str, set[str]] = {
    InboxKind.API: {"callback_url", "sandbox"},
    # platforms.md §1: the consumer secret signs webhooks, the bearer token is the brand's
    # user-context token; api_base lets a stand-in take X's place; fields_param is
    # "tweet.fields" or "post.fields" (X renamed it in its 2026 OpenAPI); poll=false leaves
    # inbound to the webhook alone.
    # listen_query: an X search query for posts that name the brand without addressing it.
    InboxKind.X: {
        "consumer_secret",
        "user_id",
        "bearer_token",
        "api_base",
        "fields_param",
        "poll",
        "listen_query",
    },
    # platforms.md §3; waba_id (the WhatsApp Business Account) is where the message
    # templates are listed (`webcare inbox templates sync`).
    InboxKind.WHATSAPP: {
        "app_secret",
        "verify_token",
        "phone_number_id",
        "waba_id",
        "access_token",
        "api_base",
    },
    # platforms.md §2: the app secret signs webhooks, the verify token answers the handshake;
    # api_base lets a stand-in take Graph's place.
    InboxKind.FACEBOOK: {"app_secret", "verify_token", "page_id", "access_token", "api_base"},
    InboxKind.INSTAGRAM: {"app_secret", "verify_token", "ig_user_id", "access_token", "api_base"},
    # platforms.md §4: IMAP in (imap_security ssl|starttls|none, by default what the port is
    # for), SMTP out, one login for both; plus_addressing=false when the mail server does not
    # deliver support+token@ to support@; acknowledgement: a text confirming receipt of a
    # customer's first mail (never sent to an automatic one); read=false stops reading;
    # language and color: the contact form's default language and the brand's colour.
    InboxKind.EMAIL: {
        "imap_host",
        "imap_port",
        "imap_security",
        "imap_folder",
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "username",
        "password",
        "address",
        "from_name",
        "plus_addressing",
        "acknowledgement",
        "read",
        "language",
        "color",
    },
    # The chat widget: the brand's colour, the widget's language when the page does not say,
    # the e-mail inbox that answers messages left while nobody is online, and the sites that
    # may embed it (comma-separated origins; empty: any).
    InboxKind.WEBCHAT: {"color", "language", "email_inbox", "allowed_origins", "title"},
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
                account=account,
                kind=kind,
                name=name,
                handle=handle,
                settings=credentials.seal(settings or {}),
            )
    except IntegrityError:
        raise ActionError(f"Account {account.name} already has an inbox named {name!r}.") from None


def do_update_settings(inbox: Inbox, settings: dict[str, object]) -> Inbox:
    inbox.settings = credentials.seal({**inbox.settings, **settings})
    inbox.save(update_fields=["settings"])
    return inbox


def do_set_team(inbox: Inbox, team: Team | None) -> Inbox:
    """The team that answers the inbox: its new conversations go to that team from now on."""
    if team is not None and team.account_id != inbox.account_id:
        raise ActionError(f"Team {team.name} belongs to another account.", field="team")
    if inbox.team_id != (team.pk if team else None):
        inbox.team = team
        inbox.save(update_fields=["team"])
    return inbox


# Response-time promises ----------------------------------------------------------------------

PROMISE_FIELDS = (
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "warn_before_minutes",
    "timezone",
    "opening_hours",
    "holiday_country",
    "holiday_subdivision",
)
_TARGET_FIELDS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
# A year of minutes: anything longer is a typo, not a promise.
MAX_PROMISE_MINUTES = 365 * 24 * 60


def _minutes(field: str, value: object, *, optional: bool) -> int | None:
    """A count of minutes from a form or the command line; None (or "") only if optional."""
    if value is None or value == "":
        if optional:
            return None
        raise ActionError(_("Give a number of minutes."), field=field)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ActionError(_("Give a whole number of minutes."), field=field)
    try:
        minutes = int(value)
    except ValueError:
        raise ActionError(_("Give a whole number of minutes."), field=field) from None
    lowest = 1 if optional else 0
    if not lowest <= minutes <= MAX_PROMISE_MINUTES:
        raise ActionError(
            _("Give between %(low)d and %(high)d minutes.")
            % {"low": lowest, "high": MAX_PROMISE_MINUTES},
            field=field,
        )
    return minutes


def check_inbox_promises(inbox: Inbox, fields: dict[str, object]) -> dict[str, object]:
    """Validate new promise settings against the inbox's current ones; return the changes.

    The time zone and holiday region are checked together because a region only means
    something within its country. A table that is closed on every day is refused: no promise
    could ever fall due, which is never what a lead means (24/7 is the empty table).
    """
    unknown = sorted(set(fields) - set(PROMISE_FIELDS))
    if unknown:
        raise ActionError(
            _("Unknown setting %(names)s; known: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(PROMISE_FIELDS)}
        )
    values: dict[str, object] = {field: getattr(inbox, field) for field in PROMISE_FIELDS}
    for field in _TARGET_FIELDS:
        if field in fields:
            values[field] = _minutes(field, fields[field], optional=True)
    if "warn_before_minutes" in fields:
        values["warn_before_minutes"] = _minutes(
            "warn_before_minutes", fields["warn_before_minutes"], optional=False
        )
    if "opening_hours" in fields:
        hours = parse_opening_hours(fields["opening_hours"])
        if hours and not any(hours.values()):
            raise ActionError(
                _(
                    "The inbox would be closed on every day, so no promise could ever fall "
                    "due. Give opening hours for at least one day, or make it open around "
                    "the clock."
                ),
                field="opening_hours",
            )
        values["opening_hours"] = hours
    for field in ("timezone", "holiday_country", "holiday_subdivision"):
        if field in fields:
            values[field] = str(fields[field] or "").strip()
    (
        values["timezone"],
        values["holiday_country"],
        values["holiday_subdivision"],
    ) = validate_calendar_settings(
        str(values["timezone"]), str(values["holiday_country"]), str(values["holiday_subdivision"])
    )
    return {field: value for field, value in values.items() if getattr(inbox, field) != value}


def update_inbox_promises(actor: User | None, inbox: Inbox, **fields: object) -> Inbox:
    """Set an inbox's response-time promises and calendar, then re-time waiting customers.

    Only a lead or admin of the inbox's account may; `actor` None is the operator at the
    command line, who holds the server anyway. Raises ActionError with `field` set for the
    input that is wrong; nothing is stored then.
    """
    if actor is not None and not is_lead_or_admin(actor, inbox.account_id):
        raise ActionError(
            _("Only a team lead or an admin can change an inbox's promises."), status=403
        )
    changes = check_inbox_promises(inbox, fields)
    return do_update_inbox_promises(inbox, changes)


def do_update_inbox_promises(inbox: Inbox, changes: dict[str, object]) -> Inbox:
    """Store validated changes, and move the due times of everyone waiting to match them."""
    if not changes:
        return inbox
    with transaction.atomic():
        for field, value in changes.items():
            setattr(inbox, field, value)
        inbox.save(update_fields=sorted(changes))
        recomputed = recompute_promises(inbox)
    logger.info(
        "inbox.promises_updated",
        extra={
            "inbox_id": inbox.pk,
            "account_id": inbox.account_id,
            "fields": sorted(changes),
            "recomputed": recomputed,
        },
    )
    return inbox


def recompute_promises(inbox: Inbox) -> int:
    """Re-derive the state (and so the due times) of the inbox's waiting conversations.

    Returns how many.
    """
    conversations = list(
        Conversation.objects.filter(inbox=inbox, waiting_since__isnull=False).select_related(
            "inbox"
        )
    )
    for conversation in conversations:
        refresh_conversation_state(conversation)
    return len(conversations)
