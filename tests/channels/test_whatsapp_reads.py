"""Read receipts against the WhatsApp stand-in over real HTTP (platforms.md §3.4)."""

from collections.abc import Iterator

import pytest
from django.urls import reverse

from tests.channels.connected import whatsapp_inbox
from tests.channels.test_whatsapp import CUSTOMER, customer_writes, deliver
from tests.conftest import logged_in
from tests.delivery.conftest import queue_reply
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation, Direction, Message
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.whatsapp import WhatsAppStandIn, running_whatsapp


@pytest.fixture
def standin() -> Iterator[WhatsAppStandIn]:
    with running_whatsapp() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: WhatsAppStandIn) -> Inbox:
    return whatsapp_inbox(account, standin)


def open_conversation(agent: User, conversation: Conversation, capture) -> int:
    url = reverse("web:conversation", args=[conversation.account_id, conversation.display_id])
    with capture(execute=True):
        return logged_in(agent).get(url).status_code


def newest_inbound(conversation: Conversation) -> Message:
    return conversation.messages.filter(direction=Direction.INBOUND).order_by("-pk").first()


def test_opening_the_conversation_marks_the_newest_message_read_once(
    agent_anna: User,
    inbox: Inbox,
    standin: WhatsAppStandIn,
    django_capture_on_commit_callbacks,
) -> None:
    conversation = customer_writes(standin, inbox, "Hallo?")
    second = standin.text(CUSTOMER, "Is er iemand?")
    deliver(standin, inbox, standin.messages_body(second))

    assert open_conversation(agent_anna, conversation, django_capture_on_commit_callbacks) == 200
    open_conversation(agent_anna, conversation, django_capture_on_commit_callbacks)

    (call,) = standin.calls()
    assert call.path == f"/v23.0/{standin.phone_number_id}/messages"
    assert call.body == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": second["id"],
    }
    assert call.status == 200
    assert standin.read_receipts == [second["id"]]
    newest = newest_inbound(conversation)
    assert newest.read_receipt_at is not None
    assert newest.read_receipt_error == ""


def test_a_new_message_gets_its_own_receipt(
    agent_anna: User,
    inbox: Inbox,
    standin: WhatsAppStandIn,
    django_capture_on_commit_callbacks,
) -> None:
    conversation = customer_writes(standin, inbox, "Hallo?")
    open_conversation(agent_anna, conversation, django_capture_on_commit_callbacks)
    later = standin.text(CUSTOMER, "Nog een vraag")
    deliver(standin, inbox, standin.messages_body(later))

    open_conversation(agent_anna, conversation, django_capture_on_commit_callbacks)

    assert len(standin.read_receipts) == 2
    assert standin.read_receipts[-1] == later["id"]


def test_replying_marks_it_read_too(
    agent_anna: User,
    inbox: Inbox,
    standin: WhatsAppStandIn,
    django_capture_on_commit_callbacks,
) -> None:
    conversation = customer_writes(standin, inbox, "Hallo?")

    with django_capture_on_commit_callbacks(execute=True):
        queue_reply(agent_anna, conversation, "Goedemorgen, waarmee kan ik helpen?")

    assert standin.read_receipts == [newest_inbound(conversation).external_id]


def test_a_failed_receipt_is_kept_never_shown_and_tried_again_on_the_next_open(
    agent_anna: User,
    inbox: Inbox,
    standin: WhatsAppStandIn,
    django_capture_on_commit_callbacks,
) -> None:
    conversation = customer_writes(standin, inbox, "Hallo?")
    standin.fail_next(500)

    assert open_conversation(agent_anna, conversation, django_capture_on_commit_callbacks) == 200

    failed = newest_inbound(conversation)
    assert failed.read_receipt_at is None
    assert "500" in failed.read_receipt_error
    open_conversation(agent_anna, conversation, django_capture_on_commit_callbacks)
    assert [c.status for c in standin.calls()] == [500, 200]
    assert newest_inbound(conversation).read_receipt_at is not None
    assert newest_inbound(conversation).read_receipt_error == ""


def test_sandboxed_inboxes_send_no_receipts(
    agent_anna: User,
    account: Account,
    standin: WhatsAppStandIn,
    django_capture_on_commit_callbacks,
) -> None:
    inbox = whatsapp_inbox(account, standin, sandbox=True)
    conversation = customer_writes(standin, inbox, "Hallo?")

    open_conversation(agent_anna, conversation, django_capture_on_commit_callbacks)

    assert standin.requests == []
