"""Assignment, status, priority, labels and notes through the API, and their audit entries."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import ingest
from tests.conftest import WebhookClient
from tests.factories import AccountFactory, InboxFactory, TeamFactory, UserFactory
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation


@pytest.fixture
def conversation(webhook: WebhookClient) -> Conversation:
    return ingest(webhook, "m1")


def post(client: Client, conversation: Conversation, what: str, body: Any) -> Any:
    return client.post(
        f"/api/v1/conversations/{conversation.pk}/{what}", body, content_type="application/json"
    )


def activities(client: Client, conversation: Conversation) -> list[dict[str, Any]]:
    messages = client.get(f"/api/v1/conversations/{conversation.pk}").json()["messages"]
    return [m for m in messages if m["kind"] == "activity"]


def test_assign_to_colleague_and_team_is_recorded(
    anna_api: Client,
    agent_anna: User,
    lead_lars: User,
    account: Account,
    conversation: Conversation,
) -> None:
    team = TeamFactory(account=account, name="Finance")

    response = post(
        anna_api, conversation, "assignment", {"assignee_id": lead_lars.pk, "team_id": team.pk}
    )

    assert response.status_code == 200
    assert response.json()["assignee"] == {"id": lead_lars.pk, "name": "Lars"}
    assert response.json()["team"] == {"id": team.pk, "name": "Finance"}
    (entry,) = activities(anna_api, conversation)
    assert entry["activity"]["verb"] == "assigned"
    assert entry["activity"]["to"] == lead_lars.pk
    assert entry["activity"]["team"] == "Finance"
    assert entry["sender"] == {
        "type": "user",
        "id": agent_anna.pk,
        "username": "anna",
        "name": "Anna",
    }


def test_unassign_with_null(anna_api: Client, agent_anna: User, conversation: Conversation) -> None:
    post(anna_api, conversation, "assignment", {"assignee_id": agent_anna.pk})

    response = post(anna_api, conversation, "assignment", {"assignee_id": None})

    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert [e["activity"]["to"] for e in activities(anna_api, conversation)] == [
        agent_anna.pk,
        None,
    ]


def test_assign_to_someone_outside_the_account_is_404(
    anna_api: Client, conversation: Conversation
) -> None:
    outsider = UserFactory(username="otto", account=AccountFactory(name="Fietsenstalling Oost"))

    response = post(anna_api, conversation, "assignment", {"assignee_id": outsider.pk})

    assert response.status_code == 404
    assert response.json()["error"] == "No such colleague"
    assert activities(anna_api, conversation) == []


def test_assign_to_another_accounts_team_is_404(
    anna_api: Client, conversation: Conversation
) -> None:
    team = TeamFactory(account=AccountFactory(name="Fietsenstalling Oost"))

    response = post(anna_api, conversation, "assignment", {"team_id": team.pk})

    assert response.status_code == 404
    assert response.json()["error"] == "No such team"


def test_changes_to_another_accounts_conversation_are_404(
    anna_api: Client, agent_anna: User
) -> None:
    inbox = InboxFactory(account=AccountFactory(name="Fietsenstalling Oost"), kind="api")
    foreign = ingest(WebhookClient(inbox), "x1")

    answers = [
        post(anna_api, foreign, "assignment", {"assignee_id": agent_anna.pk}).status_code,
        post(anna_api, foreign, "status", {"status": "resolved"}).status_code,
        post(anna_api, foreign, "priority", {"priority": 4}).status_code,
        post(anna_api, foreign, "labels", {"labels": ["x"]}).status_code,
        post(anna_api, foreign, "notes", {"text": "hoi"}).status_code,
        post(
            anna_api, foreign, "replies", {"text": "hoi", "expected_last_message_id": 1}
        ).status_code,
        anna_api.delete(f"/api/v1/conversations/{foreign.pk}/labels/x").status_code,
    ]

    assert answers == [404] * 7
    assert foreign.messages.count() == 1


def test_status_change_is_recorded(anna_api: Client, conversation: Conversation) -> None:
    response = post(
        anna_api, conversation, "status", {"status": "resolved", "no_reply_reason": "spam"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    (entry,) = activities(anna_api, conversation)
    assert entry["activity"] == {
        "verb": "status_changed",
        "from": "open",
        "to": "resolved",
        "no_reply_needed": {"count": 1, "reason": "spam"},
    }


def test_resolving_while_the_customer_waits_is_409(
    anna_api: Client, conversation: Conversation
) -> None:
    response = post(anna_api, conversation, "status", {"status": "resolved"})
    pending = post(anna_api, conversation, "status", {"status": "pending"})

    assert response.status_code == 409
    assert response.json() == {
        "error": "1 customer message is still waiting for an answer. Reply first, or say why "
        "no reply is needed (no_reply_reason).",
        "field": "no_reply_reason",
    }
    assert pending.status_code == 409
    assert activities(anna_api, conversation) == []


def test_snooze_needs_a_future_time(anna_api: Client, conversation: Conversation) -> None:
    missing = post(anna_api, conversation, "status", {"status": "snoozed"})
    past = post(
        anna_api,
        conversation,
        "status",
        {"status": "snoozed", "snoozed_until": "2020-01-01T09:00:00+01:00"},
    )

    assert (missing.status_code, missing.json()["field"]) == (400, "snoozed_until")
    assert (past.status_code, past.json()["field"]) == (400, "snoozed_until")
    assert activities(anna_api, conversation) == []


def test_snooze_until_tomorrow(anna_api: Client, conversation: Conversation) -> None:
    until = (timezone.now() + timedelta(days=1)).replace(microsecond=0)

    response = post(
        anna_api, conversation, "status", {"status": "snoozed", "snoozed_until": until.isoformat()}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "snoozed"
    (entry,) = activities(anna_api, conversation)
    assert entry["activity"]["until"] == until.isoformat()


def test_unknown_status_is_422_naming_status(anna_api: Client, conversation: Conversation) -> None:
    response = post(anna_api, conversation, "status", {"status": "closed"})

    assert response.status_code == 422
    assert response.json()["field"] == "status"
    assert "resolved" in response.json()["error"]


def test_priority_change_is_recorded(anna_api: Client, conversation: Conversation) -> None:
    response = post(anna_api, conversation, "priority", {"priority": 4})

    assert response.status_code == 200
    assert response.json()["priority"] == 4
    (entry,) = activities(anna_api, conversation)
    assert entry["activity"] == {"verb": "priority_changed", "from": 0, "to": 4}


def test_priority_out_of_range_is_422(anna_api: Client, conversation: Conversation) -> None:
    response = post(anna_api, conversation, "priority", {"priority": 9})

    assert response.status_code == 422
    assert response.json()["field"] == "priority"


def test_labels_added_and_removed_are_recorded(
    anna_api: Client, conversation: Conversation
) -> None:
    added = post(anna_api, conversation, "labels", {"labels": ["factuur", "slagboom"]})
    removed = anna_api.delete(f"/api/v1/conversations/{conversation.pk}/labels/factuur")

    assert added.status_code == 200
    assert added.json()["labels"] == ["factuur", "slagboom"]
    assert removed.status_code == 200
    assert removed.json()["labels"] == ["slagboom"]
    assert [e["activity"] for e in activities(anna_api, conversation)] == [
        {"verb": "labels_added", "labels": ["factuur", "slagboom"]},
        {"verb": "label_removed", "labels": ["factuur"]},
    ]


def test_removing_a_label_the_conversation_lacks_is_404(
    anna_api: Client, conversation: Conversation
) -> None:
    response = anna_api.delete(f"/api/v1/conversations/{conversation.pk}/labels/factuur")

    assert response.status_code == 404
    assert response.json()["field"] == "name"


def test_empty_or_too_long_labels_are_refused(anna_api: Client, conversation: Conversation) -> None:
    blank = post(anna_api, conversation, "labels", {"labels": ["  "]})
    too_long = post(anna_api, conversation, "labels", {"labels": ["x" * 51]})
    none = post(anna_api, conversation, "labels", {"labels": []})

    assert (blank.status_code, blank.json()["field"]) == (400, "labels")
    assert (too_long.status_code, too_long.json()["field"]) == (400, "labels")
    assert (none.status_code, none.json()["field"]) == (422, "labels")


def test_note_is_201_and_internal(anna_api: Client, conversation: Conversation) -> None:
    response = post(anna_api, conversation, "notes", {"text": "Klant belt morgen terug"})

    assert response.status_code == 201
    note = response.json()
    assert (note["kind"], note["public"], note["text"]) == (
        "note",
        False,
        "Klant belt morgen terug",
    )
    timeline = anna_api.get(f"/api/v1/conversations/{conversation.pk}").json()["messages"]
    assert timeline[-1]["id"] == note["id"]


def test_empty_note_is_400_naming_text(anna_api: Client, conversation: Conversation) -> None:
    response = post(anna_api, conversation, "notes", {"text": "   "})

    assert response.status_code == 400
    assert response.json() == {"error": "Write a note before saving it.", "field": "text"}


def test_missing_field_is_422_naming_it(anna_api: Client, conversation: Conversation) -> None:
    response = post(anna_api, conversation, "notes", {})

    assert response.status_code == 422
    assert response.json() == {"error": "text: Field required", "field": "text"}


def test_malformed_json_is_400(anna_api: Client, conversation: Conversation) -> None:
    response = post(anna_api, conversation, "notes", "{not json")

    assert response.status_code == 400
    assert response.json()["error"]
