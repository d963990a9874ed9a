"""E-mail against real servers on 127.0.0.1: dovecot for IMAP, aiosmtpd for SMTP.

Customers' mails go in through the SMTP server (which delivers them into the brand's dovecot
mailbox) or straight into the mailbox; Webcare's reader (channels/email_imap.py) runs in a
thread as the worker runs it, over real IMAP with IDLE; replies go out through the real send
path and are judged by what the SMTP server received.

Without dovecot these tests skip, saying so; with CI=true they fail instead.
"""

import os
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command

from tests.channels.tcp_proxy import running_proxy
from tests.conftest import logged_in
from tests.factories import InboxFactory, UserFactory
from webcare.accounts.models import Account, User
from webcare.channels.actions import ingest
from webcare.channels.adapters import email
from webcare.channels.email_imap import MailboxReader
from webcare.channels.models import ConnectorState, RawInboundEvent
from webcare.conversations import reply_tokens
from webcare.conversations.models import (
    Attachment,
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
    NoReplyReason,
    ReplyState,
)
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.sandbox.standins.mail import (
    BRAND_ADDRESS,
    MailServer,
    customer_mail,
    dovecot_path,
    running_mail,
)

pytestmark = pytest.mark.usefixtures("transactional_db")

CUSTOMER = "marloes@example.nl"


def _require_dovecot() -> None:
    if dovecot_path() is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail("dovecot is not installed and CI=true: `make system-deps` installs it.")
    pytest.skip(
        "dovecot is not installed, so there is no real IMAP server to test against; "
        "`apt-get install dovecot-imapd` (make test does it) runs these tests."
    )


@pytest.fixture
def server() -> Iterator[MailServer]:
    _require_dovecot()
    with running_mail() as running:
        yield running


def connect(account: Account, server: MailServer, imap_port: int | None = None, **extra) -> Inbox:
    return InboxFactory(
        account=account,
        kind="email",
        name="Klantenservice (e-mail)",
        settings={
            "imap_host": "127.0.0.1",
            "imap_port": str(imap_port or server.imap_port),
            "imap_security": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": str(server.smtp_port),
            "smtp_security": "none",
            "username": server.address,
            "password": server.password,
            "address": server.address,
            **extra,
        },
    )


@pytest.fixture
def inbox(account: Account, server: MailServer) -> Inbox:
    return connect(account, server)


@contextmanager
def reading(inbox: Inbox, **options) -> Iterator[MailboxReader]:
    """The worker's reader for `inbox`, in a thread, for the duration of the block."""
    stop = threading.Event()
    reader = MailboxReader(inbox.pk, stop, reconnect_first=0.1, check_seconds=0.2, **options)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        yield reader
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {debug_state()}"
        time.sleep(0.05)


def debug_state() -> object:
    return {
        "events": list(RawInboundEvent.objects.values_list("state", "error")),
        "messages": list(Message.objects.values_list("external_id", "direction")),
        "state": list(ConnectorState.objects.values_list("cursor", "last_error")),
    }


def inbound(inbox: Inbox) -> int:
    return Message.objects.filter(inbox=inbox, direction=Direction.INBOUND).count()


def mail_in(server: MailServer, raw: bytes, sender: str = CUSTOMER) -> None:
    """A customer's mail sent to the brand through the SMTP server."""
    with smtplib.SMTP("127.0.0.1", server.smtp_port) as smtp:
        smtp.sendmail(sender, [server.address], raw)


@pytest.fixture
def agent(account: Account) -> User:
    return UserFactory(username="anna", first_name="Anna", account=account)


def reply(agent: User, conversation: Conversation, text: str) -> Message:
    latest = conversation.messages.order_by("-pk").first()
    return check_send_reply(agent, conversation, text, expected_last_message_id=latest.pk)


# Threading -------------------------------------------------------------------------------------


def test_a_customer_mail_and_two_follow_ups_thread_into_one_conversation(
    inbox: Inbox, server: MailServer
) -> None:
    with reading(inbox):
        first_id, first = customer_mail(CUSTOMER, "Mijn abonnement werkt niet bij P2.")
        mail_in(server, first)
        # The follow-ups answer the first as mail programs do: In-Reply-To and References.
        second_id, second = customer_mail(
            CUSTOMER,
            "Mijn kenteken is 12-ABC-3.",
            subject="Re: Vraag over mijn abonnement",
            in_reply_to=first_id,
            references=[first_id],
        )
        mail_in(server, second)
        third_id, third = customer_mail(
            CUSTOMER,
            "Het is nu opgelost, dank u.",
            subject="Re: Vraag over mijn abonnement",
            in_reply_to=second_id,
            references=[first_id, second_id],
        )
        mail_in(server, third)
        wait_until(lambda: inbound(inbox) == 3)

    conversation = Conversation.objects.get()
    assert conversation.kind == "email_thread"
    assert conversation.external_thread_id == first_id
    assert list(conversation.messages.order_by("pk").values_list("external_id", flat=True)) == [
        first_id,
        second_id,
        third_id,
    ]
    first_message = conversation.messages.get(external_id=first_id)
    assert first_message.subject == "Vraag over mijn abonnement"
    assert first_message.text == "Mijn abonnement werkt niet bij P2."
    identity = first_message.sender_identity
    assert identity.external_id == CUSTOMER
    assert conversation.waiting_since is not None


def test_our_reply_arrives_with_in_reply_to_references_and_a_reply_address(
    inbox: Inbox, server: MailServer, agent: User
) -> None:
    first_id, first = customer_mail(CUSTOMER, "Waar kan ik parkeren?", name="Marloes")
    second_id, second = customer_mail(
        CUSTOMER, "En wat kost het?", in_reply_to=first_id, references=[first_id]
    )
    with reading(inbox):
        mail_in(server, first)
        wait_until(lambda: inbound(inbox) == 1)
        mail_in(server, second)
        wait_until(lambda: inbound(inbox) == 2)
        conversation = Conversation.objects.get()

        sent = reply(agent, conversation, "Bij P1, voor 2,50 per uur.\n\nGroet, Anna")

        arrived = server.wait_for(CUSTOMER)
        assert len(arrived) == 1
        mail = arrived[0]
        assert mail["In-Reply-To"] == second_id
        assert mail["References"].split() == [first_id, second_id]
        assert mail["Subject"] == "Re: Vraag over mijn abonnement"
        assert mail["From"].addresses[0].addr_spec == BRAND_ADDRESS
        token = reply_tokens.token_for(conversation)
        assert mail["Reply-To"].addresses[0].addr_spec == (f"support+{token}@{server.domain}")
        assert "Auto-Submitted" not in mail
        # Every reply carries a plain-text part, and the same text as HTML.
        assert mail.get_content_type() == "multipart/alternative"
        plain = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert plain.strip() == "Bij P1, voor 2,50 per uur.\n\nGroet, Anna"
        assert "<p>Bij P1, voor 2,50 per uur.</p>" in mail.get_body(("html",)).get_content()
        sent.refresh_from_db()
        assert sent.delivery_status == DeliveryStatus.SENT
        assert sent.external_id == mail["Message-ID"]

        # The customer answers our reply; it threads by In-Reply-To to our Message-ID.
        _id, answer = customer_mail(
            CUSTOMER,
            "Dank u!",
            subject="Re: Vraag over mijn abonnement",
            in_reply_to=mail["Message-ID"],
            references=[first_id, second_id, mail["Message-ID"]],
        )
        mail_in(server, answer)
        wait_until(lambda: inbound(inbox) == 3)
    assert Conversation.objects.count() == 1
    last = Message.objects.filter(direction=Direction.INBOUND).order_by("-pk").first()
    assert last.in_reply_to == sent


def test_a_fresh_mail_to_the_reply_address_threads_and_a_forged_one_does_not(
    inbox: Inbox, server: MailServer
) -> None:
    _first_id, first = customer_mail(CUSTOMER, "Eerste vraag")
    with reading(inbox):
        mail_in(server, first)
        wait_until(lambda: inbound(inbox) == 1)
        conversation = Conversation.objects.get()
        token = reply_tokens.token_for(conversation)
        # No In-Reply-To, no References: only the address says where it belongs.
        _id, fresh = customer_mail(
            CUSTOMER, "Nog iets", to=f"support+{token}@{server.domain}", subject="Nieuw"
        )
        mail_in(server, fresh)
        forged_token = token[:-1] + ("0" if token[-1] != "0" else "1")
        _id, forged = customer_mail(
            "iemand@example.org", "Ingebroken?", to=f"support+{forged_token}@{server.domain}"
        )
        mail_in(server, forged, sender="iemand@example.org")
        wait_until(lambda: inbound(inbox) == 3)

    assert conversation.messages.filter(direction=Direction.INBOUND).count() == 2
    assert Conversation.objects.count() == 2


# Loops -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Loop": "helpdesk@example.nl"},
        {"X-Auto-Response-Suppress": "All"},
    ],
)
def test_an_auto_reply_is_ingested_but_never_answered(
    account: Account, server: MailServer, headers: dict[str, str]
) -> None:
    inbox = connect(account, server, acknowledgement="Bedankt, we antwoorden binnen een dag.")
    with reading(inbox):
        # A person's first mail is acknowledged, marked as automatic itself.
        _id, person = customer_mail("henk@example.nl", "Is de garage open op zondag?")
        mail_in(server, person, sender="henk@example.nl")
        acknowledged = server.wait_for("henk@example.nl")
        assert len(acknowledged) == 1
        assert acknowledged[0]["Auto-Submitted"] == "auto-replied"
        assert acknowledged[0]["X-Loop"] == BRAND_ADDRESS
        assert acknowledged[0].get_body(("plain",)).get_content().strip() == (
            "Bedankt, we antwoorden binnen een dag."
        )

        # An out-of-office (or a list mail, or a loop) opens a conversation but gets nothing.
        _id, robot = customer_mail(
            "afwezig@example.nl", "Ik ben afwezig tot maandag.", headers=headers
        )
        mail_in(server, robot, sender="afwezig@example.nl")
        wait_until(lambda: inbound(inbox) == 2)
        time.sleep(0.5)  # the acknowledgement is sent inline; give a wrong one time to show

    assert server.to("afwezig@example.nl") == []
    automatic = Message.objects.get(sender_identity__external_id="afwezig@example.nl")
    assert automatic.automated.startswith(next(iter(headers)))
    assert automatic.reply_state == ReplyState.NO_REPLY_NEEDED
    assert automatic.no_reply_reason == NoReplyReason.AUTOMATED
    assert automatic.conversation.waiting_since is None
    assert automatic.conversation.assignee is None
    assert not automatic.conversation.messages.filter(activity__verb="acknowledged").exists()


# Nothing missed, nothing read twice ------------------------------------------------------------


def test_after_the_connection_is_cut_while_200_mails_arrive_all_are_ingested_once(
    inbox: Inbox, server: MailServer
) -> None:
    assert server.imap is not None
    with running_proxy(server.imap.port) as proxy:
        Inbox.objects.filter(pk=inbox.pk).update(
            settings={**inbox.settings, "imap_port": str(proxy.port)}
        )
        idling = threading.Event()
        with reading(inbox, on_idle=idling.set) as reader:
            # Some mail while all is well: IDLE brings it in.
            server.imap.append_many(
                [customer_mail(f"voor{n}@example.nl", f"Vooraf {n}")[1] for n in range(20)]
            )
            wait_until(lambda: inbound(inbox) == 20)
            wait_until(idling.is_set)

            # The network drops, and stays down while 200 mails arrive.
            proxy.refuse()
            assert proxy.cut() == 1
            batch = [customer_mail(f"klant{n}@example.nl", f"Bericht {n}")[1] for n in range(200)]
            server.imap.append_many(batch[:120])
            time.sleep(1.0)  # the reader retries meanwhile and is turned away
            server.imap.append_many(batch[120:])
            assert inbound(inbox) == 20
            proxy.allow()

            wait_until(lambda: inbound(inbox) == 220, timeout=120)
            time.sleep(1.0)  # anything read twice would show now
            assert reader.sessions >= 2
            fetched = reader.fetched

    assert inbound(inbox) == 220
    assert RawInboundEvent.objects.filter(inbox=inbox).count() == 220
    assert fetched == 220  # not one mail fetched twice
    texts = set(Message.objects.filter(inbox=inbox).values_list("text", flat=True))
    assert {f"Bericht {n}" for n in range(200)} <= texts
    assert ConnectorState.objects.get(inbox=inbox).cursor["last_uid"] == 220


def test_a_changed_uidvalidity_rereads_without_duplicates(
    account: Account, server: MailServer
) -> None:
    assert server.imap is not None
    server.imap.create("Support")
    inbox = connect(account, server, imap_folder="Support")
    kept = [customer_mail(f"k{n}@example.nl", f"Oud {n}")[1] for n in range(3)]
    server.imap.append_many(kept, folder="Support")
    with reading(inbox) as reader:
        wait_until(lambda: inbound(inbox) == 3)
        before = ConnectorState.objects.get(inbox=inbox).cursor["uidvalidity"]
        # The folder is rebuilt (a server migration): same mails, new UIDs, new UIDVALIDITY.
        server.imap.recreate("Support")
        server.imap.append_many([*kept, customer_mail("nieuw@example.nl", "Nieuw")[1]], "Support")
        # The reader's session ends with the folder; it reconnects and reads it again.
        wait_until(lambda: inbound(inbox) == 4)
        wait_until(lambda: ConnectorState.objects.get(inbox=inbox).cursor["uidvalidity"] != before)
        assert reader.sessions >= 2
    assert Message.objects.filter(inbox=inbox).count() == 4
    assert RawInboundEvent.objects.filter(inbox=inbox).count() == 4


# Bounces, HTML, attachments ---------------------------------------------------------------------


def test_a_bounce_is_shown_on_the_reply_it_returns(
    inbox: Inbox, server: MailServer, agent: User
) -> None:
    nowhere = "niemand@bounce.invalid"
    _id, first = customer_mail(nowhere, "Kunt u mij terugmailen?")
    with reading(inbox):
        mail_in(server, first, sender=nowhere)
        wait_until(lambda: inbound(inbox) == 1)
        conversation = Conversation.objects.get()
        sent = reply(agent, conversation, "Natuurlijk, hierbij.")
        # The recipient's server takes the mail, then returns it as undeliverable.
        wait_until(lambda: Message.objects.get(pk=sent.pk).delivery_status == DeliveryStatus.FAILED)
    sent.refresh_from_db()
    assert "550 5.1.1" in sent.delivery_error
    assert nowhere in sent.delivery_error
    assert conversation.messages.filter(activity__verb="bounced").exists()
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None  # the customer waits again
    # The report itself is not a customer message in Needs reply.
    assert inbound(inbox) == 1


def test_html_is_sanitised_and_attachments_are_stored_and_shown(
    account: Account, agent: User
) -> None:
    inbox = InboxFactory(account=account, kind="email", settings={"address": BRAND_ADDRESS})
    pdf = b"%PDF-1.4 factuur 2026-113"
    _id, raw = customer_mail(
        CUSTOMER,
        "Zie de bijlage.",
        html=(
            '<p onclick="steal()">Zie <b>de bijlage</b>.</p><script>alert(1)</script>'
            '<img src="https://tracker.example/pixel.gif"><a href="javascript:alert(2)">x</a>'
            '<a href="https://example.nl/faq">FAQ</a><style>p{color:red}</style>'
        ),
        attachments=[("factuur.pdf", "application/pdf", pdf)],
    )
    item = email.stored_mail(raw, BRAND_ADDRESS)
    ingest(inbox, email.SOURCE, item.dedupe_key, item.payload)

    message = Message.objects.get(direction=Direction.INBOUND)
    assert "<b>de bijlage</b>" in message.html
    for banned in ("onclick", "<script", "alert(1)", "<img", "javascript:", "<style", "color:red"):
        assert banned not in message.html
    assert 'href="https://example.nl/faq"' in message.html
    assert 'rel="noopener noreferrer nofollow"' in message.html
    assert message.text == "Zie de bijlage."
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.mime_type, attachment.size) == (
        "factuur.pdf",
        "application/pdf",
        len(pdf),
    )
    assert attachment.kind == "document"

    page = (
        logged_in(agent)
        .get(f"/a/{account.pk}/c/{message.conversation.display_id}/")
        .content.decode()
    )
    assert "<b>de bijlage</b>" in page and "alert(1)" not in page
    assert f"/attachments/{attachment.pk}/" in page
    download = logged_in(agent).get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf
    assert download["X-Content-Type-Options"] == "nosniff"
    stranger = UserFactory(account=None)
    assert logged_in(stranger).get(f"/attachments/{attachment.pk}/").status_code == 404


def test_the_same_mail_stored_twice_is_one_message(account: Account) -> None:
    inbox = InboxFactory(account=account, kind="email", settings={"address": BRAND_ADDRESS})
    _id, raw = customer_mail(CUSTOMER, "Dubbel")
    item = email.stored_mail(raw, BRAND_ADDRESS)
    first = ingest(inbox, email.SOURCE, item.dedupe_key, item.payload)
    again = ingest(inbox, email.SOURCE, item.dedupe_key, item.payload)
    assert first.stored and not again.stored
    assert Message.objects.filter(kind=MessageKind.MESSAGE).count() == 1


def test_a_mail_without_sender_is_kept_with_the_reason(account: Account) -> None:
    inbox = InboxFactory(account=account, kind="email", settings={"address": BRAND_ADDRESS})
    item = email.stored_mail(b"Subject: hallo\r\n\r\nzonder afzender\r\n", BRAND_ADDRESS)
    result = ingest(inbox, email.SOURCE, item.dedupe_key, item.payload)
    assert result.event.state == "failed"
    assert "From" in result.event.error
    assert RawInboundEvent.objects.count() == 1


# The command line ------------------------------------------------------------------------------


def test_inbox_add_email_stores_the_password_encrypted_and_prints_it_masked() -> None:
    out = StringIO()
    call_command(
        "inbox",
        "add",
        "email",
        "Klantenservice",
        "--account",
        "Parkeergarage Centraal",
        "--set",
        "imap_host=imap.example.nl",
        "--set",
        "imap_port=993",
        "--set",
        "smtp_host=smtp.example.nl",
        "--set",
        "smtp_port=587",
        "--set",
        "username=support@parkeercentraal.nl",
        "--set",
        "password=geheim-wachtwoord-123",
        "--set",
        "address=support@parkeercentraal.nl",
        stdout=out,
    )
    printed = out.getvalue()
    assert "geheim-wachtwoord-123" not in printed
    assert '"password": "\\u2026-123"' in printed or '"password": "…-123"' in printed
    inbox = Inbox.objects.get(kind="email")
    assert inbox.settings["password"].startswith("enc:v1:")
    assert inbox.setting("password") == "geheim-wachtwoord-123"
    assert email.imap_settings(inbox)["security"] == "ssl"
    assert f"/forms/{inbox.token}/" in printed


def test_a_mail_from_the_brands_own_address_is_recorded_as_its_reply(account: Account) -> None:
    inbox = InboxFactory(account=account, kind="email", settings={"address": BRAND_ADDRESS})
    first_id, first = customer_mail(CUSTOMER, "Hebben jullie een fietsenstalling?")
    _id, own = customer_mail(
        BRAND_ADDRESS,
        "Ja, bij de ingang aan de Stationsweg.",
        to=CUSTOMER,
        in_reply_to=first_id,
        references=[first_id],
    )
    for raw in (first, own):
        item = email.stored_mail(raw, BRAND_ADDRESS)
        ingest(inbox, email.SOURCE, item.dedupe_key, item.payload)

    conversation = Conversation.objects.get()
    directions = list(conversation.messages.order_by("pk").values_list("direction", flat=True))
    assert directions == [Direction.INBOUND, Direction.OUTBOUND]
    conversation.refresh_from_db()
    assert conversation.waiting_since is None  # answered from the mail program
