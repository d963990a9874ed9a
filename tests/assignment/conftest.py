"""Personas for round-robin: a team of three agents answering one inbox, and the ingest path."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import WebhookClient, message_payload
from tests.factories import InboxFactory, TeamFactory, UserFactory
from webcare.accounts.actions import do_set_availability, do_set_capacity
from webcare.accounts.models import Account, Membership, Role, Team, User
from webcare.conversations.models import Conversation
from webcare.inboxes.models import Inbox

MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def membership(user: User, account: Account) -> Membership:
    return Membership.objects.get(user=user, account=account)


def set_availability(user: User, account: Account, availability: str) -> Membership:
    return do_set_availability(membership(user, account), availability)


def set_capacity(user: User, account: Account, capacity: int) -> Membership:
    return do_set_capacity(membership(user, account), capacity)


def ingest(webhook: WebhookClient, n: int, minutes: int | None = None) -> Conversation:
    """Customer `n` writes in through the signed webhook; `minutes` after 08:00 (default n)."""
    at = MORNING + timedelta(minutes=n if minutes is None else minutes)
    response = webhook.post(
        message_payload(f"m{n}", f"Vraag {n}", author_id=f"c{n}", created_at=at.isoformat())
    )
    assert response.status_code == 200, response.content
    return Conversation.objects.get(messages__external_id=f"m{n}")


def assignees(conversations: list[Conversation]) -> list[str | None]:
    names = []
    for conversation in conversations:
        conversation.refresh_from_db()
        names.append(conversation.assignee.username if conversation.assignee else None)
    return names


@pytest.fixture
def agents(account: Account) -> list[User]:
    """Anna, Bram and Cas, in that (user id) order; online, capacity 10."""
    people = [
        UserFactory(username=name, first_name=name.title(), account=account, role=Role.AGENT)
        for name in ("anna", "bram", "cas")
    ]
    for person in people:
        set_availability(person, account, "online")
    return people


@pytest.fixture
def team(account: Account, agents: list[User]) -> Team:
    team = TeamFactory(account=account, name="Webcare", auto_assign=True)
    team.members.add(*agents)
    return team


@pytest.fixture
def team_inbox(account: Account, team: Team) -> Inbox:
    return InboxFactory(account=account, kind="api", name="Website", team=team)


@pytest.fixture
def team_webhook(team_inbox: Inbox) -> WebhookClient:
    return WebhookClient(team_inbox)
