"""The collision guard: no customer gets two answers from two colleagues.

A reply names the newest message its author saw; a colleague's reply after it means 409 with
that reply, unless the author explicitly sends anyway. The concurrency tests start many
senders at one barrier, each on its own database connection, and count what reached the
integrator's stand-in over real HTTP: exactly one reply per customer message.
"""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from tests.api.conftest import StandIn, bearer_client, ingest
from tests.api.test_replies import newest_message_id, reply
from tests.conftest import WebhookClient
from tests.factories import UserFactory
from webcare.accounts.actions import create_token
from webcare.accounts.models import Account, Role, User
from webcare.conversations.models import Conversation, Direction, Message, MessageKind
from webcare.inboxes.models import Inbox
from webcare.replies.actions import ReplyCollision, check_send_reply

SENDERS = 50


def replies_of(conversation: Conversation) -> list[Message]:
    return list(
        conversation.messages.filter(direction=Direction.OUTBOUND, kind=MessageKind.MESSAGE)
    )


def test_reply_after_a_colleagues_reply_is_409_with_their_reply(
    webhook: WebhookClient, agent_anna: User, lead_lars: User, callback_inbox: Inbox
) -> None:
    conversation = ingest(webhook, "c1", text="Mijn kaart werkt niet bij P2")
    seen = newest_message_id(conversation)
    assert reply(bearer_client(lead_lars), conversation, "We kijken ernaar!").status_code == 201

    response = reply(bearer_client(agent_anna), conversation, "Welke kaart is het?", seen=seen)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "collision"
    assert body["error"].startswith("Lars replied to this customer while you were writing")
    assert [(r["text"], r["sender"]["name"]) for r in body["replies"]] == [
        ("We kijken ernaar!", "Lars")
    ]
    assert [m.text for m in replies_of(conversation)] == ["We kijken ernaar!"]


def test_send_anyway_goes_out_and_is_recorded(
    webhook: WebhookClient, agent_anna: User, lead_lars: User, callback_inbox: Inbox
) -> None:
    conversation = ingest(webhook, "c1", text="Mijn kaart werkt niet bij P2")
    seen = newest_message_id(conversation)
    reply(bearer_client(lead_lars), conversation, "We kijken ernaar!")

    response = reply(
        bearer_client(agent_anna),
        conversation,
        "Aanvulling: bel ons gerust.",
        seen=seen,
        send_anyway=True,
    )

    assert response.status_code == 201
    assert [m.text for m in replies_of(conversation)] == [
        "We kijken ernaar!",
        "Aanvulling: bel ons gerust.",
    ]
    override = conversation.messages.get(kind=MessageKind.ACTIVITY, activity__verb="sent_anyway")
    assert override.sender_user == agent_anna
    assert override.activity["message"] == response.json()["id"]


def test_a_follow_up_after_reading_the_colleagues_reply_is_accepted(
    webhook: WebhookClient, agent_anna: User, lead_lars: User, callback_inbox: Inbox
) -> None:
    conversation = ingest(webhook, "c1", text="Mijn kaart werkt niet bij P2")
    reply(bearer_client(lead_lars), conversation, "We kijken ernaar!")

    response = reply(bearer_client(agent_anna), conversation, "Het is verholpen.")

    assert response.status_code == 201


def test_a_new_customer_message_is_not_a_collision(
    webhook: WebhookClient, agent_anna: User, callback_inbox: Inbox
) -> None:
    conversation = ingest(webhook, "c1", text="Mijn kaart werkt niet bij P2")
    seen = newest_message_id(conversation)
    ingest(webhook, "c2", text="Hallo?", in_reply_to="c1")

    assert reply(bearer_client(agent_anna), conversation, "Sorry!", seen=seen).status_code == 201


def test_expected_message_of_another_conversation_is_400_naming_the_field(
    webhook: WebhookClient, anna_api: Client, callback_inbox: Inbox
) -> None:
    first = ingest(webhook, "c1", text="Eerste vraag")
    other = ingest(webhook, "c2", text="Tweede vraag", author_id="99")

    response = reply(anna_api, first, "Antwoord", seen=newest_message_id(other))

    assert response.status_code == 400
    assert response.json()["field"] == "expected_last_message_id"
    assert replies_of(first) == []


def test_missing_expected_message_is_422_naming_the_field(
    webhook: WebhookClient, anna_api: Client, callback_inbox: Inbox
) -> None:
    conversation = ingest(webhook, "c1", text="Vraag")

    response = anna_api.post(
        f"/api/v1/conversations/{conversation.pk}/replies",
        {"text": "Antwoord"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["field"] == "expected_last_message_id"


@pytest.fixture
def senders(account: Account) -> list[User]:
    return [
        UserFactory(username=f"agent{n}", account=account, role=Role.AGENT) for n in range(SENDERS)
    ]


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    """Sender threads, reused across rounds; each send opens and closes its own connection."""
    executor = ThreadPoolExecutor(max_workers=SENDERS)
    yield executor
    executor.shutdown(wait=True)


def _connect(conn: BaseDatabaseWrapper, patience: float = 120.0) -> None:
    """Open this thread's connection, waiting while PostgreSQL is out of slots.

    Fifty connections at once is the point of the test; on two xdist workers the crash test's
    servers and workers may hold many of PostgreSQL's 100 for a moment, so a sender waits for
    a free one instead of failing with "too many clients" before the race has begun.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.ensure_connection()
            return
        except OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def race(
    pool: ThreadPoolExecutor, senders: list[User], conversation: Conversation, seen: int
) -> list[str]:
    """All senders answer the customer at once; returns each sender's outcome."""
    barrier = threading.Barrier(len(senders))

    def send(user: User) -> str:
        _connect(connection)  # each sender holds its own connection before the race starts
        barrier.wait()
        try:
            check_send_reply(
                user, conversation, f"Antwoord van {user.username}", expected_last_message_id=seen
            )
        except ReplyCollision:
            return "409"
        finally:
            connection.close()
        return "sent"

    return list(pool.map(send, senders))


def _one_round(
    pool: ThreadPoolExecutor,
    senders: list[User],
    webhook: WebhookClient,
    stand_in: StandIn,
    n: int,
) -> tuple[list[str], int]:
    conversation = ingest(webhook, f"q{n}", text=f"Vraag {n}", author_id=f"c{n}")
    before = len(stand_in.received)
    outcomes = race(pool, senders, conversation, newest_message_id(conversation))
    return outcomes, len(stand_in.received) - before


@pytest.mark.usefixtures("transactional_db")
def test_of_fifty_concurrent_senders_exactly_one_reply_goes_out(
    pool: ThreadPoolExecutor,
    senders: list[User],
    webhook: WebhookClient,
    callback_inbox: Inbox,
    stand_in: StandIn,
) -> None:
    outcomes, delivered = _one_round(pool, senders, webhook, stand_in, 0)

    assert sorted(outcomes) == ["409"] * (SENDERS - 1) + ["sent"]
    assert delivered == 1


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
def test_a_hundred_races_never_send_a_double(
    pool: ThreadPoolExecutor,
    senders: list[User],
    webhook: WebhookClient,
    callback_inbox: Inbox,
    stand_in: StandIn,
) -> None:
    results = [_one_round(pool, senders, webhook, stand_in, n) for n in range(100)]

    assert [(o.count("sent"), o.count("409"), d) for o, d in results] == [(1, 49, 1)] * 100
    bodies = [received.json() for received in stand_in.received]
    assert len({body["in_reply_to"] for body in bodies}) == 100


@pytest.mark.usefixtures("transactional_db")
def test_concurrent_senders_over_http_get_one_201_and_409s(
    webcare_server: str,
    senders: list[User],
    webhook: WebhookClient,
    callback_inbox: Inbox,
    stand_in: StandIn,
) -> None:
    """The same race through a real server: 50 simultaneous POSTs to the replies endpoint."""
    conversation = ingest(webhook, "q-http", text="Hoe laat sluit P1?")
    seen = newest_message_id(conversation)
    tokens = [create_token(user) for user in senders]
    barrier = threading.Barrier(len(tokens))

    def send(token: str) -> int:
        barrier.wait()
        response = httpx.post(
            f"{webcare_server}/api/v1/conversations/{conversation.pk}/replies",
            json={"text": "P1 sluit om 01:00.", "expected_last_message_id": seen},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(tokens)) as executor:
        statuses = list(executor.map(send, tokens))

    assert sorted(statuses) == [201] + [409] * (len(tokens) - 1)
    assert len(replies_of(conversation)) == 1
    assert len(stand_in.received) == 1
