"""The agent inbox pages through Django's test client, on data ingested the real way."""

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import WebhookClient, logged_in, message_payload
from tests.factories import AccountFactory, InboxFactory, TeamFactory, UserFactory
from webcare.accounts.actions import do_add_user
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Conversation, DeliveryStatus, Message, MessageKind
from webcare.inboxes.actions import do_update_settings
from webcare.inboxes.models import Inbox

DASH = "\N{EN DASH}"
CUSTOMER = Author(
    external_id="501", handle="marloes_vd", name="Marloes de Vries", follower_count=1200
)


def customer_post(inbox: Inbox, external_id: str, text: str, minutes_ago: int, **kwargs) -> Message:
    msg = InboundMessage(
        external_id=external_id,
        author=kwargs.pop("author", CUSTOMER),
        text=text,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        public=kwargs.pop("public", True),
        **kwargs,
    )
    return receive_message(inbox, msg)[0]


def conversation_url(account: Account, conversation: Conversation, suffix: str = "") -> str:
    return f"/a/{account.pk}/c/{conversation.display_id}/{suffix}"


def minutes_ago_iso(minutes: int) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


def test_login_is_required(account: Account) -> None:
    response = Client().get(f"/a/{account.pk}/conversations/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_leads_to_the_first_accounts_needs_reply(agent_anna: User, account: Account) -> None:
    client = Client()
    page = client.get("/login/")
    response = client.post(
        "/login/", {"username": "anna", "password": "secret-pass-1"}, follow=True
    )

    assert page.status_code == 200
    assert response.redirect_chain[-1][0] == f"/a/{account.pk}/conversations/"
    assert b"Needs reply" in response.content


def test_logout_is_a_post(agent_anna: User) -> None:
    client = logged_in(agent_anna)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_needs_reply_shows_counts_and_longest_waiting_first(
    agent_anna: User, account: Account, webhook: WebhookClient
) -> None:
    webhook.post(
        message_payload("m1", "Waar kan ik het tarief zien?", "c1", created_at=minutes_ago_iso(5))
    )
    webhook.post(
        message_payload("m2", "De slagboom gaat niet open!", "c2", created_at=minutes_ago_iso(50))
    )
    webhook.post(
        message_payload("m3", "Ticket kwijt, wat nu?", "c3", created_at=minutes_ago_iso(20))
    )
    webhook.post(
        message_payload(
            "m4",
            "Kijk op onze site.",
            "brand",
            in_reply_to="m1",
            from_brand=True,
            created_at=minutes_ago_iso(2),
        )
    )

    response = logged_in(agent_anna).get(f"/a/{account.pk}/conversations/?view=needs_reply")
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-count="needs_reply">2<' in html
    assert 'data-count="all">3<' in html
    assert "Klant c1" not in html.split('id="rows"')[1]
    assert html.index("Klant c2") < html.index("Klant c3")
    assert "waiting 50 min" in html


def test_other_accounts_conversation_is_404(agent_anna: User) -> None:
    other = AccountFactory(name="Parkeerbedrijf Noord")
    inbox = InboxFactory(account=other, kind="x", name="@ParkeerNoord", settings={"sandbox": True})
    message = customer_post(inbox, "n1", "Slagboom kapot", 10)
    client = logged_in(agent_anna)
    url = conversation_url(other, message.conversation)

    assert client.get(url).status_code == 404
    assert client.get(f"/a/{other.pk}/conversations/").status_code == 404
    assert client.post(url + "compose/", {"text": "Hallo"}).status_code == 404
    assert not Message.objects.filter(direction="outbound", kind="message").exists()


def test_composer_reply_clears_waiting_and_shows_the_reply(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    message = customer_post(x_inbox, "t1", "@ParkeerCentraal slagboom P2 blijft dicht", 12)
    conversation = message.conversation
    client = logged_in(agent_anna)
    url = conversation_url(account, conversation)

    response = client.post(
        url + "compose/?view=needs_reply", {"mode": "reply", "text": "Excuses! We openen hem nu."}
    )
    page = client.get(response["Location"])
    conversation.refresh_from_db()

    assert response.status_code == 303
    assert response["Location"] == url + "?view=needs_reply"
    assert conversation.waiting_since is None
    assert "Excuses! We openen hem nu." in page.content.decode()
    assert 'data-count="needs_reply">0<' in page.content.decode()
    assert f'id="row-{conversation.pk}"' not in page.content.decode()


def test_over_long_x_reply_shows_the_error_and_sends_nothing(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    conversation = customer_post(x_inbox, "t1", "Wat kost een dagkaart?", 3).conversation

    response = logged_in(agent_anna).post(
        conversation_url(account, conversation, "compose/"), {"mode": "reply", "text": "a" * 290}
    )
    html = response.content.decode()

    assert response.status_code == 422
    assert "The reply is 10 characters too long for X (at most 280)" in html
    assert "290 / 280" in html
    assert "counter reply-only is-over" in html
    assert "a" * 290 in html
    assert not conversation.messages.filter(direction="outbound", kind="message").exists()


def test_counter_counts_like_the_platform(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    conversation = customer_post(x_inbox, "t1", "Tarieven?", 3).conversation
    text = "Alle tarieven: https://www.parkeercentraal.nl/tarieven/centrum/overzicht-2026"

    response = logged_in(agent_anna).post(
        conversation_url(account, conversation, "counter/"), {"text": text}
    )

    assert response.status_code == 200
    assert response.content.decode().strip().startswith('<span id="char-counter"')
    assert ">38 / 280<" in response.content.decode()


def test_note_writes_an_internal_note(agent_anna: User, account: Account, x_inbox: Inbox) -> None:
    conversation = customer_post(x_inbox, "t1", "Ik heb twee keer betaald", 30).conversation
    client = logged_in(agent_anna)

    client.post(
        conversation_url(account, conversation, "compose/"),
        {"mode": "note", "text": "Bel finance, dubbele betaling"},
    )
    html = client.get(conversation_url(account, conversation)).content.decode()
    conversation.refresh_from_db()

    assert conversation.messages.get(kind=MessageKind.NOTE).text == "Bel finance, dubbele betaling"
    assert conversation.waiting_since is not None
    assert f"Internal note {DASH} the customer does not see this" in html


def test_actions_write_activity_entries(
    agent_anna: User, lead_lars: User, account: Account, x_inbox: Inbox
) -> None:
    conversation = customer_post(x_inbox, "t1", "Parkeerkaart werkt niet", 30).conversation
    team = TeamFactory(account=account, name="Finance")
    client = logged_in(agent_anna)
    url = conversation_url(account, conversation)
    until = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    client.post(url + "assign/", {"to": "me"})
    client.post(url + "assign/", {"to": f"user:{lead_lars.pk}"})
    client.post(url + "assign/", {"to": f"team:{team.pk}"})
    client.post(url + "priority/", {"priority": "3"})
    client.post(url + "labels/", {"names": "slagboom, klacht"})
    client.post(url + "labels/remove/", {"name": "klacht"})
    client.post(url + "status/", {"status": "snoozed", "snoozed_until": until})
    refused = client.post(url + "status/", {"status": "resolved"})
    client.post(url + "status/", {"status": "resolved", "no_reply_reason": "answered_elsewhere"})
    html = client.get(url).content.decode()
    conversation.refresh_from_db()

    verbs = [
        m.activity["verb"] for m in conversation.messages.filter(kind="activity").order_by("id")
    ]
    assert verbs == [
        "assigned",
        "assigned",
        "assigned",
        "priority_changed",
        "labels_added",
        "label_removed",
        "status_changed",
        "status_changed",
    ]
    assert (conversation.assignee, conversation.team, conversation.priority) == (lead_lars, team, 3)
    assert [label.name for label in conversation.labels.all()] == ["slagboom"]
    assert conversation.status == "resolved"
    assert "Anna assigned this to Anna" in html
    assert "Anna assigned this to Lars" in html
    assert "Anna assigned this to team Finance" in html
    assert "Anna set the priority to High" in html
    assert "Anna added the labels slagboom, klacht" in html
    assert "Anna removed the label klacht" in html
    assert "Anna snoozed this until" in html
    # The customer still waited: resolving without saying why is refused, with the reason kept.
    assert refused.status_code == 422
    assert "A customer message is still waiting" in refused.content.decode()
    assert (
        "Anna resolved this conversation; 1 message needed no reply: "
        "Answered elsewhere (phone, e-mail, DM)" in html
    )


def test_snooze_without_a_moment_is_refused(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    conversation = customer_post(x_inbox, "t1", "Hoe laat sluit de garage?", 30).conversation

    response = logged_in(agent_anna).post(
        conversation_url(account, conversation, "status/"), {"status": "snoozed"}
    )
    conversation.refresh_from_db()

    assert response.status_code == 422
    assert "Say until when to snooze." in response.content.decode()
    assert conversation.status == "open"


def test_assigning_someone_outside_the_account_is_refused(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    stranger = UserFactory(username="stranger", account=AccountFactory(name="Elders"))
    conversation = customer_post(x_inbox, "t1", "Hallo?", 30).conversation

    response = logged_in(agent_anna).post(
        conversation_url(account, conversation, "assign/"), {"to": f"user:{stranger.pk}"}
    )
    conversation.refresh_from_db()

    assert response.status_code == 422
    assert conversation.assignee is None


def test_timeline_tells_public_private_and_notes_apart(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    public = customer_post(x_inbox, "t1", "Slagboom P2 gaat niet open", 30)
    private = customer_post(x_inbox, "d1", "Mijn kenteken is 12-ABC-3", 20, public=False)
    client = logged_in(agent_anna)

    public_html = client.get(conversation_url(account, public.conversation)).content.decode()
    private_html = client.get(conversation_url(account, private.conversation)).content.decode()

    assert f"Public {DASH} everyone can read this" in public_html
    assert "Your reply will be public: everyone can read it." in public_html
    assert "Private message" in private_html
    assert "Your reply goes to the customer as a private message." in private_html
    assert "@marloes_vd" in private_html
    assert "1,200 followers" in private_html
    assert f"#{public.conversation.display_id}" in private_html


def test_dutch_user_sees_dutch(account: Account, x_inbox: Inbox) -> None:
    dutch = UserFactory(username="daan", first_name="Daan", account=account, language="nl")
    conversation = customer_post(x_inbox, "t1", "Waar betaal ik?", 30).conversation
    client = logged_in(dutch)

    listing = client.get(f"/a/{account.pk}/conversations/").content.decode()
    detail = client.get(conversation_url(account, conversation)).content.decode()

    assert "Wacht op antwoord" in listing
    assert "Mijn gesprekken" in listing
    assert "Niet toegewezen" in listing
    assert "wacht 30 min" in listing
    assert "Interne notitie" in detail
    assert f"Openbaar {DASH} iedereen kan dit lezen" in detail
    assert "Afronden" in detail
    assert "Needs reply" not in listing


def test_load_more_returns_the_next_rows(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    for n in range(27):
        author = Author(external_id=f"p{n}", handle=f"klant{n}", name=f"Klant nummer {n}")
        customer_post(x_inbox, f"t{n}", f"Vraag {n}", 100 - n, author=author)
    client = logged_in(agent_anna)

    first = client.get(f"/a/{account.pk}/conversations/").content.decode()
    more_url = first.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    more = client.get(more_url, headers={"HX-Request": "true"}).content.decode()

    assert first.count("data-row") == 25
    assert "Klant nummer 0<" in first
    assert "Klant nummer 25<" not in first
    assert more.count("data-row") == 2
    assert "Klant nummer 25<" in more
    assert "<html" not in more
    assert 'id="load-more"' not in more


def test_search_finds_message_text_and_names(
    agent_anna: User, account: Account, x_inbox: Inbox
) -> None:
    customer_post(x_inbox, "t1", "Ik ben mijn parkeerticket kwijt", 30)
    other = Author(external_id="777", handle="jdijkstra", name="Joost Dijkstra")
    customer_post(x_inbox, "t2", "Hoe laat open?", 20, author=other)
    client = logged_in(agent_anna)

    by_text = client.get(f"/a/{account.pk}/conversations/?view=all&q=parkeerticket")
    by_name = client.get(f"/a/{account.pk}/conversations/?view=all&q=dijkstra")

    assert by_text.content.decode().count("data-row") == 1
    assert "Marloes de Vries" in by_text.content.decode()
    assert by_name.content.decode().count("data-row") == 1
    assert "Joost Dijkstra" in by_name.content.decode()


def test_agency_user_gets_an_account_switcher(agent_anna: User, account: Account) -> None:
    other = AccountFactory(name="Fietsenstalling Zuid")
    do_add_user("anna", other, "agent", "")

    html = logged_in(agent_anna).get(f"/a/{other.pk}/conversations/").content.decode()

    assert 'class="account-switch"' in html
    assert f'href="/a/{account.pk}/conversations/"' in html
    assert "Fietsenstalling Zuid" in html


class _Callback(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "ext-reply-1"}')

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def callback_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/replies"
    server.shutdown()
    server.server_close()


def test_failed_reply_shows_why_and_retry_delivers(
    agent_anna: User,
    account: Account,
    api_inbox: Inbox,
    callback_server: str,
    django_capture_on_commit_callbacks,
) -> None:
    WebhookClient(api_inbox).post(
        message_payload("w1", "Mijn abonnement is verlopen", "c9", public=False)
    )
    conversation = Conversation.objects.get()
    client = logged_in(agent_anna)
    url = conversation_url(account, conversation)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "compose/", {"mode": "reply", "text": "We kijken ernaar."})
    failed_html = client.get(url).content.decode()
    reply = conversation.messages.get(direction="outbound", kind="message")
    do_update_settings(api_inbox, {"callback_url": callback_server})
    with django_capture_on_commit_callbacks(execute=True):
        retry = client.post(url + f"messages/{reply.pk}/retry/")
    reply.refresh_from_db()

    assert "Not sent" in failed_html
    assert "has no callback_url" in failed_html
    assert f'action="{url}messages/{reply.pk}/retry/"' in failed_html
    assert retry.status_code == 303
    assert reply.delivery_status == DeliveryStatus.DELIVERED
    assert _Callback.received[-1]["text"] == "We kijken ernaar."


def test_reply_after_a_colleagues_reply_shows_theirs_beside_the_draft(
    agent_anna: User, lead_lars: User, account: Account, x_inbox: Inbox
) -> None:
    conversation = customer_post(x_inbox, "t1", "Mijn kaart werkt niet", 10).conversation
    url = conversation_url(account, conversation)
    anna, lars = logged_in(agent_anna), logged_in(lead_lars)
    anna_page = anna.get(url).content.decode()
    seen = re.search(r'name="expected_last_message_id" value="(\d+)"', anna_page).group(1)
    lars.post(
        url + "compose/",
        {"mode": "reply", "text": "We bellen je zo!", "expected_last_message_id": seen},
    )

    draft = {"mode": "reply", "text": "Welke kaart is het?", "expected_last_message_id": seen}
    refused = anna.post(url + "compose/", draft)

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "A colleague already replied" in html
    assert "We bellen je zo!" in html
    assert "Welke kaart is het?</textarea>" in html
    assert conversation.messages.filter(text="Welke kaart is het?").count() == 0

    sent = anna.post(url + "compose/", {**draft, "send_anyway": "1"})

    assert sent.status_code == 303
    assert conversation.messages.filter(text="Welke kaart is het?").count() == 1
