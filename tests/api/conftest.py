"""API test helpers: bearer clients, and a stand-in integrator for API-inbox replies."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from tests.conftest import WebhookClient, message_payload
from webcare.accounts.actions import create_token
from webcare.accounts.models import User
from webcare.conversations.models import Conversation
from webcare.inboxes.actions import do_update_settings
from webcare.inboxes.models import Inbox


def bearer_client(user: User) -> Client:
    """A client that authenticates as `user` with a fresh API token."""
    return Client(headers={"Authorization": f"Bearer {create_token(user)}"})


@pytest.fixture
def anna_api(agent_anna: User) -> Client:
    return bearer_client(agent_anna)


def ingest(webhook: WebhookClient, external_id: str, **payload: Any) -> Conversation:
    """Post one customer message through the signed webhook; return its conversation."""
    response = webhook.post(message_payload(external_id, **payload))
    assert response.status_code == 200, response.content
    return Conversation.objects.get(messages__external_id=external_id)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class StandIn:
    """The integrator's endpoint for our replies, as a real one would behave.

    It checks X-Webcare-Signature against the inbox secret with its own HMAC code (401 when it
    does not match), records every POST, and answers `status` with a JSON message id.
    """

    url: str = ""
    secret: str = ""
    status: int = 200
    received: list[Received] = field(default_factory=list)


def _handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            expected = (
                "sha256=" + hmac.new(stand_in.secret.encode(), body, hashlib.sha256).hexdigest()
            )
            valid = hmac.compare_digest(expected, self.headers.get("X-Webcare-Signature", ""))
            stand_in.received.append(Received(self.path, dict(self.headers), body, valid))
            status = stand_in.status if valid else 401
            answer = json.dumps({"id": f"partner-{len(stand_in.received)}"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """A local HTTP server on a free port, run in a thread for the length of one test."""
    recorder = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/webcare/replies"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def callback_inbox(api_inbox: Inbox, stand_in: StandIn) -> Inbox:
    """An API inbox whose replies go to the stand-in integrator."""
    inbox = do_update_settings(api_inbox, {"callback_url": stand_in.url})
    stand_in.secret = inbox.secret
    return inbox
