"""Going offline hands conversations back to the team; coming online takes up waiting ones."""

import pytest
from django.template import Context, Template
from django.utils.translation import override

from tests.assignment.conftest import (
    assignees,
    ingest,
    membership,
    set_availability,
    set_capacity,
)
from tests.conftest import WebhookClient
from webcare.accounts.actions import do_set_availability, do_set_capacity
from webcare.accounts.models import Account, Team, User
from webcare.conversations.actions import do_change_status
from webcare.conversations.models import Conversation, MessageKind
from webcare.core.errors import ActionError


def test_going_offline_returns_conversations_and_colleagues_take_them(
    account: Account, team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    conversations = [ingest(team_webhook, n) for n in range(6)]
    annas = [c for c in conversations if c.assignee == agents[0]]
    assert len(annas) == 2

    set_availability(agents[0], account, "offline")

    assert sorted(assignees(annas)) == ["bram", "cas"]
    assert all(c.team == team for c in annas)
    for conversation in annas:
        returned = conversation.messages.get(
            kind=MessageKind.ACTIVITY, activity__verb="returned_to_team"
        )
        assert returned.sender_user is None
        assert returned.activity["reason"] == "offline"
        with override("en"):
            sentence = Template("{% load webcare_web %}{% activity_text e %}").render(
                Context({"e": returned})
            )
        assert sentence == "Anna went offline: returned to team Webcare"
    assert Conversation.objects.filter(assignee=agents[0]).count() == 0


def test_returned_conversations_respect_the_colleagues_capacity(
    account: Account, team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    anna, bram, cas = agents
    set_availability(bram, account, "away")
    set_availability(cas, account, "away")
    conversations = [ingest(team_webhook, n) for n in range(4)]  # all anna's
    set_capacity(bram, account, 1)
    set_availability(bram, account, "online")

    set_availability(anna, account, "offline")

    # The longest-waiting customer goes to the one colleague with room; the rest wait.
    assert assignees(conversations) == ["bram", None, None, None]
    assert all(c.team == team for c in conversations)


def test_resolved_conversations_stay_with_whoever_resolved_them(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    done = ingest(team_webhook, 0)
    do_change_status(agents[0], done, "resolved", no_reply_reason="thanks_only")

    set_availability(agents[0], account, "offline")

    assert assignees([done]) == ["anna"]


def test_coming_online_fills_capacity_longest_waiting_first(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    for person in agents:
        set_availability(person, account, "offline")
    # Customer 4 has waited longest, customer 0 the shortest.
    conversations = [ingest(team_webhook, n, minutes=10 - n) for n in range(5)]
    assert assignees(conversations) == [None] * 5
    set_capacity(agents[1], account, 3)

    set_availability(agents[1], account, "online")

    assert assignees(conversations) == [None, None, "bram", "bram", "bram"]


def test_raising_capacity_fills_the_new_room(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    for person in agents:
        set_capacity(person, account, 1)
    conversations = [ingest(team_webhook, n) for n in range(5)]

    set_capacity(agents[2], account, 2)

    assert assignees(conversations) == ["anna", "bram", "cas", "cas", None]


def test_away_keeps_ones_conversations(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    conversations = [ingest(team_webhook, n) for n in range(3)]

    set_availability(agents[0], account, "away")

    assert assignees(conversations) == ["anna", "bram", "cas"]


def test_an_unknown_availability_is_refused_naming_the_field(
    account: Account, agents: list[User]
) -> None:
    with pytest.raises(ActionError) as refused:
        do_set_availability(membership(agents[0], account), "lunch")

    assert refused.value.field == "availability"
    assert "online, away, offline" in refused.value.message


@pytest.mark.parametrize("capacity", [-1, 101, True])
def test_a_capacity_out_of_range_is_refused(
    account: Account, agents: list[User], capacity: int
) -> None:
    with pytest.raises(ActionError) as refused:
        do_set_capacity(membership(agents[0], account), capacity)

    assert refused.value.field == "capacity"
