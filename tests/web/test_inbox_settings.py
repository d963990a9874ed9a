"""The team lead's inbox-promises page: who may, what is stored, what an error looks like."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser import launch_chromium, shoot
from tests.conftest import logged_in
from tests.factories import AccountFactory, InboxFactory
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Conversation
from webcare.inboxes.models import Inbox

ROOT = Path(__file__).resolve().parents[2]
COUNTDOWN_JS = ROOT / "src" / "webcare" / "web" / "static" / "web" / "countdown.js"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def settings_url(inbox: Inbox) -> str:
    return f"/a/{inbox.account_id}/settings/inboxes/{inbox.pk}/"


def form_data(**overrides: Any) -> dict[str, Any]:
    """What the page posts for weekdays 8:00-22:00, Saturday 9-17 and Sunday closed."""
    data: dict[str, Any] = {
        "first_response_minutes": "30",
        "next_response_minutes": "45",
        "resolution_minutes": "",
        "warn_before_minutes": "10",
        "timezone": "Europe/Amsterdam",
        "holiday_country": "nl",
        "holiday_subdivision": "",
        "shifts": "2",
        "sat_0_opens": "9:00",
        "sat_0_closes": "17:00",
        "sun_closed": "on",
    }
    for day in WEEKDAYS:
        data[f"{day}_0_opens"] = "8:00"
        data[f"{day}_0_closes"] = "22:00"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def inbox(account: Account) -> Inbox:
    return InboxFactory(account=account, name="Webcare X")


def test_lead_saves_valid_hours_and_they_are_stored_normalised(
    lead_lars: User, inbox: Inbox
) -> None:
    response = logged_in(lead_lars).post(
        settings_url(inbox), form_data(tue_1_opens="23:00", tue_1_closes="24:00")
    )

    assert response.status_code == 303
    inbox.refresh_from_db()
    assert inbox.opening_hours == {
        "mon": [["08:00", "22:00"]],
        "tue": [["08:00", "22:00"], ["23:00", "24:00"]],
        "wed": [["08:00", "22:00"]],
        "thu": [["08:00", "22:00"]],
        "fri": [["08:00", "22:00"]],
        "sat": [["09:00", "17:00"]],
        "sun": [],
    }
    assert inbox.first_response_minutes == 30
    assert inbox.next_response_minutes == 45
    assert inbox.resolution_minutes is None
    assert inbox.warn_before_minutes == 10
    assert inbox.holiday_country == "NL"


def test_saved_page_shows_the_stored_hours_back(lead_lars: User, inbox: Inbox) -> None:
    client = logged_in(lead_lars)
    client.post(settings_url(inbox), form_data())

    page = client.get(settings_url(inbox))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="mon_0_opens" value="08:00"' in html
    assert re.search(r'name="sun_closed"[^>]*checked', html)
    assert "Saved the promises of Webcare X." in html


def test_bad_hours_are_shown_on_their_row_and_nothing_is_stored(
    lead_lars: User, inbox: Inbox
) -> None:
    before = (inbox.opening_hours, inbox.first_response_minutes)

    response = logged_in(lead_lars).post(
        settings_url(inbox), form_data(tue_0_opens="22:00", tue_0_closes="08:00")
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was saved." in html
    assert "Tuesday: 22:00-08:00 ends before it starts; for a night shift split it" in html
    inbox.refresh_from_db()
    assert (inbox.opening_hours, inbox.first_response_minutes) == before


def test_half_filled_day_and_unknown_zone_are_refused(lead_lars: User, inbox: Inbox) -> None:
    response = logged_in(lead_lars).post(
        settings_url(inbox), form_data(wed_0_closes="", timezone="Europe/Amsterdm")
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Fill in both when it opens and when it closes." in html
    assert "Unknown time zone “Europe/Amsterdm”" in html
    inbox.refresh_from_db()
    assert inbox.timezone == "Europe/Amsterdam"


def test_an_inbox_closed_every_day_is_refused(lead_lars: User, inbox: Inbox) -> None:
    closed = {f"{day}_closed": "on" for day in (*WEEKDAYS, "sat", "sun")}

    response = logged_in(lead_lars).post(settings_url(inbox), form_data(**closed))

    assert response.status_code == 422
    assert "closed on every day" in response.content.decode()


def test_open_around_the_clock_stores_the_empty_table(lead_lars: User, inbox: Inbox) -> None:
    inbox.opening_hours = {"mon": [["08:00", "17:00"]]}
    inbox.save()

    response = logged_in(lead_lars).post(settings_url(inbox), form_data(always_open="on"))

    assert response.status_code == 303
    inbox.refresh_from_db()
    assert inbox.opening_hours == {}


def test_saving_retimes_the_waiting_conversations(lead_lars: User, inbox: Inbox) -> None:
    # Monday 30 November 2026, 21:50 in Amsterdam: 10 business minutes left that evening.
    posted = datetime(2026, 11, 30, 20, 50, tzinfo=UTC)
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id="w1",
            author=Author(external_id="c1", handle="klant", name="Klant"),
            text="Slagboom dicht",
            created_at=posted,
            public=True,
        ),
    )
    waiting = Conversation.objects.get(pk=message.conversation_id)
    assert waiting.response_due_at == posted + timedelta(minutes=60)  # around the clock

    logged_in(lead_lars).post(settings_url(inbox), form_data())

    waiting.refresh_from_db()
    # 30 business minutes: 10 on Monday evening, 20 from Tuesday 08:00 (07:00 UTC).
    assert waiting.response_due_at == datetime(2026, 12, 1, 7, 20, tzinfo=UTC)


def test_admin_may_too(admin_ada: User, inbox: Inbox) -> None:
    response = logged_in(admin_ada).post(
        settings_url(inbox), form_data(first_response_minutes="15")
    )

    assert response.status_code == 303
    inbox.refresh_from_db()
    assert inbox.first_response_minutes == 15


def test_agent_is_refused(agent_anna: User, inbox: Inbox) -> None:
    client = logged_in(agent_anna)

    assert client.get(settings_url(inbox)).status_code == 403
    assert (
        client.post(settings_url(inbox), form_data(first_response_minutes="5")).status_code == 403
    )
    assert client.get(f"/a/{inbox.account_id}/settings/inboxes/").status_code == 403
    inbox.refresh_from_db()
    assert inbox.first_response_minutes == 60


def test_another_accounts_inbox_does_not_exist(lead_lars: User, account: Account) -> None:
    elsewhere = InboxFactory(account=AccountFactory(name="Elders"))

    response = logged_in(lead_lars).get(f"/a/{account.pk}/settings/inboxes/{elsewhere.pk}/")

    assert response.status_code == 404


def test_list_shows_each_inbox_with_its_promises(lead_lars: User, inbox: Inbox) -> None:
    logged_in(lead_lars).post(settings_url(inbox), form_data())

    response = logged_in(lead_lars).get(f"/a/{inbox.account_id}/settings/inboxes/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{settings_url(inbox)}"' in html
    assert "Mon-Fri 08:00-22:00; Sat 09:00-17:00; Sun closed" in html
    assert "30 min" in html


# In a real browser --------------------------------------------------------------------------


@pytest.fixture
def chromium_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        yield context.new_page()
        browser.close()


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_settings_page_in_the_browser(
    lead_lars: User, inbox: Inbox, webcare_server: str, chromium_page: Page
) -> None:
    page = chromium_page
    page.goto(f"{webcare_server}/login/")
    page.locator("#id_username").fill("lars")
    page.locator("#id_password").fill("secret-pass-1")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/a/\d+/"))

    page.goto(webcare_server + settings_url(inbox))
    expect(page.locator("h1")).to_contain_text("Webcare X")
    shoot(page, "20-inbox-settings")

    page.locator("#id_first_response_minutes").fill("30")
    page.locator("#id_always_open").uncheck()
    for day in WEEKDAYS:
        page.locator(f"#id_{day}_0_opens").fill("08:00")
        page.locator(f"#id_{day}_0_closes").fill("22:00")
    page.locator("#id_tue_0_opens").fill("22:00")
    page.locator("#id_tue_0_closes").fill("08:00")
    page.locator("#id_sat_closed").check()
    page.locator("#id_sun_closed").check()
    page.locator("#id_tue_0_closes").press("Enter")

    expect(page.locator(".settings-day-error")).to_contain_text("ends before it starts")
    shoot(page, "21-inbox-settings-error")

    page.locator("#id_tue_0_opens").fill("08:00")
    page.locator("#id_tue_0_closes").fill("22:00")
    page.locator("#id_tue_0_closes").press("Enter")
    expect(page.locator(".notice")).to_contain_text("Saved the promises of Webcare X.")

    page.goto(f"{webcare_server}/a/{inbox.account_id}/settings/inboxes/")
    expect(page.locator(".settings-table")).to_contain_text("Mon-Fri 08:00-22:00; Sat-Sun closed")
    shoot(page, "22-inbox-settings-list")


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "late", "warn", "left"),
    [
        ("en", "overdue 7 min", "12 min left", "2 h 5 min left"),
        ("nl", "7 min te laat", "nog 12 min", "nog 2 u 5 min"),
    ],
)
def test_countdown_says_how_late_or_how_long(
    chromium_page: Page, lang: str, late: str, warn: str, left: str
) -> None:
    page = chromium_page
    page.set_content(
        f"""<!doctype html><html lang="{lang}"><body>
        <time id="late" class="due due--ok" data-offset="-7.2" data-warn="-20"></time>
        <time id="warn" class="due due--ok" data-offset="11.5" data-warn="-5"></time>
        <time id="left" class="due due--ok" data-offset="124.5" data-warn="100"></time>
        <script>
          document.querySelectorAll("time").forEach(function (el) {{
            var now = Date.now();
            el.setAttribute("datetime", new Date(now + el.dataset.offset * 60000).toISOString());
            el.setAttribute("data-warn-at", new Date(now + el.dataset.warn * 60000).toISOString());
          }});
        </script></body></html>"""
    )
    page.add_script_tag(path=str(COUNTDOWN_JS))

    expect(page.locator("#late")).to_have_text(late)
    expect(page.locator("#late")).to_have_class("due due--late")
    expect(page.locator("#warn")).to_have_text(warn)
    expect(page.locator("#warn")).to_have_class("due due--warn")
    expect(page.locator("#left")).to_have_text(left)
    expect(page.locator("#left")).to_have_class("due due--ok")


def test_menu_links_to_the_page_for_leads_only(
    lead_lars: User, agent_anna: User, inbox: Inbox
) -> None:
    link = f'href="/a/{inbox.account_id}/settings/inboxes/"'

    lead_page = logged_in(lead_lars).get(f"/a/{inbox.account_id}/conversations/")
    agent_page = logged_in(agent_anna).get(f"/a/{inbox.account_id}/conversations/")

    assert link in lead_page.content.decode()
    assert link not in agent_page.content.decode()
