"""Round-robin within a team: whose turn it is, who is skipped, and what a full team does."""

from django.template import Context, Template
from django.utils.translation import override

from tests.assignment.conftest import assignees, ingest, set_availability, set_capacity
from tests.conftest import WebhookClient
from tests.factories import AccountFactory, InboxFactory, TeamFactory, UserFactory
from webcare.accounts.models import Account, Membership, Notification, NotificationKind, Team, User
from webcare.conversations.actions import do_change_status
from webcare.conversations.models import Conversation, MessageKind


def test_new_conversations_go_round_the_team_in_turn(
    team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    conversations = [ingest(team_webhook, n) for n in range(7)]

    assert assignees(conversations) == ["anna", "bram", "cas", "anna", "bram", "cas", "anna"]
    assert {c.team_id for c in conversations} == {team.pk}


def test_the_one_assigned_longest_ago_is_next(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    cas = agents[2]
    ingest(team_webhook, 0)  # anna
    ingest(team_webhook, 1)  # bram
    set_availability(cas, account, "away")
    set_availability(cas, account, "online")  # never assigned yet: first in line

    later = [ingest(team_webhook, n) for n in range(2, 5)]

    assert assignees(later) == ["cas", "anna", "bram"]
    stamps = Membership.objects.filter(account=account).order_by("last_assigned_at")
    assert [m.user.username for m in stamps] == ["cas", "anna", "bram"]


def test_away_and_offline_agents_get_nothing_new(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    anna, bram, _ = agents
    set_availability(anna, account, "away")
    set_availability(bram, account, "offline")

    conversations = [ingest(team_webhook, n) for n in range(4)]

    assert assignees(conversations) == ["cas"] * 4


def test_an_agent_at_capacity_is_skipped(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    set_capacity(agents[0], account, 1)

    conversations = [ingest(team_webhook, n) for n in range(5)]

    assert assignees(conversations) == ["anna", "bram", "cas", "bram", "cas"]


def test_resolved_conversations_free_a_slot(
    account: Account,
    team_webhook: WebhookClient,
    agents: list[User],
    django_capture_on_commit_callbacks,
) -> None:
    for person in agents:
        set_capacity(person, account, 1)
    first = ingest(team_webhook, 0)  # anna, now full
    ingest(team_webhook, 1)  # bram
    ingest(team_webhook, 2)  # cas
    waiting = ingest(team_webhook, 3)
    assert assignees([waiting]) == [None]

    with django_capture_on_commit_callbacks(execute=True):
        first.refresh_from_db()
        do_change_status(agents[0], first, "resolved", no_reply_reason="answered_elsewhere")

    assert assignees([waiting]) == ["anna"]


def test_when_everyone_is_full_the_conversation_waits_with_its_team(
    account: Account, team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    for person in agents:
        set_capacity(person, account, 1)

    conversations = [ingest(team_webhook, n) for n in range(5)]

    assert assignees(conversations) == ["anna", "bram", "cas", None, None]
    assert all(c.team_id == team.pk for c in conversations)


def test_a_team_without_auto_assign_only_gets_the_team(
    account: Account, agents: list[User]
) -> None:
    manual = TeamFactory(account=account, name="Financiën", auto_assign=False)
    manual.members.add(*agents)
    webhook = WebhookClient(InboxFactory(account=account, name="Facturen", team=manual))

    conversation = ingest(webhook, 0)

    assert assignees([conversation]) == [None]
    assert conversation.team == manual


def test_an_inbox_without_team_leaves_the_conversation_alone(
    webhook: WebhookClient, agents: list[User]
) -> None:
    conversation = ingest(webhook, 0)

    assert (conversation.assignee, conversation.team) == (None, None)


def test_members_of_another_account_are_never_picked(
    account: Account, team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    other = AccountFactory(name="Andere klant")
    stranger = UserFactory(username="stranger", account=other)
    set_availability(stranger, other, "online")
    team.members.add(stranger)
    for person in agents:
        set_availability(person, account, "offline")

    conversation = ingest(team_webhook, 0)

    assert assignees([conversation]) == [None]


def test_the_assignment_is_recorded_and_notified(
    team_webhook: WebhookClient, agents: list[User]
) -> None:
    conversation = ingest(team_webhook, 0)

    entry = conversation.messages.get(kind=MessageKind.ACTIVITY, activity__verb="assigned")
    assert entry.sender_user is None
    assert entry.activity == {
        "verb": "assigned",
        "from": None,
        "to": agents[0].pk,
        "to_name": "Anna",
        "team": "Webcare",
        "team_before": conversation.team_id,
        "by": "round_robin",
        "reason": "new",
    }
    with override("en"):
        sentence = Template("{% load webcare_web %}{% activity_text entry %}").render(
            Context({"entry": entry})
        )
    assert sentence == "Webcare assigned this to Anna"
    notification = Notification.objects.get(user=agents[0])
    assert (notification.kind, notification.conversation_id) == (
        NotificationKind.ASSIGNED,
        conversation.pk,
    )
    assert notification.text == f"Conversation #{conversation.display_id} was assigned to you"


def test_a_customer_writing_again_stays_with_the_same_agent(
    team_webhook: WebhookClient, agents: list[User]
) -> None:
    first = ingest(team_webhook, 0)
    response = team_webhook.post(
        {
            "id": "m0-again",
            "author": {"id": "c0", "handle": "user_c0", "name": "Klant c0"},
            "text": "Hallo?",
            "in_reply_to": "m0",
            "created_at": "2026-11-23T09:30:00+01:00",
            "public": True,
        }
    )
    assert response.status_code == 200

    assert Conversation.objects.count() == 1
    assert assignees([first]) == ["anna"]
    assert Notification.objects.count() == 1
