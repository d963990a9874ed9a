"""The `webcare` management commands people type: user, token, inbox, events."""

import io
import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from tests.conftest import WebhookClient, message_payload
from tests.factories import RawInboundEventFactory
from webcare.accounts.actions import authenticate_token
from webcare.accounts.models import Membership
from webcare.channels.actions import retry_event
from webcare.channels.models import EventState
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_user_add_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))

    output = run("user", "add", "kiki", "--account", "Q-Parkeren", "--role", "agent")

    assert "kiki is agent in Q-Parkeren" in output
    assert "password" not in output
    assert authenticate(username="kiki", password="a-long-password-1") is not None
    assert Membership.objects.get(user__username="kiki").role == "agent"


@pytest.mark.django_db
def test_user_add_generates_and_prints_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    output = run("user", "add", "lars", "--account", "Q-Parkeren", "--role", "lead")

    password = output.split("password: ")[1].strip()
    assert authenticate(username="lars", password=password) is not None


@pytest.mark.django_db
def test_token_create_prints_a_working_token(agent_anna) -> None:
    token = run("token", "create", "anna").strip()

    assert authenticate_token(token) == agent_anna


@pytest.mark.django_db
def test_token_create_for_unknown_user_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="No user 'nobody'"):
        run("token", "create", "nobody")


@pytest.mark.django_db
def test_inbox_add_prints_webhook_url_and_secret() -> None:
    output = run(
        "inbox",
        "add",
        "api",
        "Website",
        "--account",
        "Q-Parkeren",
        "--set",
        "callback_url=http://127.0.0.1:9/cb",
    )

    described = json.loads(output)
    inbox = Inbox.objects.get(pk=described["id"])
    assert described["webhook_url"].endswith(f"/hooks/api/{inbox.token}")
    assert described["secret"] == inbox.secret
    assert inbox.settings == {"callback_url": "http://127.0.0.1:9/cb"}


@pytest.mark.django_db
def test_inbox_add_refuses_unknown_setting() -> None:
    with pytest.raises(CommandError, match="no setting 'colour'"):
        run("inbox", "add", "api", "Website", "--account", "Q-Parkeren", "--set", "colour=red")


@pytest.mark.django_db
def test_inbox_set_changes_a_setting(api_inbox: Inbox) -> None:
    run("inbox", "set", str(api_inbox.pk), "callback_url=http://127.0.0.1:9/new")

    api_inbox.refresh_from_db()
    assert api_inbox.settings["callback_url"] == "http://127.0.0.1:9/new"


@pytest.mark.django_db
def test_events_retry_processes_a_failed_event(webhook: WebhookClient) -> None:
    # An event stored earlier whose processing failed (here: a date the parser refuses).
    event = RawInboundEventFactory(
        inbox=webhook.inbox,
        payload=json.dumps(message_payload("late", created_at="not a date")),
    )
    retry_event(event)
    assert event.state == EventState.FAILED
    assert "created_at" in run("events", "list")
    event.payload = json.dumps(message_payload("late"))
    event.save(update_fields=["payload"])

    run("events", "retry", str(event.pk))

    event.refresh_from_db()
    assert event.state == EventState.PROCESSED
    assert Message.objects.filter(external_id="late").exists()
