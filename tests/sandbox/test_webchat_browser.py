"""The chat widget in real browsers: a visitor on the sandbox's demo site chats with an agent
in another browser context, reloads and still sees the conversation; with nobody online the
widget offers the offline form, and its message lands in the inbox as an e-mail."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser import launch_chromium, shoot
from tests.sandbox.conftest import Sandbox

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORT = {"width": 1280, "height": 860}
QUESTION = "Hoi! Tot hoe laat kan ik vanavond de garage uit?"
ANSWER = "Goedenavond! De uitrit is de hele nacht open, u kunt altijd weg."


@pytest.fixture
def browser(sandbox: Sandbox) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def agent_page(browser: Browser, sandbox: Sandbox) -> Page:
    page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    page.goto(f"{sandbox.webcare}/login/")
    page.locator("#id_username").fill("daan")
    page.locator("#id_password").fill(sandbox.password("daan"))
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/a/\d+/conversations/"))
    return page


def open_chat(page: Page) -> None:
    page.get_by_role("button", name="Chat met ons").click()
    expect(page.get_by_role("dialog", name="Parkeergarage Centraal")).to_be_visible()


def test_a_visitor_chats_with_an_agent_and_keeps_the_conversation_after_a_reload(
    sandbox: Sandbox, browser: Browser
) -> None:
    visitor = browser.new_context(viewport=VIEWPORT).new_page()
    visitor.goto(f"{sandbox.console}/site/")
    open_chat(visitor)
    expect(visitor.get_by_text("We zijn online. Stel gerust je vraag.")).to_be_visible()
    box = visitor.get_by_role("textbox", name="Je bericht")
    expect(box).to_be_focused()
    box.fill(QUESTION)
    box.press("Enter")
    log = visitor.get_by_role("log", name="Berichten")
    expect(log.locator(".wc-visitor:not(.wc-pending)")).to_contain_text(QUESTION)
    shoot(visitor, "webchat-visitor-asked")

    agent = agent_page(browser, sandbox)
    agent.get_by_text(QUESTION).first.click()
    composer = agent.locator("textarea[name=text]")
    composer.click()
    agent.keyboard.type("Goedenavond")
    expect(visitor.get_by_text("Daan typt…")).to_be_visible()
    composer.fill(ANSWER)
    composer.press("Control+Enter")
    expect(agent.locator(".msg.outbound").filter(has_text=ANSWER)).to_be_visible()
    shoot(agent, "webchat-agent-answered")

    expect(log.locator(".wc-agent")).to_contain_text(ANSWER)
    expect(log.locator(".wc-agent .wc-who")).to_have_text("Daan")
    shoot(visitor, "webchat-visitor-got-answer")

    visitor.reload()
    open_chat(visitor)
    expect(log.locator(".wc-msg")).to_have_count(2)
    expect(log.locator(".wc-visitor")).to_contain_text(QUESTION)
    expect(log.locator(".wc-agent")).to_contain_text(ANSWER)
    shoot(visitor, "webchat-visitor-after-reload")
    visitor.keyboard.press("Escape")
    expect(visitor.get_by_role("dialog")).to_be_hidden()
    expect(visitor.get_by_role("button", name="Chat met ons")).to_be_focused()
    shoot(visitor, "webchat-closed-focus-back-on-button")


def test_with_no_agent_online_the_offline_form_is_shown_and_lands_in_the_inbox(
    sandbox: Sandbox, browser: Browser
) -> None:
    agent = agent_page(browser, sandbox)
    agent.get_by_role("button", name="Offline").click()
    expect(agent.get_by_role("button", name="Offline")).to_have_attribute("aria-pressed", "true")

    visitor = browser.new_context(viewport=VIEWPORT).new_page()
    visitor.goto(f"{sandbox.console}/site/")
    open_chat(visitor)
    expect(visitor.get_by_text("Er is nu niemand online.", exact=False)).to_be_visible()
    expect(visitor.get_by_role("textbox", name="Je bericht")).to_have_count(1)  # the form's
    visitor.get_by_label("Je naam").fill("Henk Jansen")
    visitor.get_by_label("Je e-mailadres").fill("henk.jansen@example.nl")
    visitor.get_by_role("textbox", name="Je bericht").fill(
        "Mijn abonnement is verlopen, kunt u mij mailen?"
    )
    shoot(visitor, "webchat-offline-form")
    visitor.get_by_role("button", name="Bericht versturen").click()
    expect(visitor.get_by_role("status").filter(has_text="henk.jansen@example.nl")).to_be_visible()
    shoot(visitor, "webchat-offline-sent")

    agent.goto(f"{sandbox.webcare}/")
    agent.get_by_text("Mijn abonnement is verlopen, kunt u mij mailen?").first.click()
    expect(agent.get_by_text("Left in the chat while nobody was online")).to_be_visible()
    shoot(agent, "webchat-offline-in-inbox")


def test_the_contact_form_refuses_a_hasty_send_and_takes_a_patient_one(
    sandbox: Sandbox, browser: Browser
) -> None:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{sandbox.console}/site/")
    page.get_by_role("link", name="contactformulier").click()
    expect(page.get_by_role("heading", name="Contact met Sandbox Parkeergarage")).to_be_visible()
    page.get_by_label("Je naam").fill("Fatima el Amrani")
    page.get_by_label("Je e-mailadres").fill("fatima@example.nl")
    page.get_by_label("Je bericht").fill("Kan ik mijn abonnement een maand pauzeren?")
    page.get_by_role("button", name="Versturen").click()  # within two seconds: as robots do
    expect(page.get_by_role("alert")).to_contain_text("binnen twee seconden")
    expect(page.get_by_label("Je bericht")).to_have_value(
        "Kan ik mijn abonnement een maand pauzeren?"
    )
    shoot(page, "contact-form-too-fast")
    page.wait_for_timeout(2500)
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_role("status")).to_contain_text("We hebben je bericht")
    shoot(page, "contact-form-sent")
