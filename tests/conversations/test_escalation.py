"""Response-time promises: due times in business hours, the warning, the escalation to the
leads, and the skipped alarm, as the worker's sweep raises them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from webcare.accounts.models import Notification, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import do_assign, do_change_status, receive_message
from webcare.conversations.escalation import sweep
from webcare.conversations.models import Conversation, Message, Status
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply


@pytest.fixture
def now() -> datetime:
    """The test's own clock reading: replies are stamped with the real time, so a module-wide
    constant would drift behind them in a long run."""
    return datetime.now(UTC).replace(microsecond=0)


def post(inbox: Inbox, external_id: str, at: datetime, author: str = "42", **kw) -> Conversation:
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id=external_id,
            author=Author(external_id=author, handle=f"klant{author}", name=f"Klant {author}"),
            text=f"bericht {external_id}",
            created_at=at,
            public=True,
            **kw,
        ),
    )
    return Conversation.objects.get(pk=message.conversation_id)


def reply(user: User, conversation: Conversation) -> Message:
    newest = conversation.messages.order_by("-pk").values_list("pk", flat=True).first()
    return check_send_reply(user, conversation, "Excuses!", expected_last_message_id=newest)


def test_due_time_counts_business_hours_over_a_weekend(now: datetime, x_inbox: Inbox) -> None:
    x_inbox.opening_hours = {day: [["08:00", "22:00"]] for day in ("mon", "tue", "wed", "thu")}
    x_inbox.opening_hours["fri"] = [["08:00", "22:00"]]
    x_inbox.first_response_minutes = 30
    x_inbox.save()
    friday_evening = datetime(2026, 11, 27, 20, 50, tzinfo=UTC)  # 21:50 in Amsterdam

    conversation = post(x_inbox, "1", friday_evening)

    # 10 minutes on Friday, 20 on Monday morning: 08:20 Amsterdam is 07:20 UTC.
    assert conversation.response_due_at == datetime(2026, 11, 30, 7, 20, tzinfo=UTC)


def test_after_the_first_answer_the_next_response_target_counts(
    now: datetime, x_inbox: Inbox, agent_anna: User
) -> None:
    x_inbox.first_response_minutes, x_inbox.next_response_minutes = 60, 240
    x_inbox.save()
    conversation = post(x_inbox, "1", now - timedelta(minutes=30))
    reply(agent_anna, conversation)

    again = post(x_inbox, "2", now + timedelta(minutes=1), in_reply_to="1")

    assert again.response_due_at == now + timedelta(minutes=241)


def test_a_resolution_target_runs_from_the_first_customer_message(
    now: datetime, x_inbox: Inbox
) -> None:
    x_inbox.resolution_minutes = 24 * 60
    x_inbox.save()

    conversation = post(x_inbox, "1", now - timedelta(hours=2))

    assert conversation.resolution_due_at == now + timedelta(hours=22)


def test_the_assignee_is_warned_once_before_the_breach(
    now: datetime, x_inbox: Inbox, agent_anna: User, lead_lars: User
) -> None:
    conversation = post(x_inbox, "1", now - timedelta(minutes=50))  # due in 10 minutes
    do_assign(lead_lars, conversation, agent_anna)

    first, second = sweep(now), sweep(now + timedelta(minutes=1))

    (warning,) = Notification.objects.all()
    assert (first.warned, second.warned) == (1, 0)
    assert (warning.user, warning.kind, warning.conversation) == (
        agent_anna,
        "sla_warning",
        conversation,
    )
    assert f"#{conversation.display_id}" in warning.text


def test_a_breach_escalates_to_the_leads_and_shows_in_the_escalated_view(
    now: datetime, x_inbox: Inbox, agent_anna: User, lead_lars: User, admin_ada: User
) -> None:
    conversation = post(x_inbox, "1", now - timedelta(minutes=61))
    do_assign(lead_lars, conversation, agent_anna)

    result = sweep(now)
    sweep(now + timedelta(minutes=1))

    conversation.refresh_from_db()
    assert result.escalated == 1
    assert conversation.escalated_at == now
    escalations = Notification.objects.filter(kind="escalated")
    assert sorted(n.user.username for n in escalations) == ["ada", "anna", "lars"]
    entry = conversation.messages.filter(kind="activity", activity__verb="escalated").get()
    assert entry.activity["target"] == "response"
    client = Client()
    client.force_login(lead_lars)
    listed = client.get(f"/a/{x_inbox.account_id}/conversations/?view=escalated")
    assert f'data-display-id="{conversation.display_id}"' in listed.content.decode()


def test_resolving_ends_the_escalation(now: datetime, x_inbox: Inbox, agent_anna: User) -> None:
    conversation = post(x_inbox, "1", now - timedelta(minutes=61))
    sweep(now)
    reply(agent_anna, conversation)

    do_change_status(agent_anna, conversation, Status.RESOLVED)

    conversation.refresh_from_db()
    assert conversation.escalated_at is None
    assert conversation.response_due_at is None


def test_an_overdue_message_older_than_answered_ones_is_flagged_skipped(
    now: datetime, x_inbox: Inbox, agent_anna: User, lead_lars: User
) -> None:
    forgotten = post(x_inbox, "1", now - timedelta(minutes=90), author="1")
    answered = post(x_inbox, "2", now - timedelta(minutes=80), author="2")
    reply(agent_anna, answered)
    alone = post(x_inbox, "3", now - timedelta(minutes=200), author="3")  # nothing newer
    reply(agent_anna, alone)

    result = sweep(now)

    forgotten.refresh_from_db()
    assert result.skipped == 1
    assert forgotten.skipped_at == now
    assert Notification.objects.filter(kind="skipped", user=lead_lars).count() == 1

    reply(agent_anna, forgotten)
    forgotten.refresh_from_db()
    assert forgotten.skipped_at is None


def test_a_waiting_customer_within_target_raises_nothing(now: datetime, x_inbox: Inbox) -> None:
    post(x_inbox, "1", now - timedelta(minutes=5))

    result = sweep(now)

    assert (result.warned, result.escalated, result.skipped) == (0, 0, 0)
    assert not Notification.objects.exists()


def test_an_inbox_without_a_target_never_escalates(now: datetime, x_inbox: Inbox) -> None:
    x_inbox.first_response_minutes = None
    x_inbox.save()
    conversation = post(x_inbox, "1", now - timedelta(days=3))

    sweep(now)

    conversation.refresh_from_db()
    assert (conversation.response_due_at, conversation.escalated_at) == (None, None)


def test_a_backlog_is_worked_through_over_several_passes(
    now: datetime, x_inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webcare.conversations.escalation.BATCH", 3)
    for number in range(5):
        post(x_inbox, f"b{number}", now - timedelta(minutes=70), author=str(number))

    passes = [sweep(now).escalated for _ in range(3)]

    assert passes == [3, 2, 0]
    assert Conversation.objects.filter(escalated_at__isnull=True).count() == 0
