"""Private replies: a public comment answered with one private message (Facebook, Instagram).

The step that moves personal data out of public view. Against the Meta stand-ins, which accept
one private message per comment within 7 days and answer a second with error 10900.
"""

import time
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from tests.api.conftest import bearer_client
from tests.channels import connected, test_facebook, test_instagram
from tests.conftest import logged_in
from tests.delivery.conftest import reloaded, work_until
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation, DeliveryStatus, Direction, Message
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.sandbox.standins.facebook import FacebookStandIn, running_facebook
from webcare.sandbox.standins.instagram import InstagramStandIn, running_instagram

JANE = test_facebook.JANE
TEXT = "Vervelend! Stuur ons je kenteken, dan kijken we het na."


@pytest.fixture
def fb() -> Iterator[FacebookStandIn]:
    with running_facebook() as running:
        yield running


@pytest.fixture
def fb_inbox(account: Account, fb: FacebookStandIn) -> Inbox:
    return connected.facebook_inbox(account, fb)


@pytest.fixture
def ig() -> Iterator[InstagramStandIn]:
    with running_instagram() as running:
        yield running


@pytest.fixture
def ig_inbox(account: Account, ig: InstagramStandIn) -> Inbox:
    return connected.instagram_inbox(account, ig)


def fb_comment(fb: FacebookStandIn, inbox: Inbox, **kw: object) -> Conversation:
    value = fb.comment(JANE, "Mijn kenteken werd niet herkend bij de slagboom!", **kw)
    test_facebook.comments(fb, inbox, value)
    return Conversation.objects.get(messages__external_id=value["comment_id"])


def private(agent: User, conversation: Conversation, text: str = TEXT) -> Message:
    newest = conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]
    return check_send_reply(
        agent, conversation, text, expected_last_message_id=newest, private_reply=True
    )


def test_a_facebook_comment_gets_exactly_the_documented_private_reply(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    conversation = fb_comment(fb, fb_inbox)
    comment = conversation.messages.get()

    reply = private(agent_anna, conversation)
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    (call,) = fb.calls("POST")
    assert call.path.endswith(f"/{fb.page_id}/messages")
    assert call.body == {
        "recipient": {"comment_id": comment.external_id},
        "message": {"text": TEXT},
    }
    reply = reloaded(reply)
    assert not reply.public and reply.in_reply_to_id == comment.pk
    assert comment.__class__.objects.get(pk=comment.pk).reply_state == "answered"


def test_a_second_private_reply_to_the_same_comment_is_refused_before_meta_sees_it(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    conversation = fb_comment(fb, fb_inbox)
    first = private(agent_anna, conversation)
    work_until(lambda: reloaded(first).delivery_status == DeliveryStatus.DELIVERED)

    with translation.override("en"), pytest.raises(ActionError, match="one private reply"):
        private(agent_anna, conversation, "Nog iets")

    assert len(fb.calls("POST")) == 1


def test_a_comment_older_than_7_days_cannot_get_one(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    conversation = fb_comment(fb, fb_inbox, at=time.time() - 8 * 24 * 3600)

    with translation.override("en"), pytest.raises(ActionError, match="more than 7 days old"):
        private(agent_anna, conversation)

    assert fb.calls("POST") == []


def test_meta_refusing_a_second_one_shows_its_words(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    """Sent from elsewhere (Meta Business Suite) first: Meta's 10900 reaches the agent."""
    conversation = fb_comment(fb, fb_inbox)
    fb.private_replied.add(conversation.messages.get().external_id)

    reply = private(agent_anna, conversation)
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert "Activity already replied to" in reloaded(reply).delivery_error


def test_an_instagram_comment_gets_its_private_reply(
    agent_anna: User, ig_inbox: Inbox, ig: InstagramStandIn
) -> None:
    value = ig.comment(test_instagram.JANE, "Mijn kenteken werd niet herkend")
    test_instagram.delivered(ig, ig_inbox, ig.comments_body(value))
    conversation = Conversation.objects.get(messages__external_id=value["id"])

    reply = private(agent_anna, conversation)
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    (call,) = ig.calls("POST")
    assert call.path.endswith(f"/{ig.ig_user_id}/messages")
    assert call.body == {"recipient": {"comment_id": value["id"]}, "message": {"text": TEXT}}


def test_a_messenger_conversation_has_no_private_reply(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    dm = test_facebook.customer_messages(fb, fb_inbox)

    with translation.override("en"), pytest.raises(ActionError, match="answers a public comment"):
        private(agent_anna, dm)


def test_the_api_and_the_composer_offer_it(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    conversation = fb_comment(fb, fb_inbox)
    url = reverse("web:conversation", args=[conversation.account_id, conversation.display_id])
    page = logged_in(agent_anna).get(url).content.decode()
    newest = conversation.messages.get().pk

    response = bearer_client(agent_anna).post(
        f"/api/v1/conversations/{conversation.pk}/replies",
        {"text": TEXT, "expected_last_message_id": newest, "private": True},
        content_type="application/json",
    )

    assert 'name="private"' in page
    assert response.status_code == 201, response.content
    assert response.json()["public"] is False
    assert conversation.messages.filter(direction=Direction.OUTBOUND, public=False).count() == 1
