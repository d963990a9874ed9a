"""update_inbox_promises: who may change promises, and what it refuses."""

from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.factories import InboxFactory
from webcare.accounts.models import Account, User
from webcare.core.errors import ActionError
from webcare.inboxes.actions import update_inbox_promises
from webcare.inboxes.models import Inbox


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def inbox(account: Account) -> Inbox:
    return InboxFactory(account=account)


def test_lead_changes_promises_and_text_hours_are_stored_as_the_table(
    lead_lars: User, inbox: Inbox
) -> None:
    update_inbox_promises(
        lead_lars, inbox, first_response_minutes=20, opening_hours="mon 9-17", holiday_country="be"
    )

    inbox.refresh_from_db()
    assert inbox.first_response_minutes == 20
    assert inbox.opening_hours["mon"] == [["09:00", "17:00"]]
    assert inbox.opening_hours["tue"] == []
    assert inbox.holiday_country == "BE"


def test_agent_may_not(agent_anna: User, inbox: Inbox) -> None:
    with pytest.raises(ActionError) as raised:
        update_inbox_promises(agent_anna, inbox, first_response_minutes=5)

    assert raised.value.status == 403
    inbox.refresh_from_db()
    assert inbox.first_response_minutes == 60


def test_refusals_name_the_field(lead_lars: User, inbox: Inbox) -> None:
    refusals = [
        ({"first_response_minutes": 0}, "first_response_minutes", "Give between 1 and"),
        ({"warn_before_minutes": None}, "warn_before_minutes", "Give a number of minutes."),
        ({"opening_hours": {"mon": []}}, "opening_hours", "The inbox would be closed"),
        ({"holiday_country": "NL", "holiday_subdivision": "BY"}, "holiday_subdivision", "NL"),
        ({"colour": "red"}, None, "Unknown setting colour"),
    ]
    for fields, field, message in refusals:
        with pytest.raises(ActionError) as raised:
            update_inbox_promises(lead_lars, inbox, **fields)
        assert raised.value.field == field
        assert raised.value.message.startswith(message)
