"""What the pages give live.js: the account, the open conversation, and its words."""

from django.test import Client

from tests.conftest import WebhookClient, message_payload
from tests.factories import UserFactory
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation


def test_the_workspace_names_the_account_and_the_open_conversation(
    account: Account, agent_anna: User, webhook: WebhookClient
) -> None:
    webhook.post(message_payload("m-1"))
    conversation = Conversation.objects.get()
    client = Client()
    client.force_login(agent_anna)

    page = client.get(f"/a/{account.pk}/c/{conversation.display_id}/").content.decode()

    assert f'data-account="{account.pk}"' in page
    assert f'data-me="{agent_anna.pk}"' in page
    assert f'data-conversation="{conversation.display_id}"' in page
    assert f'data-display-id="{conversation.display_id}"' in page
    assert "data-presence" in page
    assert 'data-viewing="%(name)s is viewing"' in page
    assert "web/live.js" in page


def test_a_dutch_agent_gets_the_live_words_in_dutch(account: Account) -> None:
    daan = UserFactory(username="daan", first_name="Daan", language="nl", account=account)
    client = Client()
    client.force_login(daan)

    page = client.get(f"/a/{account.pk}/conversations/").content.decode()

    assert 'data-viewing="%(name)s kijkt mee"' in page
    assert 'data-typing="%(name)s typt…"' in page
    assert "opnieuw verbinden" in page
