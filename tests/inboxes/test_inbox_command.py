"""`webcare inbox promises`: setting promises and hours from the command line."""

import json
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.factories import InboxFactory
from webcare.inboxes.models import Inbox


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def inbox(db: None) -> Inbox:
    return InboxFactory(name="Webcare X")


def promises(inbox: Inbox, *args: str) -> dict[str, object]:
    out = StringIO()
    call_command("inbox", "promises", str(inbox.pk), *args, stdout=out)
    return json.loads(out.getvalue())


def test_sets_promises_hours_and_holidays(inbox: Inbox) -> None:
    result = promises(
        inbox,
        "--first-response", "30",
        "--next-response", "none",
        "--resolution", "2880",
        "--hours", "mon-fri 08:00-22:00; sat 09:00-17:00; sun closed",
        "--timezone", "Europe/Berlin",
        "--holidays", "de-by",
    )  # fmt: skip

    assert result["first_response_minutes"] == 30
    assert result["next_response_minutes"] is None
    assert result["resolution_minutes"] == 2880
    assert result["hours"] == "mon-fri 08:00-22:00; sat 09:00-17:00; sun closed"
    assert (result["holiday_country"], result["holiday_subdivision"]) == ("DE", "BY")
    inbox.refresh_from_db()
    assert inbox.opening_hours["sat"] == [["09:00", "17:00"]]
    assert inbox.timezone == "Europe/Berlin"


def test_without_options_it_shows_the_current_promises(inbox: Inbox) -> None:
    result = promises(inbox)

    assert result["first_response_minutes"] == 60
    assert result["hours"] == "24/7"


def test_errors_name_the_option_and_the_problem(inbox: Inbox) -> None:
    with pytest.raises(CommandError, match=r"^--hours: tue: 22:00-08:00 ends before it starts"):
        promises(inbox, "--hours", "tue 22:00-08:00")
    with pytest.raises(CommandError, match=r"^--holidays: No public holidays are known"):
        promises(inbox, "--holidays", "XX")
    with pytest.raises(CommandError, match=r"^--first-response: Give a whole number"):
        promises(inbox, "--first-response", "soon")
    with pytest.raises(CommandError, match=r"^No inbox 999999\."):
        call_command("inbox", "promises", "999999", stdout=StringIO())
    inbox.refresh_from_db()
    assert inbox.opening_hours == {}
