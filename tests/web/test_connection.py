"""The connection page: an inbox's health at a glance and a working "test connection"."""

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, sync_playwright

from tests.browser import launch_chromium, log_in, shoot
from tests.channels import connected
from tests.conftest import logged_in
from tests.factories import UserFactory
from webcare.accounts.models import Account, Role, User
from webcare.channels.models import ConnectorState, EventState, RawInboundEvent
from webcare.channels.x_polling import poll_mentions
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.x import XStandIn, running_x


@pytest.fixture
def standin() -> Iterator[XStandIn]:
    with running_x() as running:
        yield running


@pytest.fixture
def lead(account: Account) -> User:
    return UserFactory(username="lars", first_name="Lars", account=account, role=Role.LEAD)


@pytest.fixture
def inbox(account: Account, standin: XStandIn) -> Inbox:
    return connected.x_inbox(account, standin)


def page_url(inbox: Inbox) -> str:
    return reverse("web:connection", args=[inbox.account_id, inbox.pk])


def test_the_page_shows_last_event_error_rate_limit_and_backlog(
    lead: User, inbox: Inbox, standin: XStandIn
) -> None:
    standin.mention("111", "@ParkeerCentraal hallo")
    poll_mentions(inbox)
    standin.exhaust("mentions", reset_in=600)
    poll_mentions(inbox)
    RawInboundEvent.objects.create(
        inbox=inbox,
        source="x",
        dedupe_key="post:bad",
        payload="{}",
        state=EventState.FAILED,
        error="kind: is missing",
    )

    html = logged_in(lead).get(page_url(inbox)).content.decode()

    assert "Held back by the platform" in html
    assert "No requests until" in html
    assert "kind: is missing" in html
    assert "1 event failed" in html
    assert f"/hooks/x/{inbox.token}" in html
    assert ConnectorState.objects.get(inbox=inbox).rate_limited_until is not None


def test_test_connection_says_who_the_token_belongs_to(lead: User, inbox: Inbox) -> None:
    client = logged_in(lead)

    response = client.post(
        reverse("web:test-connection", args=[inbox.account_id, inbox.pk]), follow=True
    )

    assert "Connected to X as @ParkeerCentraal (user 2244994945)." in response.content.decode()


def test_a_wrong_token_fails_the_test_in_plain_words(
    lead: User, inbox: Inbox, standin: XStandIn
) -> None:
    standin.bearer_token = "rotated"
    client = logged_in(lead)

    response = client.post(
        reverse("web:test-connection", args=[inbox.account_id, inbox.pk]), follow=True
    )

    html = response.content.decode()
    assert "The connection test failed" in html and "401" in html


def test_agents_may_not_see_it(account: Account, inbox: Inbox) -> None:
    agent = UserFactory(username="anna", account=account, role=Role.AGENT)

    assert logged_in(agent).get(page_url(inbox)).status_code == 403
    assert Client().get(page_url(inbox)).status_code == 302


def test_the_list_links_each_inbox_with_its_state(lead: User, inbox: Inbox) -> None:
    html = (
        logged_in(lead)
        .get(reverse("web:inbox-settings-list", args=[inbox.account_id]))
        .content.decode()
    )

    assert page_url(inbox) in html and "Working" in html


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_the_connection_page_in_the_browser(
    lead: User, inbox: Inbox, standin: XStandIn, webcare_server: str
) -> None:
    standin.mention("111", "@ParkeerCentraal hallo")
    poll_mentions(inbox)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page: Page = browser.new_page(viewport={"width": 1200, "height": 900})
        log_in(page, webcare_server, "lars")
        page.goto(webcare_server + page_url(inbox))
        page.get_by_role("button", name="Test connection").press("Enter")
        page.get_by_text("Connected to X as @ParkeerCentraal").wait_for()
        shoot(page, "connection")
        browser.close()
