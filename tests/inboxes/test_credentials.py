"""Channel credentials are encrypted in the database and readable only with the key."""

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tests.factories import InboxFactory
from webcare.accounts.models import Account
from webcare.core.errors import ActionError
from webcare.inboxes import credentials
from webcare.inboxes.actions import do_update_settings
from webcare.inboxes.models import Inbox


@pytest.fixture(autouse=True)
def fresh_key_cache() -> Iterator[None]:
    credentials._fernet.cache_clear()
    yield
    credentials._fernet.cache_clear()


def stored_settings(inbox: Inbox) -> str:
    """The settings column exactly as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT settings FROM inboxes_inbox WHERE id = %s", [inbox.pk])
        return str(cursor.fetchone()[0])


def test_a_token_is_stored_encrypted_and_read_back_plain(account: Account) -> None:
    inbox = InboxFactory(account=account, kind="x")

    do_update_settings(inbox, {"bearer_token": "AAAA-very-secret", "user_id": "42"})

    raw = stored_settings(inbox)
    assert "AAAA-very-secret" not in raw and "enc:v1:" in raw
    assert '"42"' in raw  # not a credential: stays readable
    assert Inbox.objects.get(pk=inbox.pk).setting("bearer_token") == "AAAA-very-secret"


def test_a_value_saved_before_encryption_is_read_as_it_is(account: Account) -> None:
    inbox = InboxFactory(account=account, kind="x", settings={"bearer_token": "plain"})

    assert inbox.setting("bearer_token") == "plain"
    do_update_settings(inbox, {"user_id": "1"})
    assert "plain" not in stored_settings(inbox)


def test_the_key_from_the_environment_can_be_rotated(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(credentials.ENV_KEY, old)
    inbox = InboxFactory(account=account, kind="x")
    do_update_settings(inbox, {"app_secret": "s3cret"})

    credentials._fernet.cache_clear()
    monkeypatch.setenv(credentials.ENV_KEY, f"{new},{old}")
    assert Inbox.objects.get(pk=inbox.pk).setting("app_secret") == "s3cret"

    credentials._fernet.cache_clear()
    monkeypatch.setenv(credentials.ENV_KEY, new)
    with pytest.raises(ActionError, match="cannot be decrypted with the current key"):
        Inbox.objects.get(pk=inbox.pk).setting("app_secret")


def test_a_malformed_key_is_refused_with_how_to_make_one(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(credentials.ENV_KEY, "not-a-key")

    with pytest.raises(ActionError, match=r"Fernet\.generate_key"):
        credentials.encrypt("x")


def test_masked_shows_only_the_end_of_a_credential() -> None:
    shown = credentials.masked({"access_token": "EAAB1234567890", "phone_number_id": "106"})

    assert shown == {"access_token": "…7890", "phone_number_id": "106"}
