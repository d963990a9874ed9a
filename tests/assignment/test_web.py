"""The availability switch in the inbox sidebar: the form, the view, and how it looks."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.assignment.conftest import assignees, ingest, membership
from tests.browser import SCREENSHOTS, launch_chromium
from tests.conftest import WebhookClient, logged_in
from tests.factories import AccountFactory
from webcare.accounts.models import Account, User


def test_the_sidebar_shows_the_switch_with_the_current_status(
    account: Account, agents: list[User]
) -> None:
    page = logged_in(agents[0]).get(f"/a/{account.pk}/conversations/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-availability="online"' in html
    assert 'value="online" class="availability-option is-online" aria-pressed="true"' in html
    assert 'value="offline" class="availability-option is-offline" aria-pressed="false"' in html


def test_going_offline_from_the_switch_returns_the_conversations(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    conversations = [ingest(team_webhook, n) for n in range(3)]
    back = f"/a/{account.pk}/conversations/?view=mine"

    response = logged_in(agents[0]).post(
        f"/a/{account.pk}/availability/", {"availability": "offline", "next": back}
    )

    assert (response.status_code, response["Location"]) == (303, back)
    assert membership(agents[0], account).availability == "offline"
    assert assignees(conversations) == ["bram", "bram", "cas"]


def test_a_foreign_next_url_is_not_followed(account: Account, agents: list[User]) -> None:
    response = logged_in(agents[0]).post(
        f"/a/{account.pk}/availability/",
        {"availability": "away", "next": "https://evil.example/"},
    )

    assert response["Location"] == f"/a/{account.pk}/conversations/"


def test_a_bad_value_is_400_and_another_account_404(account: Account, agents: list[User]) -> None:
    client = logged_in(agents[0])
    foreign = AccountFactory(name="Andere klant")

    assert client.post(f"/a/{account.pk}/availability/", {"availability": "x"}).status_code == 400
    assert (
        client.post(f"/a/{foreign.pk}/availability/", {"availability": "away"}).status_code == 404
    )


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_switching_with_the_keyboard(
    webcare_server: str, account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    for n in range(4):
        ingest(team_webhook, n)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{webcare_server}/login/")
        page.fill("#id_username", "anna")
        page.fill("#id_password", "secret-pass-1")
        page.keyboard.press("Enter")
        online = page.locator(".availability-option.is-online")
        expect(online).to_have_attribute("aria-pressed", "true")
        expect(page.locator(".availability-load")).to_contain_text("You have 2 of at most 10.")
        page.locator(".availability").screenshot(path=str(SCREENSHOTS / "availability-switch.png"))
        page.screenshot(path=str(SCREENSHOTS / "availability-online.png"))

        page.locator(".availability-option.is-away").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".availability-option.is-away")).to_have_attribute(
            "aria-pressed", "true"
        )
        page.locator(".availability-option.is-offline").focus()
        page.keyboard.press("Enter")
        offline = page.locator(".availability-option.is-offline")
        expect(offline).to_have_attribute("aria-pressed", "true")
        page.screenshot(path=str(SCREENSHOTS / "availability-offline.png"))
        browser.close()

    assert membership(agents[0], account).availability == "offline"
