"""Proactive webcare on X: posts that name the brand without addressing it.

Found by the inbox's listening query (recent search on the X stand-in), shown in Listening,
kept out of Needs reply until an agent takes them up, by the button or by replying.
"""

import time
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import sync_playwright

from tests.api.conftest import bearer_client
from tests.browser import launch_chromium, log_in, shoot
from tests.channels import connected
from tests.channels.test_x import deliver
from tests.conftest import logged_in
from tests.delivery.conftest import queue_reply, reloaded, work_until
from webcare.accounts.models import Account, User
from webcare.channels.models import ConnectorState
from webcare.channels.x_polling import poll_listening, poll_mentions
from webcare.conversations.accounting import check_reason
from webcare.conversations.models import Conversation, DeliveryStatus, ReplyState
from webcare.core.errors import ActionError
from webcare.inboxes.actions import do_update_settings
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.x import XStandIn, running_x

QUERY = '"Parkeergarage Centraal" OR parkeercentraal -from:ParkeerCentraal'


@pytest.fixture
def standin() -> Iterator[XStandIn]:
    with running_x() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: XStandIn) -> Inbox:
    return connected.x_inbox(account, standin, listen_query=QUERY)


def ids(client: Client, view: str) -> list[int]:
    return [c["id"] for c in client.get(f"/api/v1/conversations?view={view}").json()["items"]]


def buzz(standin: XStandIn, inbox: Inbox) -> Conversation:
    """Someone complains about the garage without addressing it; listening finds it."""
    post = standin.post("501", "Weer 20 minuten in de rij bij Parkeergarage Centraal 😤")
    assert poll_listening(inbox).stored == 1
    return Conversation.objects.get(messages__external_id=post["id"])


def test_a_post_found_by_listening_stays_out_of_needs_reply(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    conversation = buzz(standin, inbox)
    api = bearer_client(agent_anna)

    assert conversation.proactive
    assert ids(api, "listening") == [conversation.pk]
    assert ids(api, "needs_reply") == []
    assert ids(api, "unassigned") == []
    message = conversation.messages.get()
    assert (message.reply_state, message.no_reply_reason) == ("no_reply_needed", "unprompted")
    assert conversation.waiting_since is None and conversation.response_due_at is None
    query = standin.calls("/2/tweets/search/recent")[0].query
    assert query["query"] == QUERY and "start_time" in query


def test_a_listened_post_that_addresses_the_brand_is_an_ordinary_one(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    standin.post("502", "@ParkeerCentraal Parkeergarage Centraal is dicht?")

    poll_listening(inbox)

    conversation = Conversation.objects.get()
    assert not conversation.proactive
    assert ids(bearer_client(agent_anna), "needs_reply") == [conversation.pk]


def test_taking_it_up_moves_it_to_needs_reply_assigned_to_you(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    conversation = buzz(standin, inbox)
    api = bearer_client(agent_anna)

    taken = api.post(f"/api/v1/conversations/{conversation.pk}/take-up")
    again = api.post(f"/api/v1/conversations/{conversation.pk}/take-up")

    assert taken.status_code == 200
    assert taken.json()["proactive"] is False
    assert taken.json()["assignee"]["id"] == agent_anna.pk
    assert again.status_code == 409
    assert ids(api, "needs_reply") == [conversation.pk]
    assert ids(api, "listening") == []
    assert conversation.messages.get(direction="inbound").reply_state == ReplyState.WAITING
    assert conversation.messages.filter(activity__verb="taken_up").count() == 1


def test_replying_takes_it_up_and_answers_it(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    conversation = buzz(standin, inbox)

    reply = queue_reply(agent_anna, conversation, "@klant501 Sorry voor het wachten! Welke uitrit?")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    conversation.refresh_from_db()
    assert not conversation.proactive
    customer = conversation.messages.get(direction="inbound")
    assert (customer.reply_state, customer.answered_by_id) == (ReplyState.ANSWERED, reply.pk)
    (call,) = standin.calls("/2/tweets", method="POST")
    assert call.body["reply"] == {"in_reply_to_tweet_id": customer.external_id}


def test_the_customer_addressing_us_in_the_thread_ends_listening(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    conversation = buzz(standin, inbox)
    root = conversation.messages.get().external_id
    follow_up = standin.mention(
        "501", "@ParkeerCentraal kunnen jullie iets doen?", in_reply_to=root
    )

    deliver(standin, inbox, standin.activity_body(follow_up))

    conversation.refresh_from_db()
    assert not conversation.proactive
    assert conversation.messages.filter(reply_state=ReplyState.WAITING).count() == 2
    assert ids(bearer_client(agent_anna), "needs_reply") == [conversation.pk]


def test_listening_resumes_after_the_newest_post_it_saw(inbox: Inbox, standin: XStandIn) -> None:
    first = buzz(standin, inbox)
    charger = standin.post("503", "parkeercentraal heeft eindelijk een laadpaal")
    standin.post("504", "Niets met parkeren te maken")

    second = poll_listening(inbox)

    assert second.stored == 1
    calls = standin.calls("/2/tweets/search/recent")
    assert calls[1].query["since_id"] == first.messages.get().external_id
    assert ConnectorState.objects.get(inbox=inbox).cursor["listen_since_id"] == charger["id"]


def test_a_rate_limited_search_does_not_hold_back_the_mentions(
    inbox: Inbox, standin: XStandIn
) -> None:
    standin.exhaust("search", reset_in=60)
    standin.mention("505", "@ParkeerCentraal help")

    refused = poll_listening(inbox)
    searches = len(standin.calls("/2/tweets/search/recent"))
    held_back = poll_listening(inbox)
    mentions = poll_mentions(inbox)

    assert "rate limiting" in refused.error
    assert held_back.skipped.startswith("rate limited until")
    assert len(standin.calls("/2/tweets/search/recent")) == searches
    assert mentions.stored == 1
    state = ConnectorState.objects.get(inbox=inbox)
    assert state.rate_limited_until is None
    assert state.cursor["listen_limited_until"] > time.strftime("%Y")


def test_agents_cannot_give_unprompted_as_their_reason() -> None:
    with pytest.raises(ActionError, match="Unknown reason 'unprompted'"):
        check_reason("unprompted")


def test_the_web_shows_listening_and_takes_it_up(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    conversation = buzz(standin, inbox)
    web = logged_in(agent_anna)
    url = reverse("web:conversation", args=[conversation.account_id, conversation.display_id])

    page = web.get(url).content.decode()
    listing = web.get(
        reverse("web:conversations", args=[conversation.account_id]) + "?view=listening"
    ).content.decode()
    web.post(reverse("web:take-up", args=[conversation.account_id, conversation.display_id]))

    assert "Found by listening" in page and "Take it up" in page
    assert "Weer 20 minuten in de rij" in listing
    conversation.refresh_from_db()
    assert not conversation.proactive and conversation.assignee == agent_anna
    assert "took this up from Listening" in web.get(url).content.decode()


@pytest.fixture
def unpolled(inbox: Inbox) -> Inbox:
    """The inbox with the worker's poller kept off it, so the test's own poll is the only one
    (the server a browser test starts runs a poller too). Requested before webcare_server."""
    return do_update_settings(inbox, {"poll": False})


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_listening_in_the_browser(
    agent_anna: User, unpolled: Inbox, standin: XStandIn, webcare_server: str
) -> None:
    inbox = unpolled
    conversation = buzz(standin, inbox)
    base = f"{webcare_server}/a/{conversation.account_id}"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        log_in(page, webcare_server, "anna")
        page.goto(f"{base}/conversations/?view=listening")
        page.get_by_text("Weer 20 minuten in de rij").first.click()
        page.get_by_role("button", name="Take it up").wait_for()
        shoot(page, "listening")
        page.get_by_role("button", name="Take it up").press("Enter")
        page.get_by_text("took this up from Listening").wait_for()
        page.goto(f"{base}/conversations/?view=needs_reply")
        page.get_by_text("Weer 20 minuten in de rij").first.wait_for()
        browser.close()
