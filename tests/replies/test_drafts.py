"""Drafts, through the actions and through `/api/v1/conversations/{id}/draft`, on data
ingested the real way: a draft is one person's, survives until sent, and stays in its
tenant."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import bearer_client
from tests.factories import AccountFactory, InboxFactory, UserFactory
from webcare.accounts.models import User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import check_add_note, receive_message
from webcare.conversations.models import Conversation
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.replies.drafts import (
    MAX_DRAFT_LENGTH,
    StaleDraft,
    discard_draft,
    draft_for,
    save_draft,
)
from webcare.replies.models import Draft


def customer_post(inbox: Inbox, external_id: str, text: str) -> Conversation:
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id=external_id,
            author=Author(external_id="42", handle="marloes_vd", name="Marloes"),
            text=text,
            created_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
            public=True,
        ),
    )
    return message.conversation


@pytest.fixture
def conversation(x_inbox: Inbox) -> Conversation:
    return customer_post(x_inbox, "1860000000000000001", "@ParkeerCentraal slagboom P2 is dicht")


@pytest.fixture
def anna_api(agent_anna: User) -> Client:
    return bearer_client(agent_anna)


def newest_message_id(conversation: Conversation) -> int:
    return conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]


def draft_url(conversation: Conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/draft"


def put(client: Client, conversation: Conversation, **body: Any) -> Any:
    return client.put(draft_url(conversation), body, content_type="application/json")


# --- The actions ---


def test_saving_twice_keeps_one_draft_with_the_latest_text(
    agent_anna: User, conversation: Conversation
) -> None:
    seen = newest_message_id(conversation)

    save_draft(agent_anna, conversation, "Vervelend! De", seen)
    save_draft(agent_anna, conversation, "Vervelend! De monteur komt eraan.\n^Anna ", seen)

    draft = draft_for(agent_anna, conversation)
    assert draft is not None
    assert draft.text == "Vervelend! De monteur komt eraan.\n^Anna "
    assert draft.seen_message_id == seen
    assert Draft.objects.count() == 1


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_or_whitespace_text_deletes_the_draft(
    agent_anna: User, conversation: Conversation, text: str
) -> None:
    save_draft(agent_anna, conversation, "Vervelend!")

    assert save_draft(agent_anna, conversation, text) is None

    assert draft_for(agent_anna, conversation) is None


def test_text_over_the_maximum_is_refused_and_keeps_the_old_draft(
    agent_anna: User, conversation: Conversation
) -> None:
    save_draft(agent_anna, conversation, "Vervelend!")

    with pytest.raises(ActionError) as refused:
        save_draft(agent_anna, conversation, "a" * (MAX_DRAFT_LENGTH + 1))

    assert refused.value.field == "text"
    assert refused.value.status == 400
    assert "1 characters too long" in refused.value.message
    assert draft_for(agent_anna, conversation).text == "Vervelend!"  # type: ignore[union-attr]
    assert save_draft(agent_anna, conversation, "a" * MAX_DRAFT_LENGTH) is not None


def test_sending_a_reply_deletes_only_the_authors_draft(
    agent_anna: User, lead_lars: User, conversation: Conversation
) -> None:
    seen = newest_message_id(conversation)
    save_draft(agent_anna, conversation, "De monteur komt eraan.", seen)
    save_draft(lead_lars, conversation, "Welke slagboom precies?", seen)

    check_send_reply(
        agent_anna, conversation, "De monteur komt eraan.", expected_last_message_id=seen
    )

    assert draft_for(agent_anna, conversation) is None
    assert draft_for(lead_lars, conversation).text == "Welke slagboom precies?"  # type: ignore[union-attr]


def test_a_refused_reply_keeps_the_draft(agent_anna: User, conversation: Conversation) -> None:
    seen = newest_message_id(conversation)
    save_draft(agent_anna, conversation, "a" * 281, seen)

    with pytest.raises(ActionError):
        check_send_reply(agent_anna, conversation, "a" * 281, expected_last_message_id=seen)

    assert draft_for(agent_anna, conversation).text == "a" * 281  # type: ignore[union-attr]


def test_a_save_from_before_the_authors_own_reply_is_refused(
    agent_anna: User, lead_lars: User, conversation: Conversation
) -> None:
    """A save still under way when the reply went out must not bring the sent text back."""
    seen = newest_message_id(conversation)
    check_send_reply(agent_anna, conversation, "Komt eraan.", expected_last_message_id=seen)

    with pytest.raises(StaleDraft) as refused:
        save_draft(agent_anna, conversation, "Komt eraan.", seen)

    assert refused.value.status == 409
    assert refused.value.field == "seen_message_id"
    assert draft_for(agent_anna, conversation) is None
    # A colleague's reply is no reason: Lars's draft is still worth keeping.
    assert save_draft(lead_lars, conversation, "Welke slagboom?", seen) is not None
    # Nor is a save from the page the reply brought: it has seen the reply.
    assert save_draft(agent_anna, conversation, "Nog iets", newest_message_id(conversation))


def test_a_save_from_before_the_authors_own_note_is_refused(
    agent_anna: User, conversation: Conversation
) -> None:
    seen = newest_message_id(conversation)
    check_add_note(agent_anna, conversation, "Storing gemeld, melding 4471.")

    with pytest.raises(StaleDraft):
        save_draft(agent_anna, conversation, "Storing gemeld, melding 4471.", seen)


def test_seen_message_of_another_conversation_is_refused(
    agent_anna: User, conversation: Conversation, x_inbox: Inbox
) -> None:
    other = customer_post(x_inbox, "1860000000000000099", "Andere vraag")

    with pytest.raises(ActionError) as refused:
        save_draft(agent_anna, conversation, "Hoi", newest_message_id(other))

    assert refused.value.field == "seen_message_id"
    assert draft_for(agent_anna, conversation) is None


def test_discard_says_whether_there_was_a_draft(
    agent_anna: User, conversation: Conversation
) -> None:
    save_draft(agent_anna, conversation, "Hoi")

    assert discard_draft(agent_anna, conversation) is True
    assert discard_draft(agent_anna, conversation) is False


# --- The API ---


def test_put_then_get_returns_the_draft(anna_api: Client, conversation: Conversation) -> None:
    seen = newest_message_id(conversation)

    saved = put(anna_api, conversation, text="Vervelend! De", seen_message_id=seen)
    updated = put(anna_api, conversation, text="Vervelend! De monteur komt.", seen_message_id=seen)
    fetched = anna_api.get(draft_url(conversation))

    assert saved.status_code == 200
    assert updated.status_code == 200
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["conversation_id"] == conversation.pk
    assert body["text"] == "Vervelend! De monteur komt."
    assert body["seen_message_id"] == seen
    assert body["updated_at"] == updated.json()["updated_at"]
    assert Draft.objects.count() == 1


def test_seen_message_id_is_optional(anna_api: Client, conversation: Conversation) -> None:
    response = put(anna_api, conversation, text="Hoi")

    assert response.status_code == 200
    assert response.json()["seen_message_id"] is None


def test_get_without_a_draft_is_404_with_the_error_shape(
    anna_api: Client, conversation: Conversation
) -> None:
    response = anna_api.get(draft_url(conversation))

    assert response.status_code == 404
    assert response.json() == {"error": "You have no draft in this conversation.", "field": None}


def test_put_of_empty_text_deletes_the_draft(anna_api: Client, conversation: Conversation) -> None:
    put(anna_api, conversation, text="Hoi")

    response = put(anna_api, conversation, text="  \n ")

    assert response.status_code == 204
    assert anna_api.get(draft_url(conversation)).status_code == 404


def test_put_of_too_long_text_is_400_naming_text(
    anna_api: Client, conversation: Conversation
) -> None:
    put(anna_api, conversation, text="Hoi")

    response = put(anna_api, conversation, text="a" * (MAX_DRAFT_LENGTH + 5))

    assert response.status_code == 400
    assert response.json()["field"] == "text"
    assert "5 characters too long" in response.json()["error"]
    assert anna_api.get(draft_url(conversation)).json()["text"] == "Hoi"


def test_put_without_text_is_422_naming_text(anna_api: Client, conversation: Conversation) -> None:
    response = put(anna_api, conversation, seen_message_id=newest_message_id(conversation))

    assert response.status_code == 422
    assert response.json()["field"] == "text"


def test_put_from_before_your_own_reply_is_409(
    anna_api: Client, conversation: Conversation
) -> None:
    seen = newest_message_id(conversation)
    sent = anna_api.post(
        f"/api/v1/conversations/{conversation.pk}/replies",
        {"text": "Komt eraan.", "expected_last_message_id": seen},
        content_type="application/json",
    )

    response = put(anna_api, conversation, text="Komt eraan.", seen_message_id=seen)

    assert sent.status_code == 201
    assert response.status_code == 409
    assert response.json()["field"] == "seen_message_id"


def test_delete_is_204_also_when_there_is_nothing(
    anna_api: Client, conversation: Conversation
) -> None:
    put(anna_api, conversation, text="Hoi")

    first = anna_api.delete(draft_url(conversation))
    second = anna_api.delete(draft_url(conversation))

    assert (first.status_code, second.status_code) == (204, 204)
    assert anna_api.get(draft_url(conversation)).status_code == 404


def test_sending_a_reply_through_the_api_deletes_the_draft(
    anna_api: Client, conversation: Conversation
) -> None:
    seen = newest_message_id(conversation)
    put(anna_api, conversation, text="De monteur komt eraan.", seen_message_id=seen)

    sent = anna_api.post(
        f"/api/v1/conversations/{conversation.pk}/replies",
        {"text": "De monteur komt eraan.", "expected_last_message_id": seen},
        content_type="application/json",
    )

    assert sent.status_code == 201
    assert anna_api.get(draft_url(conversation)).status_code == 404


def test_another_users_draft_is_not_visible(
    anna_api: Client, lead_lars: User, conversation: Conversation
) -> None:
    lars_api = bearer_client(lead_lars)
    put(lars_api, conversation, text="Lars schrijft dit.")

    assert anna_api.get(draft_url(conversation)).status_code == 404
    put(anna_api, conversation, text="Anna schrijft dit.")
    anna_api.delete(draft_url(conversation))
    assert lars_api.get(draft_url(conversation)).json()["text"] == "Lars schrijft dit."


def test_another_accounts_conversation_is_404_and_untouched(anna_api: Client) -> None:
    other_account = AccountFactory(name="Fietsenstalling Oost")
    other_inbox = InboxFactory(
        account=other_account, kind="x", name="@Stalling", settings={"sandbox": True}
    )
    theirs = customer_post(other_inbox, "1860000000000000500", "Mijn fiets is weg")
    owner = UserFactory(username="olga", account=other_account)
    save_draft(owner, theirs, "Olga's concept")

    got = anna_api.get(draft_url(theirs))
    put_response = put(anna_api, theirs, text="Overgenomen!")
    deleted = anna_api.delete(draft_url(theirs))

    for response in (got, put_response, deleted):
        assert response.status_code == 404
        assert response.json() == {"error": "No such conversation", "field": None}
    assert list(Draft.objects.values_list("user__username", "text")) == [("olga", "Olga's concept")]


def test_drafts_need_a_token(conversation: Conversation) -> None:
    response = Client().get(draft_url(conversation))

    assert response.status_code == 401
