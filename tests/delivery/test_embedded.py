"""The embedded install: one `webcare serve` with the durable task backend and no separate
worker. Its own sender threads deliver a reply posted to its API (tests/delivery/test_crash.py
kills and restarts it)."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import _free_port
from tests.delivery.conftest import customer_on, reloaded
from tests.delivery.processes import Process, durable_env, wait_for_server
from webcare.accounts.actions import create_token
from webcare.accounts.models import User
from webcare.conversations.models import DeliveryStatus, Message
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.callback import CallbackStandIn

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    server = Process(
        "serve",
        ["serve", "--no-migrate", "--port", str(port)],
        durable_env(tmp_path),
        tmp_path / "serve.log",
    )
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, server)
        yield url
    finally:
        server.stop()


def wait_until(done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll `done()`; the timeout only ends a broken test."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "not done in time"
        time.sleep(0.1)


def test_the_embedded_server_delivers_a_reply_posted_to_its_api(
    embedded: str, agent_anna: User, callback_inbox: Inbox, stand_in: CallbackStandIn
) -> None:
    conversation = customer_on(callback_inbox, "e1")
    newest = conversation.messages.get().pk

    response = httpx.post(
        f"{embedded}/api/v1/conversations/{conversation.pk}/replies",
        json={"text": "Hij staat weer open.", "expected_last_message_id": newest},
        headers={"Authorization": f"Bearer {create_token(agent_anna)}"},
        timeout=30,
    )
    wait_until(lambda: stand_in.accepted_count() == 1)

    assert response.status_code == 201
    reply = Message.objects.get(pk=response.json()["id"])
    wait_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)
    assert list(stand_in.accepted) == [str(reply.idempotency_key)]
