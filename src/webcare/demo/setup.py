"""The demo brand's desk: account, inboxes, people, teams and labels.

Idempotent, because `webcare demo` is run again and again on the same data directory: a
second run finds what the first made and only brings it back to the described state (a
sandboxed inbox, the documented role and language, a password that matches the printout).
"""

import secrets
from dataclasses import dataclass

from webcare.accounts.access import access_membership
from webcare.accounts.actions import (
    do_add_team,
    do_add_user,
    do_set_auto_assign,
    do_set_availability,
    do_set_capacity,
    do_set_language,
    get_or_create_account,
)
from webcare.accounts.models import Account, Availability, Role, User
from webcare.conversations.actions import do_create_label
from webcare.demo.scenario import Brand
from webcare.inboxes.actions import (
    do_add_inbox,
    do_set_team,
    do_update_settings,
    update_inbox_promises,
)
from webcare.inboxes.models import Inbox, InboxKind

# Fixed passwords are printed for anyone to use, so only a throwaway demo install gets them.
FIXED_PASSWORD_ENV = "demo"  # noqa: S105 (an environment name, not a password)


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str
    role: str
    language: str


PEOPLE = (
    Person("ingrid", "Ingrid Bakker", Role.ADMIN, User.Language.DUTCH),
    Person("sanne", "Sanne de Vries", Role.LEAD, User.Language.DUTCH),
    Person("daan", "Daan Visser", Role.AGENT, User.Language.ENGLISH),
    Person("fatima", "Fatima El Amrani", Role.AGENT, User.Language.DUTCH),
    Person("joost", "Joost Mulder", Role.AGENT, User.Language.ENGLISH),
)

TEAMS = {
    "Webcare": ("sanne", "daan", "fatima", "joost"),
    "Financiën": ("joost",),
}
# What the desk promises per inbox, in business minutes: X is the fastest channel, where a
# complaint is public; the desk is staffed from early till late, shorter at weekends.
DESK_CALENDAR = {
    "opening_hours": "mon-fri 07:00-23:00; sat-sun 09:00-21:00",
    "holiday_country": "NL",
    "warn_before_minutes": 10,
}
PROMISES: dict[str, dict[str, object]] = {
    "x": {**DESK_CALENDAR, "first_response_minutes": 30, "next_response_minutes": 30},
    "facebook": {**DESK_CALENDAR, "first_response_minutes": 60, "next_response_minutes": 60},
    "whatsapp": {**DESK_CALENDAR, "first_response_minutes": 60, "next_response_minutes": 30},
}

# The team that answers every demo inbox, round-robin among its online agents.
ROUTING_TEAM = "Webcare"
AGENT_CAPACITY = 8

LABELS = {
    "slagboom": "#dc2626",
    "factuur": "#2563eb",
    "abonnement": "#7c3aed",
    "privacy": "#d97706",
    "compliment": "#16a34a",
}


@dataclass(frozen=True)
class Login:
    """What the command prints so that whoever watches the demo can log in."""

    username: str
    password: str
    role: str
    language: str
    full_name: str


@dataclass(frozen=True)
class DemoDesk:
    account: Account
    inboxes: dict[str, Inbox]  # by the scenario's inbox name: x, facebook, whatsapp
    logins: list[Login]


def demo_password(username: str, env: str) -> str:
    """The documented `demo-<username>-2026` on a demo install; a fresh random one elsewhere."""
    if env == FIXED_PASSWORD_ENV:
        return f"demo-{username}-2026"
    return secrets.token_urlsafe(12)


def _inbox_specs(brand: Brand) -> dict[str, tuple[str, str, str]]:
    """Scenario inbox -> (kind, display name, the brand's own id on the platform)."""
    return {
        "x": (InboxKind.X, f"@{brand.x_handle}", brand.x_handle),
        "facebook": (InboxKind.FACEBOOK, brand.name, brand.facebook_page_id),
        "whatsapp": (InboxKind.WHATSAPP, "+31 20 555 0142", brand.whatsapp_number),
    }


def _ensure_inbox(account: Account, kind: str, name: str, handle: str) -> Inbox:
    # Sandboxed so that agents can answer the fictional customers: replies are recorded as
    # delivered and nothing leaves the machine.
    inbox = Inbox.objects.filter(account=account, kind=kind, name=name).first()
    if inbox is None:
        return do_add_inbox(account, kind, name, handle=handle, settings={"sandbox": True})
    if inbox.setting("sandbox") is not True:
        do_update_settings(inbox, {"sandbox": True})
    return inbox


def set_up_desk(brand: Brand, env: str) -> DemoDesk:
    """Create (or bring back) the brand's desk and return it with everyone's login."""
    account = get_or_create_account(brand.name)
    inboxes = {
        key: _ensure_inbox(account, kind, name, handle)
        for key, (kind, name, handle) in _inbox_specs(brand).items()
    }
    users: dict[str, User] = {}
    logins = []
    for person in PEOPLE:
        password = demo_password(person.username, env)
        user = do_add_user(
            person.username, account, person.role, password, full_name=person.full_name
        )
        do_set_language(user, person.language)
        users[person.username] = user
        logins.append(
            Login(
                person.username, password, str(person.role), str(person.language), person.full_name
            )
        )
    for team_name, usernames in TEAMS.items():
        team = do_add_team(account, team_name, [users[username] for username in usernames])
        if team_name == ROUTING_TEAM:
            do_set_auto_assign(team, True)
            for inbox in inboxes.values():
                do_set_team(inbox, team)
    for person in PEOPLE:
        if person.role == Role.AGENT:
            membership = access_membership(users[person.username], account.pk)
            do_set_capacity(membership, AGENT_CAPACITY)
            do_set_availability(membership, Availability.ONLINE)
    for key, inbox in inboxes.items():
        update_inbox_promises(None, inbox, **PROMISES[key])
    for label_name, color in LABELS.items():
        do_create_label(account, label_name, color)
    return DemoDesk(account=account, inboxes=inboxes, logins=logins)
