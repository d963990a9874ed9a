"""Scale-out: two `webcare serve --no-worker` processes on one database and one Redis.

A webhook ingested by process A must reach a websocket held by process B: the event travels
through Redis (channels_redis), not through any process's memory. Uses PostgreSQL when the
test run does (DATABASE_URL), else the SQLite test file, and its own Redis database number.
"""

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from tests.conftest import _database_url, _free_port, message_payload
from webcare.accounts.models import Account, User
from webcare.channels.adapters.api import SIGNATURE_HEADER, sign
from webcare.inboxes.models import Inbox

pytestmark = pytest.mark.usefixtures("transactional_db")

REDIS_DB = 7  # ours alone: flushed before and after
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
WAIT = 30  # seconds: generous, two servers start on a shared, busy machine


@pytest.fixture
def redis_db() -> Iterator[str]:
    """Redis database 7, empty. CI must have Redis; elsewhere its absence skips the test."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError):
        message = "Redis is not running at 127.0.0.1:6379 (start it to run the scale-out test)."
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} CI=true requires it.")
        pytest.skip(message)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _start(name: str, env: dict[str, str], data_dir: Path) -> Server:
    command = [sys.executable, "-m", "webcare", "serve", "--no-migrate", "--no-worker"]
    port = _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env={**env, "WEBCARE_DATA_DIR": str(data_dir)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            httpx.get(f"{server.url}/login/", timeout=2)
            return
        except httpx.HTTPError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"webcare serve did not start: {server.log.read_text()}"
                ) from None
            time.sleep(0.2)


@pytest.fixture
def two_servers(redis_db: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Process A and process B: one database, one Redis, one SECRET_KEY (a shared session)."""
    env = {
        **os.environ,
        "WEBCARE_ENV": "test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_db,
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    servers = (_start("a", env, tmp_path / "a"), _start("b", env, tmp_path / "b"))
    try:
        for server in servers:
            _wait_until_up(server)
        yield servers
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            server.process.wait(timeout=10)


def _log_in(server: Server, username: str) -> str:
    """Log in through the login form, as a browser would; returns the session id."""
    with httpx.Client(base_url=server.url) as client:
        client.get("/login/")
        response = client.post(
            "/login/",
            data={
                "username": username,
                "password": "secret-pass-1",
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
        )
        assert response.status_code == 302, response.text
        return client.cookies["sessionid"]


@contextmanager
def _open_socket(server: Server, account: Account, session: str) -> Iterator[ClientConnection]:
    with connect(
        server.url.replace("http://", "ws://") + f"/ws/a/{account.pk}/",
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={session}"},
        proxy=None,
        open_timeout=WAIT,
    ) as socket:
        # Our own hello coming back through Redis proves the socket has joined its group.
        socket.send(json.dumps({"type": "presence", "state": "hello"}))
        _receive(socket, "presence")
        yield socket


def _receive(socket: ClientConnection, kind: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == kind:
            return message


def test_a_webhook_on_process_a_reaches_a_websocket_on_process_b(
    two_servers: tuple[Server, Server], account: Account, agent_anna: User, api_inbox: Inbox
) -> None:
    a, b = two_servers
    body = json.dumps(message_payload("scale-1", "Slagboom P2 blijft dicht")).encode()

    with _open_socket(b, account, _log_in(b, "anna")) as socket:
        response = httpx.post(
            f"{a.url}/hooks/api/{api_inbox.token}",
            content=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(api_inbox.secret, body),
            },
        )
        assert response.status_code == 200, response.text
        event = _receive(socket, "conversation")

    assert event["what"] == "message"
    assert event["inbox_id"] == api_inbox.pk
    assert "Slagboom" not in json.dumps(event)
