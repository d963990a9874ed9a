"""The worker syncs WhatsApp templates on its own (channels/whatsapp_templates.sync_due),
against the stand-in over real HTTP: when due, once between the workers, and a failure is
kept on the health page and tried again after RETRY_AFTER, not on every sweep."""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright
from pytest_django import Settings

from tests.browser import launch_chromium, log_in, shoot
from tests.channels.connected import whatsapp_inbox
from webcare.accounts.models import Account, User
from webcare.channels import whatsapp_templates
from webcare.channels.health import connector_health
from webcare.channels.leases import take_lease
from webcare.channels.whatsapp_templates import RETRY_AFTER, sync_due, sync_templates
from webcare.core.worker import sweep_once
from webcare.inboxes.models import Inbox, MessageTemplate
from webcare.sandbox.standins.whatsapp import Template, WhatsAppStandIn, running_whatsapp

LISTING = "/message_templates"


@pytest.fixture
def standin() -> Iterator[WhatsAppStandIn]:
    with running_whatsapp() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: WhatsAppStandIn, settings: Settings) -> Inbox:
    settings.WEBCARE_TEMPLATE_SYNC_HOURS = 6
    return whatsapp_inbox(account, standin)


def listings(standin: WhatsAppStandIn) -> int:
    return sum(r.path.endswith(LISTING) for r in standin.calls("GET"))


def test_the_sweep_syncs_a_connected_inbox_that_never_synced(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    assert not MessageTemplate.objects.filter(inbox=inbox).exists()

    sweep_once()

    assert listings(standin) == 1
    names = set(MessageTemplate.objects.filter(inbox=inbox).values_list("name", flat=True))
    assert names == {t.name for t in standin.templates}


def test_it_syncs_again_only_when_the_interval_has_passed(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    start = timezone.now()
    assert sync_due(start) == 1
    assert sync_due(start + timedelta(hours=5, minutes=59)) == 0
    assert listings(standin) == 1

    # Meta approved a new template overnight; the next due sync brings it in.
    standin.templates.append(Template("nieuw_abonnement", "nl", "Uw abonnement {{1}} loopt."))
    assert sync_due(start + timedelta(hours=6)) == 1
    assert listings(standin) == 2
    assert MessageTemplate.objects.filter(inbox=inbox, name="nieuw_abonnement").exists()


def test_a_failed_sync_shows_on_the_health_page_and_is_retried_after_a_pause(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    start = timezone.now()
    standin.fail_next(500, times=10)

    assert sync_due(start) == 0
    health = connector_health(inbox)
    assert health.last_error.startswith("Syncing the message templates failed:")
    assert not health.ok
    tried = len(standin.calls("GET"))
    assert tried >= 1

    # Not on every sweep: nothing until the pause has passed.
    assert sync_due(start + RETRY_AFTER - timedelta(seconds=1)) == 0
    assert len(standin.calls("GET")) == tried

    standin.faults.clear()
    assert sync_due(start + RETRY_AFTER) == 1
    assert connector_health(inbox).last_error == ""


def test_a_sync_from_the_button_counts_for_the_schedule_and_clears_the_failure(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    """The button and the command call sync_templates as the schedule does, so a lead who
    fetched after a failure sees the health page recover, and the next sweep does not fetch
    again right after."""
    start = timezone.now()
    standin.fail_next(500, times=10)
    assert sync_due(start) == 0
    assert connector_health(inbox).last_error
    standin.faults.clear()

    sync_templates(inbox, start + timedelta(minutes=1))

    assert connector_health(inbox).last_error == ""
    fetched = listings(standin)
    assert sync_due(start + RETRY_AFTER + timedelta(minutes=1)) == 0
    assert listings(standin) == fetched


def test_another_worker_holding_the_inbox_means_this_one_skips_it(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    assert take_lease(inbox, whatsapp_templates.LEASE) is not None

    assert sync_due() == 0
    assert listings(standin) == 0


def named(inbox: Inbox, name: str) -> Inbox:
    """Inbox names are unique per account; the factory gives every WhatsApp inbox one name."""
    Inbox.objects.filter(pk=inbox.pk).update(name=name)
    return inbox


def test_inboxes_without_credentials_or_in_the_sandbox_and_a_zero_interval_sync_nothing(
    account: Account, standin: WhatsAppStandIn, settings: Settings
) -> None:
    settings.WEBCARE_TEMPLATE_SYNC_HOURS = 6
    named(whatsapp_inbox(account, standin, access_token=""), "Zonder token")
    named(whatsapp_inbox(account, standin, sandbox=True), "Sandbox")

    assert sync_due() == 0
    assert listings(standin) == 0

    connected = whatsapp_inbox(account, standin)
    settings.WEBCARE_TEMPLATE_SYNC_HOURS = 0
    assert sync_due() == 0
    settings.WEBCARE_TEMPLATE_SYNC_HOURS = 6
    assert sync_due() == 1
    assert MessageTemplate.objects.filter(inbox=connected).exists()


@pytest.fixture
def meta_failing(inbox: Inbox, standin: WhatsAppStandIn) -> Inbox:
    """Set before the server starts: its own worker's first sweep meets the failures."""
    standin.fail_next(500, times=10)
    return inbox


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_the_servers_worker_syncs_and_a_lead_sees_the_failure_on_the_connection_page(
    lead_lars: User, meta_failing: Inbox, standin: WhatsAppStandIn, webcare_server: str
) -> None:
    inbox = meta_failing
    url = f"{webcare_server}/a/{inbox.account_id}/settings/inboxes/{inbox.pk}/connection/"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, webcare_server, "lars")
        # The worker embedded in `webcare serve` sweeps at start; reload until it has.
        deadline = time.monotonic() + 30
        page.goto(url)
        while not page.locator(".health-error").count():
            assert time.monotonic() < deadline, "the server's worker did not try the sync"
            page.wait_for_timeout(300)
            page.goto(url)
        expect(page.locator(".health-error")).to_contain_text(
            "Syncing the message templates failed"
        )
        shoot(page, "50-template-sync-failed")
        browser.close()
    assert listings(standin) >= 1
