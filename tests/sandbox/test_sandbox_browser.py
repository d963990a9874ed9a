"""The sandbox in a real browser, as a newcomer uses it: post as a customer on the console,
answer in Webcare as the agent, and see the answer arrive on the console."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.browser import launch_chromium, shoot
from tests.sandbox.conftest import Sandbox

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORT = {"width": 1400, "height": 900}
QUESTION = "Mijn abonnement werkt niet meer bij de slagboom van P1. Help!"
ANSWER = "Vervelend! We zetten uw abonnement opnieuw aan, probeer het over 5 minuten nog eens."


@pytest.fixture
def browser(sandbox: Sandbox) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def test_a_whatsapp_round_trip_through_the_console_and_the_inbox(
    sandbox: Sandbox, browser: Browser
) -> None:
    customer = browser.new_page(viewport=VIEWPORT)
    customer.goto(f"{sandbox.console}/")
    expect(
        customer.get_by_role("heading", name="Webcare sandbox: play the customer")
    ).to_be_visible()
    customer.get_by_label("Where the customer writes").select_option("whatsapp")
    customer.get_by_label("Customer's name").fill("Marloes de Vries")
    customer.get_by_role("textbox", name="Message").fill(QUESTION)
    customer.get_by_role("button", name="Post as the customer").click()
    expect(customer.get_by_role("status")).to_have_text("Posted. Open Webcare to answer it.")
    expect(customer.get_by_role("cell", name=QUESTION)).to_be_visible()
    shoot(customer, "sandbox-console-posted")

    agent = browser.new_page(viewport=VIEWPORT)
    agent.goto(f"{sandbox.webcare}/login/")
    agent.locator("#id_username").fill("daan")
    agent.locator("#id_password").fill(sandbox.password("daan"))
    agent.locator("#id_password").press("Enter")
    agent.get_by_text(QUESTION).first.click()
    composer = agent.locator("textarea[name=text]")
    composer.fill(ANSWER)
    composer.press("Control+Enter")
    expect(agent.locator(".msg.outbound").filter(has_text=ANSWER)).to_be_visible()
    shoot(agent, "sandbox-agent-answered")

    customer.goto(f"{sandbox.console}/")
    row = customer.get_by_role("row").filter(has_text=ANSWER)
    expect(row).to_contain_text("WhatsApp")
    expect(row).to_contain_text("message")
    shoot(customer, "sandbox-console-answer-arrived")


def test_the_console_form_says_what_is_missing(sandbox: Sandbox, browser: Browser) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{sandbox.console}/")
    page.get_by_role("textbox", name="Message").fill("   ")
    page.get_by_role("button", name="Post as the customer").click()

    expect(page.get_by_role("alert")).to_have_text("Write a message.")
