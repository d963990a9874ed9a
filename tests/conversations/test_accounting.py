"""Needs-reply accounting: every customer message ends answered, settled with a reason, or
waiting, and nothing leaves Needs reply any other way."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from webcare.accounts.models import User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.accounting import StillWaiting
from webcare.conversations.actions import (
    check_settle_no_reply,
    check_unsettle,
    do_change_status,
    receive_message,
    refresh_conversation_state,
)
from webcare.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    ReplyState,
    Status,
)
from webcare.conversations.selectors import ConversationFilter, conversations
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply

# Replies are stamped with the real clock, so customers post in the three hours before the
# moment of posting (minute 180 is "now"); a fixed start would drift behind in a long run.
HOURS_BACK = timedelta(hours=3)


def post(inbox: Inbox, external_id: str, minutes: int, author: str = "42", **kwargs) -> Message:
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id=external_id,
            author=Author(external_id=author, handle=f"klant{author}", name=f"Klant {author}"),
            text=f"bericht {external_id}",
            created_at=datetime.now(UTC) - HOURS_BACK + timedelta(minutes=minutes),
            public=True,
            **kwargs,
        ),
    )
    return message


def reply(user: User, conversation: Conversation, text: str = "Wij kijken ernaar.") -> Message:
    newest = conversation.messages.order_by("-pk").values_list("pk", flat=True).first()
    return check_send_reply(user, conversation, text, expected_last_message_id=newest)


def fail(message: Message) -> None:
    """What the outbox does when the platform refuses a reply for good."""
    Message.objects.filter(pk=message.pk).update(
        delivery_status=DeliveryStatus.FAILED, delivery_error="403 Forbidden"
    )
    refresh_conversation_state(message.conversation)


def states(conversation: Conversation) -> list[tuple[str, str, int | None]]:
    return list(
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("created_at")
        .values_list("external_id", "reply_state", "answered_by")
    )


def needs_reply_ids(user: User) -> set[int]:
    qs = conversations(user, [user.memberships.get().account_id], ConversationFilter())
    return set(qs.values_list("pk", flat=True))


def test_a_reply_answers_every_customer_message_before_it(x_inbox: Inbox, agent_anna: User) -> None:
    post(x_inbox, "1", 0)
    conversation = post(x_inbox, "2", 3, in_reply_to="1").conversation
    answer = reply(agent_anna, conversation)
    later = post(x_inbox, "3", 181, in_reply_to="2")  # after the reply

    conversation.refresh_from_db()
    assert states(conversation) == [
        ("1", ReplyState.ANSWERED, answer.pk),
        ("2", ReplyState.ANSWERED, answer.pk),
        ("3", ReplyState.WAITING, None),
    ]
    assert conversation.waiting_since == later.created_at


def test_the_brands_own_post_on_the_platform_answers_too(x_inbox: Inbox) -> None:
    post(x_inbox, "1", 0)
    brand_post = post(x_inbox, "2", 5, author="brand", in_reply_to="1", from_brand=True)

    assert states(brand_post.conversation) == [("1", ReplyState.ANSWERED, brand_post.pk)]


def test_a_reply_that_failed_answers_nothing_and_reopens_the_conversation(
    x_inbox: Inbox, agent_anna: User
) -> None:
    conversation = post(x_inbox, "1", 0).conversation
    answer = reply(agent_anna, conversation)
    do_change_status(agent_anna, conversation, Status.RESOLVED)

    fail(answer)

    conversation.refresh_from_db()
    assert states(conversation) == [("1", ReplyState.WAITING, None)]
    assert conversation.status == Status.OPEN
    assert conversation.pk in needs_reply_ids(agent_anna)
    reopened = conversation.messages.filter(kind="activity").order_by("-pk").first()
    assert reopened.activity == {
        "verb": "reopened",
        "from": "resolved",
        "to": "open",
        "by": "system",
    }


def test_no_reply_needed_settles_one_message_with_its_reason(
    x_inbox: Inbox, agent_anna: User
) -> None:
    thanks = post(x_inbox, "1", 0)
    conversation = thanks.conversation
    question = post(x_inbox, "2", 4, in_reply_to="1")

    check_settle_no_reply(agent_anna, conversation, [thanks.pk], "thanks_only")

    thanks.refresh_from_db()
    conversation.refresh_from_db()
    assert (thanks.reply_state, thanks.no_reply_reason, thanks.settled_by) == (
        ReplyState.NO_REPLY_NEEDED,
        "thanks_only",
        agent_anna,
    )
    assert conversation.waiting_since == question.created_at
    assert conversation.messages.filter(kind="activity").get().activity["reason"] == "thanks_only"


def test_the_last_waiting_message_settled_leaves_needs_reply(
    x_inbox: Inbox, agent_anna: User
) -> None:
    conversation = post(x_inbox, "1", 0).conversation

    check_settle_no_reply(agent_anna, conversation, None, "spam")

    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.pk not in needs_reply_ids(agent_anna)


def test_settling_needs_a_known_reason_and_a_waiting_message(
    x_inbox: Inbox, agent_anna: User
) -> None:
    message = post(x_inbox, "1", 0)
    conversation = message.conversation

    with pytest.raises(ActionError) as bad_reason:
        check_settle_no_reply(agent_anna, conversation, None, "because")
    with pytest.raises(ActionError) as not_waiting:
        check_settle_no_reply(agent_anna, conversation, [message.pk + 1000], "spam")

    assert bad_reason.value.field == "reason"
    assert "thanks_only" in bad_reason.value.message
    assert not_waiting.value.status == 409
    assert states(conversation) == [("1", ReplyState.WAITING, None)]


def test_resolving_with_a_customer_waiting_needs_a_reason(x_inbox: Inbox, agent_anna: User) -> None:
    conversation = post(x_inbox, "1", 0).conversation

    with pytest.raises(StillWaiting) as refused:
        do_change_status(agent_anna, conversation, Status.RESOLVED)
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert [m.external_id for m in refused.value.messages] == ["1"]

    do_change_status(agent_anna, conversation, Status.RESOLVED, no_reply_reason="not_for_us")
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    assert states(conversation) == [("1", ReplyState.NO_REPLY_NEEDED, None)]


def test_a_snoozed_conversation_with_a_waiting_customer_stays_in_needs_reply(
    x_inbox: Inbox, agent_anna: User
) -> None:
    conversation = post(x_inbox, "1", 0).conversation
    until = datetime.now(UTC) + timedelta(hours=2)

    do_change_status(agent_anna, conversation, Status.SNOOZED, until)

    assert conversation.pk in needs_reply_ids(agent_anna)


def test_needs_a_reply_after_all_puts_it_back(x_inbox: Inbox, agent_anna: User) -> None:
    message = post(x_inbox, "1", 0)
    conversation = message.conversation
    check_settle_no_reply(agent_anna, conversation, None, "duplicate")

    check_unsettle(agent_anna, Message.objects.get(pk=message.pk))

    conversation.refresh_from_db()
    assert states(conversation) == [("1", ReplyState.WAITING, None)]
    assert conversation.pk in needs_reply_ids(agent_anna)
    with pytest.raises(ActionError):
        check_unsettle(agent_anna, Message.objects.get(pk=message.pk))


def test_a_customer_message_during_resolve_reopens_or_is_settled(
    x_inbox: Inbox, agent_anna: User
) -> None:
    """After a resolve, a new customer message reopens: it never lands in a closed thread."""
    conversation = post(x_inbox, "1", 0).conversation
    do_change_status(agent_anna, conversation, Status.RESOLVED, no_reply_reason="thanks_only")

    post(x_inbox, "2", 181, in_reply_to="1")

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.pk in needs_reply_ids(agent_anna)


@pytest.mark.parametrize("seed", range(5))
def test_every_customer_message_ends_in_exactly_one_state(
    x_inbox: Inbox, agent_anna: User, seed: int
) -> None:
    """Random days at the desk: whatever happens, a conversation is in Needs reply exactly when
    one of its customer messages waits, and every answered message names a reply that was not
    lost."""
    rng = random.Random(seed)
    minute = 0
    posted: list[str] = []
    replies: list[Message] = []
    for step in range(60):
        minute += rng.randint(1, 4)
        action = rng.choice(["post", "post", "reply", "fail", "settle", "resolve", "unsettle"])
        conversation = Conversation.objects.filter(inbox=x_inbox).order_by("?").first()
        if action == "post" or conversation is None:
            parent = rng.choice(posted) if posted and rng.random() < 0.7 else None
            external_id = f"m{step}"
            post(x_inbox, external_id, minute, author=str(rng.randint(1, 4)), in_reply_to=parent)
            posted.append(external_id)
        elif action == "reply" and conversation.merged_into_id is None:
            replies.append(reply(agent_anna, conversation))
        elif action == "fail" and replies:
            fail(rng.choice(replies))
        elif action == "settle" and conversation.waiting_since and not conversation.merged_into_id:
            check_settle_no_reply(agent_anna, conversation, None, "answered_elsewhere")
        elif action == "resolve" and not conversation.merged_into_id:
            do_change_status(agent_anna, conversation, Status.RESOLVED, no_reply_reason="spam")
        elif action == "unsettle":
            settled = Message.objects.filter(reply_state=ReplyState.NO_REPLY_NEEDED).first()
            if settled:
                check_unsettle(agent_anna, settled)

    waiting = needs_reply_ids(agent_anna)
    for conversation in Conversation.objects.filter(inbox=x_inbox, merged_into__isnull=True):
        inbound = list(conversation.messages.filter(direction=Direction.INBOUND))
        assert all(m.reply_state in ReplyState.values[1:] for m in inbound)
        has_waiting = any(m.reply_state == ReplyState.WAITING for m in inbound)
        assert (conversation.pk in waiting) == has_waiting, conversation
        for message in inbound:
            if message.reply_state == ReplyState.ANSWERED:
                answer = message.answered_by
                assert answer.direction == Direction.OUTBOUND
                assert answer.delivery_status not in (DeliveryStatus.FAILED, "uncertain")
                assert answer.created_at >= message.created_at
