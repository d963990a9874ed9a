"""The contact form a company embeds: robots are refused and nothing is stored, people land
as an e-mail conversation, and the answer goes out by e-mail."""

import re
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import InboxFactory, UserFactory
from webcare.accounts.models import Account
from webcare.channels import spam
from webcare.channels.models import RawInboundEvent
from webcare.conversations.models import Conversation, Message
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.sandbox.standins.mail import MailServer, running_mail


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def inbox(account: Account) -> Inbox:
    return InboxFactory(
        account=account,
        kind="email",
        name="Klantenservice",
        settings={"address": "support@parkeergarage.test", "language": "nl"},
    )


def url(inbox: Inbox) -> str:
    return f"/forms/{inbox.token}/"


def submission(ticket: str, **fields: str) -> dict[str, str]:
    return {
        "ticket": ticket,
        "name": "Marloes de Vries",
        "email": "marloes@example.nl",
        "subject": "Factuur november",
        "text": "Ik ben twee keer afgeschreven voor mijn abonnement.",
        spam.HONEYPOT_FIELD: "",
        **fields,
    }


def aged_ticket(seconds: float = 5.0) -> str:
    """A form rendered `seconds` ago, as a person who took their time sends it."""
    return spam.new_ticket(now=time.time() - seconds).token


def stored_nothing() -> bool:
    return RawInboundEvent.objects.count() == 0 and Message.objects.count() == 0


def test_the_form_page_carries_a_ticket_and_a_hidden_honeypot(inbox: Inbox) -> None:
    page = Client().get(url(inbox) + "?lang=en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="ticket"' in html
    assert re.search(
        rf'<div class="wc-trap" aria-hidden="true">.*name="{spam.HONEYPOT_FIELD}"', html, re.S
    )
    assert "X-Frame-Options" not in page  # made to be embedded in an iframe


def test_a_real_submission_lands_as_an_email_conversation(inbox: Inbox) -> None:
    response = Client().post(url(inbox) + "?lang=en", submission(aged_ticket()))

    assert response.status_code == 200
    assert "We have your message" in response.content.decode()
    message = Message.objects.get()
    assert message.text == "Ik ben twee keer afgeschreven voor mijn abonnement."
    assert message.subject == "Factuur november"
    assert message.mail_headers["via"] == "form"
    assert message.sender_identity.external_id == "marloes@example.nl"
    conversation = message.conversation
    assert conversation.kind == "email_thread"
    assert conversation.contact.name == "Marloes de Vries"
    assert conversation.waiting_since is not None


def test_a_form_posted_within_two_seconds_is_refused_and_stores_nothing(inbox: Inbox) -> None:
    client = Client()
    page = client.get(url(inbox) + "?lang=en").content.decode()
    ticket = re.search(r'name="ticket" value="([^"]+)"', page).group(1)

    response = client.post(url(inbox) + "?lang=en", submission(ticket))

    assert response.status_code == 400
    assert "within two seconds" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert stored_nothing()


def test_a_filled_honeypot_is_refused_and_stores_nothing(inbox: Inbox) -> None:
    response = Client().post(
        url(inbox) + "?lang=en",
        submission(aged_ticket(), **{spam.HONEYPOT_FIELD: "https://cheap-pills.example"}),
    )

    assert response.status_code == 400
    assert "a field that must stay empty was filled in" in response.content.decode()
    assert stored_nothing()


@pytest.mark.parametrize("ticket", ["", "forged:token", None])
def test_a_missing_forged_or_stale_ticket_is_refused(inbox: Inbox, ticket: str | None) -> None:
    token = aged_ticket(2 * 86400) if ticket is None else ticket
    response = Client().post(url(inbox) + "?lang=en", submission(token))
    assert response.status_code == 400
    assert stored_nothing()


def test_the_sixth_submission_in_ten_minutes_is_refused(inbox: Inbox) -> None:
    client = Client()
    for number in range(spam.RATE_LIMIT):
        response = client.post(url(inbox), submission(aged_ticket(), text=f"Vraag {number}"))
        assert response.status_code == 200
    refused = client.post(url(inbox) + "?lang=en", submission(aged_ticket(), text="Nog een"))
    assert refused.status_code == 429
    assert "wait ten minutes" in refused.content.decode()
    assert Message.objects.count() == spam.RATE_LIMIT


def test_a_missing_address_is_named_and_the_text_kept(inbox: Inbox) -> None:
    response = Client().post(url(inbox) + "?lang=en", submission(aged_ticket(), email="geen"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Give an e-mail address" in html
    assert "twee keer afgeschreven" in html  # what they typed is still there
    assert stored_nothing()


def test_the_form_speaks_dutch(inbox: Inbox) -> None:
    page = Client().get(url(inbox)).content.decode()
    assert "Je bericht" in page


@pytest.mark.usefixtures("transactional_db")
def test_the_answer_to_a_form_goes_out_by_email(account: Account) -> None:
    with running_mail(with_imap=False) as server:
        inbox = mail_inbox(account, server)
        Client().post(url(inbox), submission(aged_ticket()))
        conversation = Conversation.objects.get()
        agent = UserFactory(account=account)
        check_send_reply(
            agent,
            conversation,
            "We storten het dubbele bedrag terug.",
            expected_last_message_id=conversation.messages.last().pk,
        )
        arrived = server.wait_for("marloes@example.nl")
    assert len(arrived) == 1
    mail = arrived[0]
    assert mail["Subject"] == "Re: Factuur november"
    assert mail["In-Reply-To"] == conversation.messages.first().external_id
    assert "We storten het dubbele bedrag terug." in mail.get_body(("plain",)).get_content()


def mail_inbox(account: Account, server: MailServer) -> Inbox:
    return InboxFactory(
        account=account,
        kind="email",
        settings={
            "smtp_host": "127.0.0.1",
            "smtp_port": str(server.smtp_port),
            "smtp_security": "none",
            "address": server.address,
        },
    )
