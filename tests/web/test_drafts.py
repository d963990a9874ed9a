"""The composer's draft through Django's test client: autosave answers, the page fills the
composer with the draft, and what sends or discards it."""

from datetime import UTC, datetime

import pytest

from tests.conftest import logged_in
from tests.factories import AccountFactory, UserFactory
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Conversation
from webcare.inboxes.models import Inbox
from webcare.replies.drafts import MAX_DRAFT_LENGTH, draft_for, save_draft


@pytest.fixture
def conversation(x_inbox: Inbox) -> Conversation:
    message, _ = receive_message(
        x_inbox,
        InboundMessage(
            external_id="1860000000000000001",
            author=Author(external_id="42", handle="marloes_vd", name="Marloes"),
            text="@ParkeerCentraal de slagboom bij P2 gaat niet open",
            created_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
            public=True,
        ),
    )
    return message.conversation


def url(account: Account, conversation: Conversation, suffix: str = "") -> str:
    return f"/a/{account.pk}/c/{conversation.display_id}/{suffix}"


def seen(conversation: Conversation) -> int:
    return conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]


def test_autosave_answers_the_status_line(
    account: Account, agent_anna: User, conversation: Conversation
) -> None:
    response = logged_in(agent_anna).post(
        url(account, conversation, "draft/?view=mine"),
        {"text": "Vervelend! De monteur", "seen_message_id": seen(conversation)},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="draft-status"' in html
    assert "Draft saved " in html
    assert f"/c/{conversation.display_id}/draft/discard/?view=mine" in html
    assert draft_for(agent_anna, conversation).text == "Vervelend! De monteur"  # type: ignore[union-attr]


def test_autosave_speaks_dutch_to_a_dutch_agent(
    account: Account, agent_anna: User, conversation: Conversation
) -> None:
    agent_anna.language = "nl"
    agent_anna.save()

    response = logged_in(agent_anna).post(
        url(account, conversation, "draft/"), {"text": "Vervelend!"}
    )

    assert "Concept opgeslagen " in response.content.decode()


def test_autosave_of_too_long_text_says_why_and_keeps_the_draft(
    account: Account, agent_anna: User, conversation: Conversation
) -> None:
    save_draft(agent_anna, conversation, "Vervelend!")

    response = logged_in(agent_anna).post(
        url(account, conversation, "draft/"), {"text": "a" * (MAX_DRAFT_LENGTH + 1)}
    )

    assert response.status_code == 400
    assert "Draft not saved: it is longer than 20000 characters." in response.content.decode()
    assert draft_for(agent_anna, conversation).text == "Vervelend!"  # type: ignore[union-attr]


def test_the_conversation_opens_with_the_draft_in_the_composer(
    account: Account, agent_anna: User, lead_lars: User, conversation: Conversation
) -> None:
    save_draft(agent_anna, conversation, "Vervelend! <De monteur> komt.", seen(conversation))
    save_draft(lead_lars, conversation, "Lars zijn concept")

    page = logged_in(agent_anna).get(url(account, conversation)).content.decode()

    assert "Vervelend! &lt;De monteur&gt; komt.</textarea>" in page
    assert "Lars zijn concept" not in page
    assert "Draft saved" in page
    assert "29 / 280" in page  # the counter counts the draft
    # The collision guard still names the newest message the page shows.
    assert f'name="expected_last_message_id" value="{seen(conversation)}"' in page


def test_sending_the_reply_empties_the_composer_for_good(
    account: Account, agent_anna: User, conversation: Conversation
) -> None:
    client = logged_in(agent_anna)
    client.post(url(account, conversation, "draft/"), {"text": "De monteur komt eraan."})

    sent = client.post(
        url(account, conversation, "compose/"),
        {
            "mode": "reply",
            "text": "De monteur komt eraan.",
            "expected_last_message_id": seen(conversation),
        },
    )

    assert sent.status_code == 303
    assert draft_for(agent_anna, conversation) is None
    assert "></textarea>" in client.get(url(account, conversation)).content.decode()


def test_adding_a_note_from_the_composer_discards_its_draft(
    account: Account, agent_anna: User, conversation: Conversation
) -> None:
    client = logged_in(agent_anna)
    client.post(url(account, conversation, "draft/"), {"text": "Melding 4471"})

    client.post(url(account, conversation, "compose/"), {"mode": "note", "text": "Melding 4471"})

    assert draft_for(agent_anna, conversation) is None


def test_discard_deletes_the_draft_and_goes_back_to_the_conversation(
    account: Account, agent_anna: User, conversation: Conversation
) -> None:
    save_draft(agent_anna, conversation, "Weg ermee")

    response = logged_in(agent_anna).post(url(account, conversation, "draft/discard/?view=all"))

    assert response.status_code == 303
    assert response["Location"] == url(account, conversation) + "?view=all"
    assert draft_for(agent_anna, conversation) is None


def test_drafts_of_another_accounts_conversation_are_404(
    account: Account, conversation: Conversation
) -> None:
    stranger = UserFactory(username="olga", account=AccountFactory(name="Fietsenstalling Oost"))
    client = logged_in(stranger)

    assert client.post(url(account, conversation, "draft/"), {"text": "Hoi"}).status_code == 404
    assert client.post(url(account, conversation, "draft/discard/")).status_code == 404
    assert draft_for(stranger, conversation) is None
