"""The REST side of needs-reply accounting and the promises: settling messages, putting them
back, the Escalated view, notifications and the handover."""

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.api.conftest import bearer_client, ingest
from tests.conftest import WebhookClient
from tests.factories import AccountFactory, InboxFactory
from webcare.accounts.models import Account, User
from webcare.conversations.escalation import sweep


def post(client: Client, path: str, body: Any = None) -> Any:
    return client.post(f"/api/v1{path}", body or {}, content_type="application/json")


def messages(client: Client, conversation_id: int) -> list[dict[str, Any]]:
    body = client.get(f"/api/v1/conversations/{conversation_id}").json()
    return [m for m in body["messages"] if m["direction"] == "inbound"]


def test_no_reply_needed_for_one_message_keeps_the_other_waiting(
    anna_api: Client, webhook: WebhookClient
) -> None:
    conversation = ingest(webhook, "m1", text="Bedankt!")
    ingest(webhook, "m2", text="En nog een vraag", in_reply_to="m1")
    first, second = messages(anna_api, conversation.pk)

    response = post(
        anna_api,
        f"/conversations/{conversation.pk}/no-reply-needed",
        {"reason": "thanks_only", "messages": [first["id"]]},
    )

    assert response.status_code == 200
    assert response.json()["waiting_since"] == second["created_at"]
    first, second = messages(anna_api, conversation.pk)
    assert (first["reply_state"], first["no_reply_reason"]) == ("no_reply_needed", "thanks_only")
    assert (second["reply_state"], second["no_reply_reason"]) == ("waiting", None)


def test_no_reply_needed_for_all_takes_it_out_of_needs_reply(
    anna_api: Client, webhook: WebhookClient
) -> None:
    conversation = ingest(webhook, "m1", text="Spam spam")

    response = post(
        anna_api, f"/conversations/{conversation.pk}/no-reply-needed", {"reason": "spam"}
    )
    listed = anna_api.get("/api/v1/conversations?view=needs_reply").json()

    assert (response.status_code, response.json()["waiting_since"]) == (200, None)
    assert listed["count"] == 0


def test_no_reply_needed_refuses_what_it_cannot_settle(
    anna_api: Client, webhook: WebhookClient
) -> None:
    conversation = ingest(webhook, "m1")
    path = f"/conversations/{conversation.pk}/no-reply-needed"

    bad_reason = post(anna_api, path, {"reason": "boring"})
    unknown = post(anna_api, path, {"reason": "spam", "messages": [999999]})
    post(anna_api, path, {"reason": "spam"})
    nothing_left = post(anna_api, path, {"reason": "spam"})

    assert (bad_reason.status_code, bad_reason.json()["field"]) == (422, "reason")
    assert (unknown.status_code, unknown.json()["field"]) == (409, "messages")
    assert nothing_left.status_code == 409
    assert nothing_left.json()["error"] == "No customer is waiting in this conversation."


def test_needs_reply_again_puts_a_settled_message_back(
    anna_api: Client, webhook: WebhookClient
) -> None:
    conversation = ingest(webhook, "m1")
    post(anna_api, f"/conversations/{conversation.pk}/no-reply-needed", {"reason": "duplicate"})
    (message,) = messages(anna_api, conversation.pk)

    again = post(anna_api, f"/messages/{message['id']}/needs-reply")
    twice = post(anna_api, f"/messages/{message['id']}/needs-reply")

    assert (again.status_code, again.json()["reply_state"]) == (200, "waiting")
    assert twice.status_code == 409
    listed = anna_api.get("/api/v1/conversations?view=needs_reply").json()
    assert [item["id"] for item in listed["items"]] == [conversation.pk]


def test_another_accounts_message_cannot_be_settled(anna_api: Client) -> None:
    foreign_inbox = InboxFactory(account=AccountFactory(name="Fietsenstalling Oost"), kind="api")
    foreign = ingest(WebhookClient(foreign_inbox), "x1")

    response = post(anna_api, f"/conversations/{foreign.pk}/no-reply-needed", {"reason": "spam"})

    assert response.status_code == 404


def test_escalated_view_notifications_and_handover(
    account: Account, webhook: WebhookClient, lead_lars: User
) -> None:
    late = ingest(webhook, "m1", created_at=(timezone.now() - timedelta(minutes=90)).isoformat())
    ingest(webhook, "m2", author_id="c2", created_at=timezone.now().isoformat())
    sweep(timezone.now())
    lars = bearer_client(lead_lars)

    escalated = lars.get(f"/api/v1/conversations?view=escalated&account={account.pk}").json()
    inbox = lars.get(f"/api/v1/notifications?account={account.pk}").json()
    report = lars.get(f"/api/v1/handover?account={account.pk}").json()
    read = post(lars, f"/notifications/read?account={account.pk}")

    assert [item["id"] for item in escalated["items"]] == [late.pk]
    assert escalated["items"][0]["escalated_at"] is not None
    assert inbox["unread"] == 1
    assert inbox["items"][0]["kind"] == "escalated"
    assert inbox["items"][0]["conversation"] == late.pk
    assert report["waiting"] == 2
    assert [group["holder"] for group in report["groups"]] == [None]
    assert report["groups"][0]["conversations"][0]["id"] == late.pk
    assert read.json() == {"read": 1}


def test_notifications_of_another_account_are_404(anna_api: Client) -> None:
    other = AccountFactory(name="Fietsenstalling Oost")

    assert anna_api.get(f"/api/v1/notifications?account={other.pk}").status_code == 404
    assert anna_api.get(f"/api/v1/handover?account={other.pk}").status_code == 404
