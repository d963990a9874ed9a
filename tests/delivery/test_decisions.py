"""A reply parked as uncertain waits for a person: mark it as sent, or send it again. Through
the actions, the REST API and the inbox page; and the retry of a failed reply still works."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from tests.delivery.conftest import customer_on, queue_reply, reloaded
from tests.factories import AccountFactory, InboxFactory, UserFactory
from webcare.accounts.actions import create_token
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation, DeliveryStatus, Message, MessageKind
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.replies import outbox
from webcare.replies.actions import check_mark_sent, check_retry_delivery
from webcare.replies.delivery import deliver_next
from webcare.sandbox.standins.callback import CallbackStandIn


def park(agent: User, inbox: Inbox, external_id: str) -> Message:
    """A reply whose worker was killed mid-send on a channel that cannot be asked."""
    reply = queue_reply(agent, customer_on(inbox, external_id), "Misschien al geplaatst")
    assert outbox.claim_next() is not None
    Message.objects.filter(pk=reply.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert deliver_next()
    parked = reloaded(reply)
    assert parked.delivery_status == DeliveryStatus.UNCERTAIN
    return parked


@pytest.fixture
def uncertain(agent_anna: User, x_inbox: Inbox) -> Message:
    return park(agent_anna, x_inbox, "1860000000000000001")


@pytest.fixture
def anna_api(agent_anna: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_token(agent_anna)}"})


def activities(conversation: Conversation) -> list[tuple[str, str | None]]:
    entries = Message.objects.filter(conversation=conversation, kind=MessageKind.ACTIVITY)
    return [
        (m.activity["verb"], m.sender_user.username if m.sender_user else None) for m in entries
    ]


def waiting(conversation: Conversation) -> bool:
    return Conversation.objects.get(pk=conversation.pk).waiting_since is not None


def test_mark_sent_over_the_api_records_a_persons_word_and_nothing_is_sent(
    anna_api: Client, uncertain: Message
) -> None:
    assert waiting(uncertain.conversation)

    response = anna_api.post(f"/api/v1/messages/{uncertain.pk}/mark-sent")

    assert response.status_code == 200
    assert response.json()["delivery_status"] == "sent"
    assert response.json()["delivery_error"] == ""
    assert activities(uncertain.conversation) == [("reply_marked_sent", "anna")]
    assert not waiting(uncertain.conversation)
    assert not deliver_next()


def test_send_again_over_the_api_queues_it_under_the_same_key(
    anna_api: Client, uncertain: Message
) -> None:
    response = anna_api.post(f"/api/v1/messages/{uncertain.pk}/retry")

    assert response.status_code == 200
    assert response.json()["delivery_status"] == "queued"
    again = reloaded(uncertain)
    assert again.idempotency_key == uncertain.idempotency_key
    assert again.delivery_attempts == 0
    assert activities(uncertain.conversation) == [("reply_sent_again", "anna")]
    assert not waiting(uncertain.conversation)
    assert deliver_next()
    assert reloaded(uncertain).delivery_status == DeliveryStatus.DELIVERED


def test_mark_sent_of_a_reply_that_is_not_uncertain_is_409(
    anna_api: Client, agent_anna: User, x_inbox: Inbox
) -> None:
    queued = queue_reply(agent_anna, customer_on(x_inbox, "1860000000000000002"), "Wacht")

    response = anna_api.post(f"/api/v1/messages/{queued.pk}/mark-sent")

    assert response.status_code == 409
    assert response.json() == {
        "error": "Only a reply whose delivery is uncertain can be marked as sent.",
        "field": None,
    }


def test_mark_sent_of_another_accounts_reply_is_404(anna_api: Client) -> None:
    other = AccountFactory(name="Fietsenstalling Oost")
    inbox = InboxFactory(account=other, kind="x", settings={"sandbox": True})
    stranger = UserFactory(username="olaf", account=other)
    foreign = park(stranger, inbox, "1860000000000000003")

    response = anna_api.post(f"/api/v1/messages/{foreign.pk}/mark-sent")

    assert response.status_code == 404
    assert reloaded(foreign).delivery_status == DeliveryStatus.UNCERTAIN


def test_two_people_deciding_at_once_cannot_both_win(
    agent_anna: User, lead_lars: User, uncertain: Message
) -> None:
    seen_by_lars = reloaded(uncertain)

    check_mark_sent(agent_anna, uncertain)
    with pytest.raises(ActionError) as refused:
        check_retry_delivery(lead_lars, seen_by_lars)

    assert refused.value.status == 409
    assert reloaded(uncertain).delivery_status == DeliveryStatus.SENT
    assert not deliver_next()


def page(client: Client, account: Account, conversation: Conversation) -> str:
    return client.get(f"/a/{account.pk}/c/{conversation.display_id}/").content.decode()


def test_the_inbox_page_offers_both_decisions_and_mark_sent_works(
    agent_anna: User, account: Account, uncertain: Message
) -> None:
    client = Client()
    client.force_login(agent_anna)
    base = f"/a/{account.pk}/c/{uncertain.conversation.display_id}/messages/{uncertain.pk}/"

    html = page(client, account, uncertain.conversation)
    response = client.post(base + "mark-sent/")

    assert "Maybe sent" in html
    assert "This reply may have been posted. Check the platform" in html
    assert f'action="{base}mark-sent/"' in html
    assert f'action="{base}retry/"' in html
    assert response.status_code == 303
    assert reloaded(uncertain).delivery_status == DeliveryStatus.SENT
    after = page(client, account, uncertain.conversation)
    assert "found the reply on the platform and marked it as sent" in after
    assert f'action="{base}mark-sent/"' not in after


def test_the_inbox_page_says_when_a_failed_attempt_is_tried_again(
    agent_anna: User,
    account: Account,
    callback_inbox: Inbox,
    stand_in: CallbackStandIn,
    fast_retries: Settings,
) -> None:
    stand_in.then("500")
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m1"), "Komt zo")
    assert deliver_next()
    client = Client()
    client.force_login(agent_anna)

    html = page(client, account, reply.conversation)

    assert "Sending…" in html
    assert f"Not sent yet: {stand_in.url} answered 500 Internal Server Error. Trying again" in html
