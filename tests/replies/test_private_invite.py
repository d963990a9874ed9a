"""Personal data in public: the warning on the message, the one-click reply that takes the
customer private in the channel's own way and language, and the warning on a public draft
that repeats the data. Real ingest, real triage, real delivery to the Facebook stand-in."""

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from tests.channels import connected, test_facebook
from tests.conftest import logged_in
from tests.delivery.conftest import reloaded, work_until
from tests.factories import InboxFactory
from tests.web.test_views import CUSTOMER, customer_post
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation, DeliveryStatus, Direction, Message
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.replies.private_invite import check_invite_to_private, invitation
from webcare.sandbox.standins.facebook import FacebookStandIn, running_facebook
from webcare.triage.actions import triage_pending

pytestmark = pytest.mark.django_db

PLATE_POST = "@ParkeerCentraal de slagboom herkent mijn kenteken 12-ABC-3 niet, ik sta vast!"


@pytest.fixture
def fb() -> Iterator[FacebookStandIn]:
    with running_facebook() as running:
        yield running


def newest(conversation: Conversation) -> int:
    return conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]


def our_replies(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.filter(direction=Direction.OUTBOUND, kind="message"))


def test_a_public_post_with_a_plate_is_flagged_and_one_click_invites_a_dm_on_x(
    x_inbox: Inbox, agent_anna: User, account: Account
) -> None:
    post = customer_post(x_inbox, "x-1", PLATE_POST, 5)
    triage_pending()
    client = logged_in(agent_anna)
    url = reverse("web:conversation", args=[account.pk, post.conversation.display_id])

    page = client.get(url).content.decode()
    response = client.post(
        reverse("web:invite-private", args=[account.pk, post.conversation.display_id, post.pk]),
        {"expected_last_message_id": newest(post.conversation)},
    )

    assert "Personal data in public" in page
    assert "licence plate" in page
    assert "Ask the customer to continue privately" in page
    assert response.status_code == 303
    [reply] = our_replies(post.conversation)
    assert reply.public is True
    assert reply.text.startswith(f"@{CUSTOMER.handle} Je bericht bevat persoonlijke gegevens")
    assert "privébericht" in reply.text
    assert reply.text.endswith("^Anna")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)


def test_the_invitation_speaks_the_customers_language(x_inbox: Inbox, agent_anna: User) -> None:
    post = customer_post(
        x_inbox, "x-2", "@ParkeerCentraal my plate 12-ABC-3 is not recognised at the exit", 5
    )
    triage_pending()

    text = invitation(post.conversation, reloaded(post), agent_anna).text

    assert text.startswith(f"@{CUSTOMER.handle} Your post contains personal details")


def test_on_facebook_the_invitation_is_a_private_reply_to_the_comment(
    account: Account, agent_anna: User, fb: FacebookStandIn
) -> None:
    inbox = connected.facebook_inbox(account, fb)
    value = fb.comment(
        test_facebook.JANE, "Mijn kenteken 12-ABC-3 wordt niet herkend, belachelijk!"
    )
    test_facebook.comments(fb, inbox, value)
    comment = Message.objects.get(external_id=value["comment_id"])
    triage_pending()

    reply = check_invite_to_private(
        agent_anna,
        comment.conversation,
        reloaded(comment),
        expected_last_message_id=newest(comment.conversation),
    )
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    assert reply.public is False
    [sent] = fb.sent
    assert sent["body"]["recipient"] == {"comment_id": value["comment_id"]}
    assert sent["body"]["message"]["text"].startswith("Hoi Jane, we helpen je hier privé verder")


def test_a_message_without_personal_data_gets_no_invitation(
    x_inbox: Inbox, agent_anna: User
) -> None:
    post = customer_post(x_inbox, "x-3", "Hoe laat sluit de garage vanavond?", 5)
    triage_pending()

    with translation.override("en"), pytest.raises(ActionError, match="personal data"):
        check_invite_to_private(
            agent_anna,
            post.conversation,
            reloaded(post),
            expected_last_message_id=newest(post.conversation),
        )
    assert our_replies(post.conversation) == []


def test_a_public_draft_that_repeats_the_plate_is_warned_about(
    x_inbox: Inbox, agent_anna: User, account: Account
) -> None:
    post = customer_post(x_inbox, "x-4", PLATE_POST, 5)
    client = logged_in(agent_anna)
    counter = reverse("web:counter", args=[account.pk, post.conversation.display_id])

    warned = client.post(counter, {"text": "@marloes_vd We zien 12-ABC-3 niet in ons systeem"})
    clean = client.post(counter, {"text": "@marloes_vd Stuur ons een DM met je kenteken"})

    assert "Your public reply repeats personal data (licence plate)" in warned.content.decode()
    assert "repeats personal data" not in clean.content.decode()


def test_a_private_draft_is_not_warned_about(account: Account, agent_anna: User) -> None:
    inbox = InboxFactory(account=account, kind="api", name="API", settings={"sandbox": True})
    post = customer_post(inbox, "api-1", "Mijn kenteken is 12-ABC-3", 5, public=False)
    client = logged_in(agent_anna)
    counter = reverse("web:counter", args=[account.pk, post.conversation.display_id])

    response = client.post(counter, {"text": "We zien 12-ABC-3 niet in ons systeem"})

    assert "repeats personal data" not in response.content.decode()
