"""`webcare sandbox`: a real sandbox process on the test database, driven as a newcomer would.

The customer posts through the console's JSON API (the same code the page's form calls), the
agent answers through the REST API, and the answer is judged by what reached the platform's
stand-in, read back from the console.
"""

import json
import time
from typing import Any

import httpx
import pytest
from django.core.management import CommandError, call_command

from tests.sandbox.conftest import Sandbox
from webcare.accounts.actions import create_token
from webcare.accounts.models import User
from webcare.conversations.models import DeliveryStatus, Direction, Message, MessageKind
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.mail import dovecot_path

pytestmark = pytest.mark.usefixtures("transactional_db")
WAIT_SECONDS = 30.0


def eventually(what: str, check: Any, sandbox: Sandbox) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen\n{sandbox.output.read_text()[-3000:]}")


def answer(api: httpx.Client, message: Message, text: str, *, private: bool = False) -> None:
    conversation = message.conversation_id
    newest = api.get(f"/api/v1/conversations/{conversation}").json()["messages"][-1]["id"]
    response = api.post(
        f"/api/v1/conversations/{conversation}/replies",
        json={"text": text, "expected_last_message_id": newest, "private": private},
    )
    assert response.status_code == 201, response.text


# One row per way a customer can write: (console channel, the inbox kind that gets it, what
# the platform records of the agent's answer).
ROUND_TRIPS = [
    ("x-mention", "x", "X", "reply"),
    ("x-dm", "x", "X", "direct message"),
    ("facebook-comment", "facebook", "Facebook", "public reply"),
    ("facebook-messenger", "facebook", "Facebook", "direct message"),
    ("instagram-comment", "instagram", "Instagram", "public reply"),
    ("instagram-dm", "instagram", "Instagram", "direct message"),
    ("whatsapp", "whatsapp", "WhatsApp", "message"),
    # E-mail comes in by IMAP, from dovecot; without it the sandbox has no mailbox to read.
    *([("email", "email", "E-mail", "mail")] if dovecot_path() else []),
]


def test_a_customer_on_each_platform_gets_the_agents_answer_on_that_platform(
    sandbox: Sandbox,
) -> None:
    daan = eventually(
        "the sandbox desk", lambda: User.objects.filter(username="daan").first(), sandbox
    )
    api = httpx.Client(
        base_url=sandbox.webcare, headers={"Authorization": f"Bearer {create_token(daan)}"}
    )

    for number, (channel, kind, platform, what) in enumerate(ROUND_TRIPS):
        question = f"Vraag {number}: de slagboom?"
        posted = sandbox.post(channel, f"Klant {number}", question)
        assert posted.status_code == 200, posted.text
        assert posted.json()["webhook_status"] == 200
        message = eventually(
            f"{channel} stored",
            lambda q=question: Message.objects.filter(text__endswith=q).first(),
            sandbox,
        )
        assert message.inbox.kind == kind
        assert message.direction == Direction.INBOUND

        answer(api, message, f"Antwoord {number}: we openen hem op afstand.")

        arrival = eventually(
            f"the answer to {channel} on the {platform} stand-in",
            lambda n=number: [
                a
                for a in sandbox.arrived()
                if a["text"] == f"Antwoord {n}: we openen hem op afstand."
            ],
            sandbox,
        )
        assert [(a["platform"], a["what"]) for a in arrival] == [(platform, what)]

    # Every answer delivered once, none failed; WhatsApp's came back read, by its webhooks.
    replies = Message.objects.filter(direction=Direction.OUTBOUND, kind=MessageKind.MESSAGE)
    assert replies.count() == len(ROUND_TRIPS)
    whatsapp = replies.get(inbox__kind="whatsapp")
    eventually(
        "WhatsApp's read status",
        lambda: Message.objects.get(pk=whatsapp.pk).delivery_status == DeliveryStatus.READ,
        sandbox,
    )
    assert not replies.filter(delivery_status=DeliveryStatus.FAILED).exists()


def test_a_follow_up_comment_joins_the_customers_conversation(sandbox: Sandbox) -> None:
    first = sandbox.post("facebook-comment", "Jan de Vries", "Waarom is het zo duur?").json()
    second = sandbox.post("facebook-comment", "Jan de Vries", "Nog steeds geen antwoord").json()

    messages = eventually(
        "both comments stored",
        lambda: list(
            Message.objects.filter(external_id__in=[first["external_id"], second["external_id"]])
        ),
        sandbox,
    )
    assert len(messages) == 2
    assert messages[0].conversation_id == messages[1].conversation_id


def test_the_console_says_what_is_wrong_and_posts_nothing(sandbox: Sandbox) -> None:
    unknown = sandbox.post("myspace", "Jan", "Hallo")
    empty = sandbox.post("whatsapp", "Jan", "   ")
    nameless = sandbox.post("whatsapp", "", "Hallo")
    not_json = httpx.post(f"{sandbox.console}/api/post", content=b"[1, 2", timeout=10)

    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("Unknown channel 'myspace'; use one of x-mention,")
    assert empty.json() == {"error": "Write a message."}
    assert nameless.json() == {"error": "Give the customer a name."}
    assert not_json.status_code == 400
    assert Message.objects.count() == 0


def test_the_inboxes_are_connected_like_real_ones(sandbox: Sandbox) -> None:
    inboxes = eventually("the sandbox inboxes", lambda: list(Inbox.objects.all()), sandbox)

    assert sorted(inbox.kind for inbox in inboxes) == [
        "email",
        "facebook",
        "instagram",
        "webchat",
        "whatsapp",
        "x",
    ]
    for inbox in inboxes:
        if inbox.kind == "email":
            assert inbox.setting("smtp_host") == "127.0.0.1"
            assert inbox.settings["password"].startswith("enc:v1:")  # stored encrypted
            continue
        if inbox.kind == "webchat":
            assert inbox.setting("email_inbox") == "E-mail (sandbox)"
            continue
        assert inbox.setting("api_base").startswith("http://127.0.0.1:")
        assert inbox.setting("sandbox") is not True  # real HTTP to the stand-in, not recorded
    log = sandbox.output.read_text()
    assert "Play the customer at " + sandbox.console in log
    assert "demo-daan-2026" not in log  # fixed passwords only on a demo install
    assert json.loads(httpx.get(f"{sandbox.console}/api/channels", timeout=5).text)[0]["key"] == (
        "x-mention"
    )


def test_sandbox_refuses_a_production_install(settings: Any) -> None:
    settings.WEBCARE_ENV = "production"

    with pytest.raises(CommandError, match="does not run with WEBCARE_ENV=production"):
        call_command("sandbox")
