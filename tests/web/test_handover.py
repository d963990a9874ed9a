"""The handover page and the notifications page."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import logged_in
from tests.factories import TeamFactory
from webcare.accounts.models import Account, Notification, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import (
    do_add_note,
    do_assign,
    receive_message,
    refresh_conversation_state,
)
from webcare.conversations.escalation import sweep
from webcare.conversations.models import Conversation, DeliveryStatus, Message
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply


@pytest.fixture
def now() -> datetime:
    """The test's own clock reading: replies are stamped with the real time, so a module-wide
    constant would drift behind them in a long run."""
    return datetime.now(UTC).replace(microsecond=0)


def post(inbox: Inbox, external_id: str, minutes_ago: int, author: str) -> Conversation:
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id=external_id,
            author=Author(external_id=author, handle=f"klant{author}", name=f"Klant {author}"),
            text=f"Vraag {external_id}",
            created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            public=True,
        ),
    )
    return Conversation.objects.get(pk=message.conversation_id)


def test_handover_lists_what_waits_in_whose_hands(
    now: datetime, account: Account, x_inbox: Inbox, agent_anna: User, lead_lars: User
) -> None:
    team = TeamFactory(account=account, name="Finance")
    annas = post(x_inbox, "1", 30, "1")
    do_assign(lead_lars, annas, agent_anna)
    do_add_note(agent_anna, annas, "Klant belt terug na 15:00")
    finance = post(x_inbox, "2", 20, "2")
    do_assign(lead_lars, finance, None, team)
    nobodys = post(x_inbox, "3", 10, "3")
    answered = post(x_inbox, "4", 5, "4")
    newest = answered.messages.order_by("-pk").first()
    failed = check_send_reply(agent_anna, answered, "Sorry!", expected_last_message_id=newest.pk)
    Message.objects.filter(pk=failed.pk).update(
        delivery_status=DeliveryStatus.FAILED, delivery_error="403 Forbidden"
    )
    refresh_conversation_state(answered)  # what the outbox does after a final failure

    html = logged_in(lead_lars).get(f"/a/{account.pk}/handover/").content.decode()

    # The failed reply answered nothing, so its customer waits too.
    assert "4 customers are waiting for an answer." in html
    nobody = html.index("Nobody: needs an owner")
    finance_group = html.index("Team Finance, nobody in particular")
    anna_group = html.index('aria-label="Anna"')
    assert nobody < finance_group < anna_group
    assert f"#{annas.display_id} Klant 1" in html
    assert "Klant belt terug na 15:00" in html
    assert f"#{nobodys.display_id} Klant 3" in html
    assert f"#{finance.display_id} Klant 2" in html
    assert "Replies that did not reach the customer" in html
    assert "403 Forbidden" in html


def test_handover_of_another_account_is_404(now: datetime, agent_anna: User) -> None:
    response = logged_in(agent_anna).get("/a/999/handover/")

    assert response.status_code == 404


def test_notifications_are_listed_and_read_by_opening_the_conversation(
    now: datetime, account: Account, x_inbox: Inbox, lead_lars: User
) -> None:
    conversation = post(x_inbox, "1", 61, "1")
    sweep(now)
    client = logged_in(lead_lars)

    listed = client.get(f"/a/{account.pk}/notifications/").content.decode()
    inbox_page = client.get(f"/a/{account.pk}/conversations/").content.decode()
    client.get(f"/a/{account.pk}/c/{conversation.display_id}/")

    assert f"#{conversation.display_id} missed its response target" in listed
    assert 'data-count="notifications">1<' in inbox_page
    assert Notification.objects.get(user=lead_lars).read_at is not None


def test_unread_notifications_come_first(
    now: datetime, account: Account, x_inbox: Inbox, lead_lars: User
) -> None:
    first = post(x_inbox, "1", 90, "1")
    post(x_inbox, "2", 80, "2")
    sweep(now)
    client = logged_in(lead_lars)
    client.get(f"/a/{account.pk}/c/{first.display_id}/")  # reads the first one's

    listed = client.get(f"/a/{account.pk}/notifications/").content.decode()

    unread = listed.index("is-unread")
    assert unread < listed.index(f"#{first.display_id} missed its response target")
