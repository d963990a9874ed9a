"""Needs reply, most urgent first, in a real browser: the seeded morning is triaged by the
server's own worker, the angriest public complaint comes first with its reasons as badges, and
"Longest waiting first" is one click away. Screenshots go to test-artifacts/screenshots/."""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser import launch_chromium, log_in, shoot
from tests.triage.test_storms import BARRIER
from tests.web.test_browser import VIEWPORT, seed
from tests.web.test_views import customer_post
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.replies.canned import check_save_canned
from webcare.triage import storms
from webcare.triage.actions import triage_pending

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


PLATE_POST = "@ParkeerCentraal mijn kenteken 12-ABC-3 wordt niet herkend bij P1, slagboom dicht!"


@pytest.fixture
def seeded(
    account: Account, x_inbox: Inbox, api_inbox: Inbox, lead_lars: User, agent_anna: User
) -> Account:
    seed(account, x_inbox, api_inbox, lead_lars)
    customer_post(
        x_inbox,
        "x-plate",
        PLATE_POST,
        2,
        author=Author(external_id="777", handle="jeroen_b", name="Jeroen Bos"),
    )
    return account


@pytest.fixture
def page(seeded: Account, webcare_server: str) -> Iterator[Page]:
    """The server's embedded worker triages what `seed` stored; wait for it first."""
    deadline = time.monotonic() + 60
    while Message.objects.filter(direction="inbound", triaged_at__isnull=True).exists():
        assert time.monotonic() < deadline, "the worker did not triage the seeded messages"
        time.sleep(0.3)
    with sync_playwright() as playwright:
        browser: Browser = launch_chromium(playwright)
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        yield context.new_page()
        context.close()
        browser.close()


def test_the_most_urgent_customer_comes_first_with_the_reasons(
    seeded: Account, webcare_server: str, page: Page
) -> None:
    log_in(page, webcare_server, "anna")

    rows = page.locator("[data-row]")
    expect(page.get_by_role("link", name="Most urgent")).to_have_attribute("aria-current", "true")
    expect(rows.first).to_contain_text("Complaint")
    shoot(page, "40-needs-reply-most-urgent")
    urgent_first = rows.locator(".row-name").all_inner_texts()

    page.get_by_role("link", name="Longest waiting").click()
    expect(page).to_have_url(re.compile(r"sort=oldest"))
    expect(page.get_by_role("link", name="Longest waiting")).to_have_attribute(
        "aria-current", "true"
    )
    oldest_first = rows.locator(".row-name").all_inner_texts()
    shoot(page, "41-needs-reply-longest-waiting")

    assert sorted(oldest_first) == sorted(urgent_first)
    assert oldest_first != urgent_first


def test_personal_data_in_public_is_flagged_and_one_click_takes_it_private(
    seeded: Account, webcare_server: str, page: Page
) -> None:
    log_in(page, webcare_server, "anna")
    page.locator("[data-row]").filter(has_text="Jeroen Bos").click()

    warning = page.locator(".pii-warning")
    expect(warning).to_contain_text("Personal data in public: licence plate")
    page.locator("#reply-text").fill("@jeroen_b We zien 12-ABC-3 niet in ons systeem")
    page.locator("#reply-text").press("End")  # a key, as typing would: the counter listens
    expect(page.locator(".pii-draft")).to_contain_text(
        "Your public reply repeats personal data (licence plate)"
    )
    shoot(page, "42-personal-data-in-public")

    page.locator("#reply-text").fill("")
    warning.get_by_role("button", name="Ask the customer to continue privately").click()
    expect(page.locator("#thread .msg.outbound")).to_contain_text(
        "@jeroen_b Je bericht bevat persoonlijke gegevens"
    )
    expect(warning.get_by_role("button")).to_have_count(0)  # answered: nothing to click again
    shoot(page, "43-invited-to-continue-privately")


def test_a_storm_is_announced_and_answered_as_one(
    account: Account, x_inbox: Inbox, lead_lars: User, webcare_server: str
) -> None:
    for n, text in enumerate(BARRIER):
        customer_post(
            x_inbox,
            f"storm-{n}",
            f"@ParkeerCentraal {text}",
            4,
            author=Author(external_id=f"s{n}", handle=f"klant{n}", name=f"Klant{n} Jansen"),
        )
    triage_pending()  # the server's worker would too; here the test needs it done now
    [storm] = storms.detect(account)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
        log_in(page, webcare_server, "lars")

        banner = page.locator(".storm-banner")
        expect(banner).to_contain_text(f"about “{storm.term}” in the last hour")
        shoot(page, "44-storm-banner")
        banner.click()
        expect(page.get_by_role("heading", name=f"⚡ “{storm.term}”")).to_be_visible()
        page.get_by_label(re.compile("One answer for the")).fill(
            "Hoi {first_name}, de monteur is onderweg naar P2. Sorry! ^{agent_initials}"
        )
        page.get_by_role("button", name="Answer all waiting customers").click()
        expect(page.get_by_role("status")).to_contain_text(
            f"Done for {storm.message_count} conversations."
        )
        shoot(page, "45-storm-answered")
        browser.close()


@pytest.fixture
def kenteken_response(seeded: Account, lead_lars: User) -> None:
    """Made before the browser starts, whose event loop forbids database calls."""
    check_save_canned(
        lead_lars,
        seeded,
        title="Kenteken niet herkend",
        text="Hoi {first_name}, vervelend! We zetten je kenteken opnieuw in het systeem; "
        "stuur het ons per DM. ^{agent_initials}",
        language="nl",
    )
    earlier = customer_post(
        seeded.inboxes.get(kind="x"),
        "x-earlier-plate",
        "Mijn kenteken wordt niet herkend bij de slagboom van P1, wat moet ik doen?",
        300,
        author=Author(external_id="778", handle="ria_k", name="Ria Kok"),
    )
    check_send_reply(
        lead_lars,
        earlier.conversation,
        "Hoi Ria, druk op de intercom bij de slagboom: de centrale opent hem en zet je "
        "kenteken opnieuw in het systeem. ^L",
        expected_last_message_id=earlier.pk,
    )


def test_help_with_the_answer_puts_a_canned_response_in_the_composer(
    seeded: Account, kenteken_response: None, webcare_server: str, page: Page
) -> None:
    log_in(page, webcare_server, "lars")
    page.goto(f"{webcare_server}/a/{seeded.pk}/canned/")
    expect(page.get_by_role("cell", name="Kenteken niet herkend")).to_be_visible()
    shoot(page, "46-canned-responses")

    page.goto(f"{webcare_server}/a/{seeded.pk}/conversations/")
    page.locator("[data-row]").filter(has_text="Jeroen Bos").click()
    expect(page.locator(".strategy")).to_contain_text("How to answer:")
    page.locator(".suggested-reply").filter(has_text="Kenteken niet herkend").click()
    expect(page.locator("#reply-text")).to_have_value(
        "Hoi Jeroen, vervelend! We zetten je kenteken opnieuw in het systeem; "
        "stuur het ons per DM. ^L"
    )
    expect(page.locator("#char-counter")).to_have_text(re.compile(r"^[1-9]\d* / 280"))
    shoot(page, "47-suggested-reply-used")

    before = page.locator(".similar-answers")
    expect(before).to_contain_text("Answered before")
    expect(before).to_contain_text("Mijn kenteken wordt niet herkend")
    before.locator(".suggested-reply").first.click()
    expect(page.locator("#reply-text")).to_have_value(re.compile(r"^Hoi Ria, druk op de intercom"))
    shoot(page, "48-answered-before")
