"""Shared fixtures: personas, and a signed-webhook client for the generic API channel."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client

from tests.factories import (
    AccountFactory,
    InboxFactory,
    UserFactory,
)
from webcare.accounts.models import Account, Role, User
from webcare.channels.adapters.api import SIGNATURE_HEADER, sign
from webcare.inboxes.models import Inbox


@pytest.fixture
def account(db: None) -> Account:
    return AccountFactory(name="Parkeergarage Centraal")


@pytest.fixture
def agent_anna(account: Account) -> User:
    return UserFactory(username="anna", first_name="Anna", account=account, role=Role.AGENT)


@pytest.fixture
def lead_lars(account: Account) -> User:
    return UserFactory(username="lars", first_name="Lars", account=account, role=Role.LEAD)


@pytest.fixture
def admin_ada(account: Account) -> User:
    return UserFactory(username="ada", first_name="Ada", account=account, role=Role.ADMIN)


@pytest.fixture
def api_inbox(account: Account) -> Inbox:
    return InboxFactory(account=account, kind="api", name="Website API")


@pytest.fixture
def x_inbox(account: Account) -> Inbox:
    return InboxFactory(
        account=account,
        kind="x",
        name="@ParkeerCentraal",
        handle="ParkeerCentraal",
        settings={"sandbox": True},
    )


def message_payload(
    external_id: str,
    text: str = "Waarom gaat de slagboom niet open?",
    author_id: str = "cust-1",
    **extra: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": external_id,
        "author": {"id": author_id, "handle": f"user_{author_id}", "name": f"Klant {author_id}"},
        "text": text,
        "in_reply_to": None,
        "created_at": "2026-11-23T09:00:00+01:00",
        "public": True,
    }
    payload.update(extra)
    return payload


class WebhookClient:
    """Posts generic-API payloads to an inbox, signed as the integrator would."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.client = Client()

    def post(self, payload: Any, *, secret: str | None = None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {SIGNATURE_HEADER: sign(secret or self.inbox.secret, body)}
        return self.client.post(
            f"/hooks/api/{self.inbox.token}",
            data=body,
            content_type="application/json",
            headers=headers,
        )


@pytest.fixture
def webhook(api_inbox: Inbox) -> WebhookClient:
    return WebhookClient(api_inbox)


def _database_url() -> str:
    """The URL of the test database, for server processes started by tests."""
    from django.db import connection  # noqa: PLC0415 (the test database exists only now)

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] or "postgres"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def webcare_server(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """A real `webcare serve` (uvicorn, ASGI) on the test database; yields its base URL.

    One per test, on `transactional_db` so what the test writes is committed and visible to
    the server. It is stopped before the database is flushed: a server that outlived its test
    would go on sweeping and sending in the next test's data, and on PostgreSQL its
    transactions can deadlock the flush's TRUNCATE, which then leaves rows behind.
    """
    port = _free_port()
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    env = {
        **os.environ,
        "WEBCARE_ENV": "test",
        "DATABASE_URL": _database_url(),
        "WEBCARE_DATA_DIR": str(data_dir),
    }
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "webcare", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/login/", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"webcare serve did not start: {(data_dir / 'server.log').read_text()}"
                ) from None
            time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def logged_in(user: User) -> Client:
    """A Django test client with `user`'s session."""
    client = Client()
    client.force_login(user)
    return client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slow load and crash tests first: with several workers (`-n 2`), one of them
    starts on the long crash test while the others work through everything else."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
