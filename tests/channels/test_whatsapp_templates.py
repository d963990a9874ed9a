"""WhatsApp template messages against the stand-in over real HTTP (platforms.md §3.4, §3.5).

Outside the 24-hour window only an approved template goes; the templates come from Meta's
`GET /{waba-id}/message_templates`, and a template reply is an ordinary reply in the outbox.
"""

import json
import time
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect, sync_playwright

from tests.api.conftest import bearer_client
from tests.browser import launch_chromium, log_in, shoot
from tests.channels.connected import whatsapp_inbox
from tests.channels.test_whatsapp import CUSTOMER, customer_writes
from tests.conftest import logged_in
from tests.delivery.conftest import reloaded, work_until
from tests.factories import MessageTemplateFactory
from webcare.accounts.models import Account, User
from webcare.channels.whatsapp_templates import sync_templates
from webcare.conversations.models import Conversation, DeliveryStatus, Direction
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox, MessageTemplate, TemplateStatus
from webcare.replies.templates import approved_templates, check_send_template
from webcare.sandbox.standins.whatsapp import Template, WhatsAppStandIn, running_whatsapp

DAY_AGO = 25 * 3600


@pytest.fixture
def standin() -> Iterator[WhatsAppStandIn]:
    with running_whatsapp() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: WhatsAppStandIn) -> Inbox:
    return whatsapp_inbox(account, standin)


def send_template(
    agent: User, conversation: Conversation, name: str, language: str, *parameters: str
):
    newest = conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]
    return check_send_template(
        agent,
        conversation,
        name,
        language,
        list(parameters),
        expected_last_message_id=newest,
    )


# Getting the templates -------------------------------------------------------------------------


def test_sync_stores_the_accounts_templates_with_their_status(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    result = sync_templates(inbox)

    (call,) = standin.calls("GET")
    assert call.path == f"/v23.0/{standin.waba_id}/message_templates"
    assert call.headers["Authorization"] == f"Bearer {standin.access_token}"
    assert sorted(result.created) == [
        "follow_up (en_US)",
        "follow_up (nl)",
        "promo_weekend (nl)",
        "still_there (nl)",
    ]
    follow_up = MessageTemplate.objects.get(inbox=inbox, name="follow_up", language="nl")
    assert follow_up.status == TemplateStatus.APPROVED
    assert follow_up.parameter_count == 2
    assert follow_up.external_id == "1667192013751005"
    assert follow_up.category == "UTILITY"
    promo = MessageTemplate.objects.get(inbox=inbox, name="promo_weekend")
    assert promo.status == TemplateStatus.REJECTED


def test_sync_follows_the_pages_and_removes_what_meta_no_longer_lists(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    by_hand = MessageTemplateFactory(inbox=inbox, name="by_hand", external_id="")
    standin.templates += [
        Template(f"extra_{n}", "nl", "Tekst {{1}}", id=str(n)) for n in range(150)
    ]
    sync_templates(inbox)
    standin.templates = standin.templates[:2]

    result = sync_templates(inbox)

    assert len(standin.calls("GET")) == 2 + 1  # two pages of 100, then one
    assert sorted(result.updated) == ["follow_up (en_US)", "follow_up (nl)"]
    assert len(result.removed) == 152
    names = set(MessageTemplate.objects.filter(inbox=inbox).values_list("name", flat=True))
    assert names == {"follow_up", by_hand.name}


def test_sync_skips_templates_webcare_cannot_fill_in(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    image_header = {"components": [{"type": "HEADER", "format": "IMAGE"}]}
    standin.templates = [
        Template("named", "nl", "Hallo {{first_name}}", listing={"parameter_format": "NAMED"}),
        Template("with_image", "nl", "Kijk {{1}}", listing=image_header),
        Template("plain", "nl", "Bent u er nog?"),
    ]

    result = sync_templates(inbox)

    assert set(result.skipped) == {"named (nl)", "with_image (nl)"}
    assert "named parameters" in result.skipped["named (nl)"]
    assert "header" in result.skipped["with_image (nl)"]
    assert list(MessageTemplate.objects.values_list("name", flat=True)) == ["plain"]


def test_the_command_syncs_and_lists(inbox: Inbox, standin: WhatsAppStandIn) -> None:
    out = StringIO()
    call_command("inbox", "templates", "sync", str(inbox.pk), stdout=out)
    assert len(json.loads(out.getvalue())["created"]) == 4

    listed = StringIO()
    call_command("inbox", "templates", "list", str(inbox.pk), stdout=listed)
    rows = [json.loads(line) for line in listed.getvalue().splitlines()]
    assert [(row["name"], row["language"], row["parameters"]) for row in rows] == [
        ("follow_up", "en_US", 2),
        ("follow_up", "nl", 2),
        ("promo_weekend", "nl", 0),
        ("still_there", "nl", 0),
    ]
    assert rows[1]["status"] == "approved" and rows[2]["status"] == "rejected"


def test_the_command_says_what_to_set_without_a_waba_id(
    account: Account, standin: WhatsAppStandIn
) -> None:
    inbox = whatsapp_inbox(account, standin, waba_id="")

    with pytest.raises(CommandError, match="waba_id"):
        call_command("inbox", "templates", "sync", str(inbox.pk), stdout=StringIO())

    assert standin.requests == []


# Sending ---------------------------------------------------------------------------------------


def test_outside_the_window_a_template_is_exactly_the_documented_request(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    reply = send_template(
        agent_anna, conversation, "follow_up", "nl", "Sheena", " uw parkeerkaart "
    )
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    call = standin.calls()[-1]
    assert call.path == f"/v23.0/{standin.phone_number_id}/messages"
    assert call.body == {
        "messaging_product": "whatsapp",
        "to": CUSTOMER,
        "type": "template",
        "template": {
            "name": "follow_up",
            "language": {"code": "nl"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Sheena"},
                        {"type": "text", "text": "uw parkeerkaart"},
                    ],
                }
            ],
        },
    }
    assert call.status == 200
    sent = reloaded(reply)
    assert sent.delivery_status == DeliveryStatus.SENT
    assert sent.external_id == standin.sent[-1]["id"]
    assert sent.template == {
        "name": "follow_up",
        "language": "nl",
        "parameters": ["Sheena", "uw parkeerkaart"],
    }
    assert sent.text == (
        "Hallo Sheena, we hebben uw vraag over uw parkeerkaart bekeken. Reageer op dit "
        "bericht, dan helpen we u verder."
    )


def test_a_template_without_placeholders_goes_without_components(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    reply = send_template(agent_anna, conversation, "still_there", "nl")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)

    assert standin.calls()[-1].body["template"] == {
        "name": "still_there",
        "language": {"code": "nl"},
    }
    assert standin.rendered(standin.sent[-1]) == "Bent u er nog? Stuur ons een bericht."


@pytest.mark.parametrize(
    ("attempt", "message"),
    [
        (("follow_up", "nl", "Sheena"), "needs 2 values, not 1"),
        (("follow_up", "nl", "Sheena", "  "), "Fill in every field"),
        (("follow_up", "de", "a", "b"), "no template follow_up in de"),
        (("promo_weekend", "nl"), "not approved"),
    ],
)
def test_a_template_whatsapp_would_refuse_is_refused_before_it_is_queued(
    agent_anna: User,
    inbox: Inbox,
    standin: WhatsAppStandIn,
    attempt: tuple[str, ...],
    message: str,
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    with translation.override("en"), pytest.raises(ActionError, match=message):
        send_template(agent_anna, conversation, *attempt)

    assert standin.calls() == []
    assert conversation.messages.count() == 1


def test_whatsapps_own_template_refusal_fails_the_reply_in_its_words(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    # Stored here as approved, but Meta has since taken it away.
    MessageTemplateFactory(inbox=inbox, name="withdrawn", body="Hallo {{1}}")
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    reply = send_template(agent_anna, conversation, "withdrawn", "nl", "Sheena")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert "132001" in reloaded(reply).delivery_error
    assert [c.status for c in standin.calls()] == [404]


def test_the_stand_in_checks_the_parameter_count_too(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    # Our copy says one placeholder; Meta's approved body has two.
    MessageTemplateFactory(inbox=inbox, name="follow_up", body="Hallo {{1}}")
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    reply = send_template(agent_anna, conversation, "follow_up", "nl", "Sheena")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert "132000" in reloaded(reply).delivery_error


def test_the_customers_language_comes_first(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(
        standin, inbox, "Hello, my parking ticket does not work at the exit gate, please help"
    )

    offered = [(t.name, t.language) for t in approved_templates(conversation)]

    assert offered[0] == ("follow_up", "en_US")
    assert ("promo_weekend", "nl") not in offered
    assert set(offered[1:]) == {("follow_up", "nl"), ("still_there", "nl")}


# The composer ----------------------------------------------------------------------------------


def conversation_url(conversation: Conversation, what: str = "conversation") -> str:
    return reverse(f"web:{what}", args=[conversation.account_id, conversation.display_id])


def test_the_composer_offers_the_approved_templates_once_the_window_closed(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    html = logged_in(agent_anna).get(conversation_url(conversation)).content.decode()

    assert "Pick one of this inbox&#x27;s approved templates" in html
    assert 'class="template-picker' in html
    assert html.count('class="template-option"') == 3  # the rejected one is not offered
    assert "promo_weekend" not in html
    follow_up = MessageTemplate.objects.get(inbox=inbox, name="follow_up", language="nl")
    assert html.count(f'name="parameter-{follow_up.pk}"') == 2
    assert "Hallo {{1}}, we hebben uw vraag over {{2}} bekeken." in html


def test_while_the_window_is_open_no_templates_are_offered(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox)

    html = logged_in(agent_anna).get(conversation_url(conversation)).content.decode()

    assert 'class="template-picker' not in html


def test_the_composer_says_how_to_get_templates_when_there_are_none(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    html = logged_in(agent_anna).get(conversation_url(conversation)).content.decode()

    assert "webcare inbox templates sync" in html


def test_the_preview_fills_in_what_the_agent_typed(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)
    follow_up = MessageTemplate.objects.get(inbox=inbox, name="follow_up", language="nl")
    url = reverse(
        "web:template-preview",
        args=[conversation.account_id, conversation.display_id, follow_up.pk],
    )

    response = logged_in(agent_anna).post(url, {f"parameter-{follow_up.pk}": ["Sheena", ""]})

    html = response.content.decode()
    assert html.startswith('<p class="template-preview"')
    assert "Hallo Sheena, we hebben uw vraag over {{2}} bekeken." in html


def test_sending_a_template_from_the_composer_shows_it_in_the_timeline(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)
    follow_up = MessageTemplate.objects.get(inbox=inbox, name="follow_up", language="nl")
    client = logged_in(agent_anna)
    seen = conversation.messages.get().pk

    response = client.post(
        conversation_url(conversation, "send-template"),
        {
            "template": follow_up.pk,
            f"parameter-{follow_up.pk}": ["Sheena", "uw abonnement"],
            "expected_last_message_id": seen,
            "text": "",
        },
    )

    assert response.status_code == 303
    reply = conversation.messages.get(direction=Direction.OUTBOUND)
    assert reply.template == {
        "name": "follow_up",
        "language": "nl",
        "parameters": ["Sheena", "uw abonnement"],
    }
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)
    html = client.get(conversation_url(conversation)).content.decode()
    assert "Hallo Sheena, we hebben uw vraag over uw abonnement bekeken." in html
    assert "Template follow_up (nl)" in html


def test_a_template_with_an_empty_field_comes_back_with_the_reason_in_dutch(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    agent_anna.language = "nl"
    agent_anna.save()
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)
    follow_up = MessageTemplate.objects.get(inbox=inbox, name="follow_up", language="nl")

    response = logged_in(agent_anna).post(
        conversation_url(conversation, "send-template"),
        {
            "template": follow_up.pk,
            f"parameter-{follow_up.pk}": ["Sheena", ""],
            "expected_last_message_id": conversation.messages.get().pk,
        },
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Vul elk veld van het sjabloon in." in html
    assert 'value="Sheena"' in html
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()


def test_a_template_of_another_inbox_is_404(
    agent_anna: User, account: Account, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    other = MessageTemplateFactory(inbox__account=account)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)

    response = logged_in(agent_anna).post(
        conversation_url(conversation, "send-template"),
        {"template": other.pk, "expected_last_message_id": conversation.messages.get().pk},
    )

    assert response.status_code == 404


# The API ---------------------------------------------------------------------------------------


def test_the_api_lists_the_templates_and_sends_one(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(standin, inbox, at=time.time() - DAY_AGO)
    client = bearer_client(agent_anna)
    base = f"/api/v1/conversations/{conversation.pk}"

    listed = client.get(f"{base}/templates").json()
    refused = client.post(
        f"{base}/replies",
        {"text": "Sorry!", "expected_last_message_id": conversation.messages.get().pk},
        content_type="application/json",
    )
    sent = client.post(
        f"{base}/replies",
        {
            "template": {"name": "follow_up", "language": "nl", "parameters": ["Sheena", "P2"]},
            "expected_last_message_id": conversation.messages.get().pk,
        },
        content_type="application/json",
    )

    # The customer wrote in English ("Does it come in another color?"): en_US first.
    assert [(t["name"], t["language"], t["parameter_count"]) for t in listed] == [
        ("follow_up", "en_US", 2),
        ("follow_up", "nl", 2),
        ("still_there", "nl", 0),
    ]
    assert refused.status_code == 409
    assert "goedgekeurd sjabloonbericht" in refused.json()["error"]
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["template"] == {
        "name": "follow_up",
        "language": "nl",
        "parameters": ["Sheena", "P2"],
    }
    assert body["text"].startswith("Hallo Sheena, we hebben uw vraag over P2 bekeken.")


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_picking_a_template_in_the_browser(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn, webcare_server: str
) -> None:
    sync_templates(inbox)
    conversation = customer_writes(
        standin, inbox, "Mijn parkeerkaart werkt niet bij de uitgang", at=time.time() - DAY_AGO
    )
    follow_up = MessageTemplate.objects.get(inbox=inbox, name="follow_up", language="nl")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, webcare_server, "anna")
        page.goto(f"{webcare_server}/a/{inbox.account_id}/c/{conversation.display_id}/")
        option = page.locator(f"#template-{follow_up.pk}")
        expect(page.locator(".template-picker")).to_be_visible()
        fields = option.locator("input[type=text]")
        fields.nth(0).type("Sheena")
        fields.nth(1).type("uw parkeerkaart")
        expect(option.locator(".template-preview")).to_contain_text(
            "Hallo Sheena, we hebben uw vraag over uw parkeerkaart bekeken."
        )
        shoot(page, "whatsapp-template-picker")
        # Enter in a field sends nothing (not even the first template, which has no fields).
        fields.nth(1).press("Enter")
        page.wait_for_timeout(500)
        assert standin.sent == []
        option.locator("button[type=submit]").click()
        expect(page.locator(".msg.outbound").last).to_contain_text("Hallo Sheena")
        expect(page.locator(".template-marker").last).to_contain_text("follow_up (nl)")
        shoot(page, "whatsapp-template-sent")
        browser.close()
    assert standin.sent[-1]["body"]["template"]["name"] == "follow_up"


def test_a_lead_fetches_the_templates_on_the_connection_page(
    lead_lars: User, agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    lead_lars.language = "nl"
    lead_lars.save()
    page = reverse("web:connection", args=[inbox.account_id, inbox.pk])
    sync = reverse("web:sync-templates", args=[inbox.account_id, inbox.pk])
    client = logged_in(lead_lars)

    assert "Nog geen sjablonen." in client.get(page).content.decode()
    response = client.post(sync, follow=True)

    html = response.content.decode()
    assert "Sjablonen opgehaald bij WhatsApp: 4 nieuw, 0 bijgewerkt" in html
    assert "follow_up" in html and "Afgewezen" in html
    assert MessageTemplate.objects.filter(inbox=inbox).count() == 4
    # Agents do not manage the inbox's connection.
    assert logged_in(agent_anna).post(sync).status_code in {403, 404}
    assert len(standin.calls("GET")) == 1
