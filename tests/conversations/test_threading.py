"""receive_message: threading, reopening, waiting state, and merges of late parents."""

from datetime import UTC, datetime, timedelta

from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import do_change_status, receive_message
from webcare.conversations.models import Conversation, Message, Status
from webcare.inboxes.models import Inbox

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CUSTOMER = Author(external_id="42", handle="marloes_vd", name="Marloes", follower_count=300)


def inbound(external_id: str, minutes: int, **kwargs) -> InboundMessage:
    defaults = {
        "author": CUSTOMER,
        "text": f"message {external_id}",
        "created_at": T0 + timedelta(minutes=minutes),
        "public": True,
    }
    defaults.update(kwargs)
    return InboundMessage(external_id=external_id, **defaults)


def brand(external_id: str, minutes: int, in_reply_to: str) -> InboundMessage:
    return inbound(
        external_id,
        minutes,
        author=Author(external_id="brand", handle="ParkeerCentraal"),
        in_reply_to=in_reply_to,
        from_brand=True,
    )


def test_reply_chain_forms_one_conversation(x_inbox: Inbox) -> None:
    receive_message(x_inbox, inbound("1", 0))
    receive_message(x_inbox, brand("2", 5, in_reply_to="1"))
    receive_message(x_inbox, inbound("3", 9, in_reply_to="2"))

    conversation = Conversation.objects.get()
    assert conversation.message_count == 3
    assert conversation.first_response_at == T0 + timedelta(minutes=5)
    assert conversation.waiting_since == T0 + timedelta(minutes=9)
    assert conversation.last_message.external_id == "3"


def test_brand_reply_clears_waiting(x_inbox: Inbox) -> None:
    receive_message(x_inbox, inbound("1", 0))
    receive_message(x_inbox, brand("2", 5, in_reply_to="1"))

    assert Conversation.objects.get().waiting_since is None


def test_receive_is_idempotent(x_inbox: Inbox) -> None:
    first, created_first = receive_message(x_inbox, inbound("1", 0))
    again, created_again = receive_message(x_inbox, inbound("1", 0))

    assert (created_first, created_again) == (True, False)
    assert first.pk == again.pk
    assert Message.objects.count() == 1


def test_new_message_reopens_resolved_conversation(x_inbox: Inbox, agent_anna) -> None:
    receive_message(x_inbox, inbound("1", 0))
    receive_message(x_inbox, brand("2", 5, in_reply_to="1"))
    conversation = Conversation.objects.get()
    do_change_status(agent_anna, conversation, Status.RESOLVED)

    receive_message(x_inbox, inbound("3", 60, in_reply_to="2"))

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.waiting_since == T0 + timedelta(minutes=60)
    verbs = [
        m.activity["verb"] for m in conversation.messages.filter(kind="activity").order_by("id")
    ]
    assert verbs == ["status_changed", "reopened"]


def test_direct_messages_thread_by_person(x_inbox: Inbox) -> None:
    receive_message(x_inbox, inbound("d1", 0, public=False))
    receive_message(x_inbox, inbound("d2", 3, public=False))

    conversation = Conversation.objects.get()
    assert conversation.kind == "direct_message"
    assert conversation.message_count == 2


def test_platform_thread_id_threads_without_reply_link(x_inbox: Inbox) -> None:
    receive_message(x_inbox, inbound("1", 0, thread_id="T1"))
    receive_message(x_inbox, inbound("2", 1, thread_id="T1"))

    assert Conversation.objects.count() == 1


def test_orphan_chain_in_reverse_order_collapses_into_one(x_inbox: Inbox) -> None:
    receive_message(x_inbox, inbound("3", 9, in_reply_to="2"))
    receive_message(x_inbox, brand("2", 5, in_reply_to="1"))
    receive_message(x_inbox, inbound("1", 0))

    live = Conversation.objects.filter(merged_into__isnull=True)
    assert live.count() == 1
    conversation = live.get()
    assert conversation.message_count == 3
    assert conversation.external_thread_id == "1"
    assert conversation.waiting_since == T0 + timedelta(minutes=9)
    assert all(
        c.status == Status.RESOLVED for c in Conversation.objects.filter(merged_into=conversation)
    )


def test_out_of_order_customer_message_does_not_hide_reply(x_inbox: Inbox) -> None:
    receive_message(x_inbox, inbound("1", 0))
    receive_message(x_inbox, brand("3", 10, in_reply_to="1"))
    # Delivered late, but posted before the brand's reply: the customer is not waiting.
    receive_message(x_inbox, inbound("2", 5, in_reply_to="1"))

    assert Conversation.objects.get().waiting_since is None


def test_identity_is_updated_from_newer_messages(x_inbox: Inbox) -> None:
    receive_message(x_inbox, inbound("1", 0))
    renamed = Author(external_id="42", handle="marloes_new", name="Marloes", follower_count=900)
    receive_message(x_inbox, inbound("2", 1, author=renamed))

    identity = Message.objects.get(external_id="2").sender_identity
    assert (identity.handle, identity.follower_count) == ("marloes_new", 900)
