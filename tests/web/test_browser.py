"""The inbox in a real browser (Debian's chromium via Playwright) against `webcare serve`.

The keyboard test is the Done-when of the web UI: an agent answers the customer who has
waited longest without touching the mouse. The tour takes the screenshots a person looks at
to judge the screens (test-artifacts/screenshots/).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser import launch_chromium, log_in, shoot
from tests.conftest import WebhookClient, message_payload
from tests.factories import TeamFactory, UserFactory
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import (
    do_add_labels,
    do_add_note,
    do_assign,
    do_change_status,
    do_set_priority,
    receive_message,
)
from webcare.conversations.models import Conversation, Priority, Status
from webcare.inboxes.models import Inbox

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORT = {"width": 1400, "height": 900}
BRAND = Author(external_id="brand-1", handle="ParkeerCentraal", name="Parkeer Centraal")
MARLOES = Author(
    external_id="1001", handle="marloes_vd", name="Marloes de Vries", follower_count=12400
)
TOM = Author(external_id="1002", handle="tombakker", name="Tom Bakker", follower_count=310)
FATIMA = Author(external_id="1003", handle="fatima_ea", name="Fatima El Amrani")
HENK = Author(external_id="1004", handle="henkjansen58", name="Henk Jansen", follower_count=87)
SARAH = Author(
    external_id="1005", handle="sarah_evdriver", name="Sarah Mitchell", follower_count=2300
)


def post(
    inbox: Inbox,
    external_id: str,
    author: Author,
    text: str,
    minutes_ago: int,
    **kwargs: object,
) -> Conversation:
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id=external_id,
            author=author,
            text=text,
            created_at=timezone.now() - timedelta(minutes=minutes_ago),
            public=bool(kwargs.pop("public", True)),
            **kwargs,  # type: ignore[arg-type]
        ),
    )
    return message.conversation


def seed(account: Account, x_inbox: Inbox, api_inbox: Inbox, lead: User) -> Conversation:
    """A morning at the car-park operator: who waits, what they ask. Returns the busy thread."""
    earlier = post(
        x_inbox,
        "x-90",
        MARLOES,
        "Kan ik met mijn abonnement ook in P3 Museumkwartier parkeren?",
        60 * 24 * 3,
        public=False,
    )
    post(
        x_inbox,
        "x-91",
        BRAND,
        "Hoi Marloes, ja hoor, je abonnement geldt in al onze garages in het centrum.",
        60 * 24 * 3 - 20,
        public=False,
        in_reply_to="x-90",
        from_brand=True,
    )
    do_change_status(lead, earlier, Status.RESOLVED)

    busy = post(
        x_inbox,
        "x-100",
        MARLOES,
        "@ParkeerCentraal de slagboom bij P2 Stationsplein gaat niet open en er staat een rij "
        "auto's achter me. Wat nu?!",
        52,
    )
    post(
        x_inbox,
        "x-101",
        BRAND,
        "@marloes_vd Vervelend! Druk één keer op de intercomknop bij de slagboom, dan kijkt "
        "onze centrale meteen met je mee. ^Sanne",
        46,
        in_reply_to="x-100",
        from_brand=True,
    )
    post(
        x_inbox,
        "x-102",
        MARLOES,
        "@ParkeerCentraal intercom doet helemaal niks. Nog steeds dicht en ik moet naar mijn werk.",
        38,
        in_reply_to="x-101",
    )
    do_assign(lead, busy, lead, TeamFactory(account=account, name="Webcare"))
    do_set_priority(lead, busy, Priority.HIGH)
    do_add_labels(lead, busy, ["slagboom", "P2 Stationsplein"])
    do_add_note(
        lead,
        busy,
        "Storing bij P2 gemeld bij de technische dienst (melding 4471). Monteur is onderweg, "
        "verwacht binnen 20 minuten.",
    )

    post(
        x_inbox,
        "x-200",
        TOM,
        "@ParkeerCentraal Lost my parking ticket at P1 Centrum. How much do I pay to get out?",
        31,
    )
    post(
        x_inbox,
        "x-300",
        FATIMA,
        "Hoi, mijn abonnementskaart wordt niet herkend bij de ingang van P4 Zuid. "
        "Mijn kenteken is 34-KLP-7. Kunnen jullie dat nakijken?",
        24,
        public=False,
    )
    WebhookClient(api_inbox).post(
        message_payload(
            "web-1",
            "Ik ben twee keer afgeschreven voor dezelfde parkeersessie op 21 november. "
            "Hoe krijg ik mijn geld terug?",
            "web-anouk",
            author={"id": "web-anouk", "handle": "anouk.smit", "name": "Anouk Smit"},
            created_at=(timezone.now() - timedelta(minutes=17)).isoformat(),
            public=False,
        )
    )
    post(
        x_inbox,
        "x-400",
        HENK,
        "Wat kost parkeren op zondag bij P3 Museumkwartier? Op de site kan ik het niet vinden.",
        9,
    )
    post(
        x_inbox,
        "x-500",
        SARAH,
        "@ParkeerCentraal Is there an EV charger at P2 Stationsplein? And what's the price "
        "per kWh?",
        3,
    )
    return busy


@dataclass(frozen=True)
class Scene:
    busy: Conversation
    top: Conversation


@pytest.fixture
def scene(
    account: Account, x_inbox: Inbox, api_inbox: Inbox, lead_lars: User, agent_anna: User
) -> Scene:
    """The seeded data; made before the browser starts, whose sync API runs an event loop
    in which Django refuses database calls."""
    busy = seed(account, x_inbox, api_inbox, lead_lars)
    UserFactory(username="daan", first_name="Daan", language="nl", account=account)
    top = Conversation.objects.filter(status=Status.OPEN, waiting_since__isnull=False).order_by(
        "waiting_since"
    )[0]
    return Scene(busy=busy, top=top)


@pytest.fixture
def browser(scene: Scene, webcare_server: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def test_agent_answers_the_longest_waiting_customer_with_the_keyboard_only(
    scene: Scene, webcare_server: str, page: Page
) -> None:
    top = scene.top
    log_in(page, webcare_server, "anna")
    needs_reply = page.locator('.sidebar [data-count="needs_reply"]')
    expect(needs_reply).to_have_text("6")

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("[data-row]").nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator("[data-row]").first).to_be_focused()
    expect(page.locator("[data-row]").first).to_have_class(re.compile("is-selected"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/c/{top.display_id}/"))
    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("@marloes_vd Excuses! De monteur is er binnen 20 minuten. ^Anna")
    expect(page.locator("#char-counter")).to_have_text("62 / 280")
    page.keyboard.press("Control+Enter")

    expect(page.locator("#thread")).to_contain_text("De monteur is er binnen 20 minuten.")
    expect(needs_reply).to_have_text("5")
    expect(page.locator(f"#row-{top.pk}")).to_have_count(0)
    page.reload()
    expect(needs_reply).to_have_text("5")
    expect(page.locator(f"#row-{top.pk}")).to_have_count(0)
    expect(page.locator("#thread .msg.outbound").last).to_contain_text("Delivered")
    shoot(page, "07-after-keyboard-reply")


def test_tour_of_the_screens(scene: Scene, webcare_server: str, page: Page) -> None:
    busy = scene.busy

    page.goto(f"{webcare_server}/login/")
    shoot(page, "01-login")
    log_in(page, webcare_server, "anna")
    shoot(page, "02-needs-reply")

    page.locator(f"#row-{busy.pk}").click()
    thread = page.locator("#thread")
    expect(thread.locator(".msg.inbound.is-public").first).to_contain_text("Public")
    expect(thread.locator(".msg.outbound").first).to_contain_text("@ParkeerCentraal")
    expect(thread.locator(".msg.note")).to_contain_text("Internal note")
    expect(thread.locator(".activity").first).to_contain_text("Lars assigned this to Lars")
    shoot(page, "03-conversation")

    page.keyboard.press("r")
    page.keyboard.type("x" * 290)
    expect(page.locator("#char-counter")).to_have_text("290 / 280")
    expect(page.locator("#char-counter")).to_have_class(re.compile("is-over"))
    page.keyboard.press("Control+Enter")
    expect(page.locator(".composer-error")).to_contain_text("10 characters too long")
    shoot(page, "04-reply-too-long")
    page.keyboard.press("Escape")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    shoot(page, "05-shortcuts")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()

    page.keyboard.press("a")
    expect(page.locator("#assign-menu .menu-list")).to_be_visible()
    page.keyboard.press("m")
    expect(thread.locator(".activity").last).to_contain_text("Anna assigned this to Anna")

    page.context.clear_cookies()
    log_in(page, webcare_server, "daan")
    expect(page.locator(".sidebar")).to_contain_text("Wacht op antwoord")
    page.locator(f"#row-{busy.pk}").click()
    expect(page.locator("#thread")).to_contain_text("Interne notitie")
    shoot(page, "06-dutch")


def test_second_reply_to_the_same_customer_shows_the_colleagues_reply_first(
    scene: Scene, webcare_server: str, browser: Browser
) -> None:
    """Anna and Lars open the same customer; Lars answers first. Anna's send is stopped with
    Lars's reply beside her draft, and goes out only when she chooses to send it anyway."""
    url = f"{webcare_server}/a/{scene.top.account_id}/c/{scene.top.display_id}/"
    anna = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    lars = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    for page, username in ((anna, "anna"), (lars, "lars")):
        log_in(page, webcare_server, username)
        page.goto(url)

    anna.locator("#reply-text").fill("@marloes_vd Welke slagboom is het precies?")
    lars.locator("#reply-text").fill("@marloes_vd De monteur is er over 10 minuten. ^Lars")
    lars.locator("#reply-text").press("Control+Enter")
    expect(lars.locator("#thread")).to_contain_text("De monteur is er over 10 minuten.")
    anna.locator("#reply-text").press("Control+Enter")

    collision = anna.locator(".collision")
    expect(collision).to_contain_text("A colleague already replied")
    expect(collision.locator(".collision-reply")).to_contain_text(
        "De monteur is er over 10 minuten."
    )
    expect(anna.locator("#reply-text")).to_have_value("@marloes_vd Welke slagboom is het precies?")
    shoot(anna, "08-collision")

    collision.get_by_role("button", name="Send mine anyway").click()
    expect(anna.locator(".collision")).to_have_count(0)
    expect(anna.locator("#thread")).to_contain_text("Welke slagboom is het precies?")
    expect(anna.locator("#thread")).to_contain_text("sent a reply anyway")
    anna.context.close()
    lars.context.close()
