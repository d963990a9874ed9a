"""Business-hours counting: weekends, holidays per country, DST, other zones, and parsing."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.factories import InboxFactory
from webcare.core.errors import ActionError
from webcare.inboxes import business_hours
from webcare.inboxes.business_hours import (
    BusinessCalendar,
    parse_opening_hours,
    validate_calendar_settings,
)

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
WEEKDAYS_8_22 = "mon-fri 08:00-22:00; sat-sun closed"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def weekdays(country: str = "NL", subdivision: str = "") -> BusinessCalendar:
    return BusinessCalendar(
        parse_opening_hours(WEEKDAYS_8_22), "Europe/Amsterdam", country, subdivision
    )


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_around_the_clock_counts_wall_clock_minutes_and_ignores_holidays() -> None:
    calendar = BusinessCalendar({}, "Europe/Amsterdam", "NL")
    christmas = local(AMS, 2026, 12, 25, 23, 50)

    assert calendar.add_minutes(christmas, 90) == christmas + timedelta(minutes=90)
    assert calendar.is_open(christmas)
    assert calendar.next_opening(christmas) is None
    assert calendar.minutes_between(christmas, christmas + timedelta(hours=2)) == 120


def test_friday_evening_message_is_due_monday_morning() -> None:
    friday = local(AMS, 2026, 3, 6, 21, 50)

    due = weekdays().add_minutes(friday, 30)

    assert due == local(AMS, 2026, 3, 9, 8, 20)
    assert due is not None
    assert due.tzinfo == UTC


def test_start_outside_hours_counts_from_next_opening() -> None:
    calendar = weekdays()
    saturday = local(AMS, 2026, 3, 7, 12, 0)

    assert not calendar.is_open(saturday)
    assert calendar.next_opening(saturday) == local(AMS, 2026, 3, 9, 8, 0)
    assert calendar.add_minutes(saturday, 0) == local(AMS, 2026, 3, 9, 8, 0)
    assert calendar.add_minutes(saturday, 15) == local(AMS, 2026, 3, 9, 8, 15)


def test_closing_time_is_closed_and_opening_time_is_open() -> None:
    calendar = weekdays()

    assert calendar.is_open(local(AMS, 2026, 3, 9, 8, 0))
    assert not calendar.is_open(local(AMS, 2026, 3, 9, 22, 0))
    assert calendar.next_opening(local(AMS, 2026, 3, 9, 9, 0)) == local(AMS, 2026, 3, 9, 9, 0)


def test_kings_day_is_closed_in_the_netherlands() -> None:
    friday_before = local(AMS, 2026, 4, 24, 21, 50)

    assert not weekdays().is_open(local(AMS, 2026, 4, 27, 12, 0))
    assert weekdays().add_minutes(friday_before, 30) == local(AMS, 2026, 4, 28, 8, 20)
    assert weekdays(country="").add_minutes(friday_before, 30) == local(AMS, 2026, 4, 27, 8, 20)


def test_christmas_is_closed_in_the_netherlands() -> None:
    christmas_eve = local(AMS, 2026, 12, 24, 21, 50)

    assert weekdays().add_minutes(christmas_eve, 30) == local(AMS, 2026, 12, 28, 8, 20)
    assert weekdays().minutes_between(christmas_eve, local(AMS, 2026, 12, 28, 8, 20)) == 30


def test_belgian_and_german_holidays_differ_from_dutch_ones() -> None:
    belgian_national_day = local(AMS, 2026, 7, 21, 12, 0)
    german_unity_day = local(AMS, 2026, 10, 2, 12, 0)  # a Friday; Unity Day is the 3rd in 2026
    corpus_christi = local(AMS, 2026, 6, 4, 12, 0)

    assert not weekdays("BE").is_open(belgian_national_day)
    assert weekdays("NL").is_open(belgian_national_day)
    assert weekdays("DE").is_open(belgian_national_day)
    assert weekdays("DE").is_open(german_unity_day)
    assert not weekdays("DE", "BY").is_open(corpus_christi)
    assert weekdays("DE", "BE").is_open(corpus_christi)


def every_day(hours: str) -> BusinessCalendar:
    return BusinessCalendar(parse_opening_hours(f"mon-sun {hours}"), "Europe/Amsterdam")


def test_spring_forward_day_has_one_hour_less_of_opening() -> None:
    calendar = every_day("00:00-24:00")
    night = BusinessCalendar(parse_opening_hours("sun 01:00-04:00"), "Europe/Amsterdam")
    sunday = local(AMS, 2026, 3, 29, 0, 0)

    assert calendar.minutes_between(sunday, local(AMS, 2026, 3, 30, 0, 0)) == 23 * 60
    assert night.minutes_between(sunday, local(AMS, 2026, 3, 30, 0, 0)) == 120
    assert night.add_minutes(sunday, 90) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_fall_back_day_has_one_hour_more_of_opening() -> None:
    calendar = every_day("00:00-24:00")
    night = BusinessCalendar(parse_opening_hours("sun 01:00-04:00"), "Europe/Amsterdam")
    sunday = local(AMS, 2026, 10, 25, 0, 0)

    assert calendar.minutes_between(sunday, local(AMS, 2026, 10, 26, 0, 0)) == 25 * 60
    assert night.minutes_between(sunday, local(AMS, 2026, 10, 26, 0, 0)) == 240
    assert night.add_minutes(sunday, 239) == datetime(2026, 10, 25, 2, 59, tzinfo=UTC)


def test_promise_across_the_clock_change_lands_on_local_opening_time() -> None:
    calendar = every_day("08:00-22:00")
    saturday = local(AMS, 2026, 3, 28, 21, 50)

    due = calendar.add_minutes(saturday, 30)

    assert due == datetime(2026, 3, 29, 6, 20, tzinfo=UTC)  # 08:20 summer time
    assert calendar.minutes_between(saturday, local(AMS, 2026, 3, 29, 8, 20)) == 30


def test_new_york_inbox_counts_in_its_own_zone_with_american_holidays() -> None:
    calendar = BusinessCalendar(
        parse_opening_hours("mon-fri 09:00-17:00"), "America/New_York", "US"
    )
    thursday = local(NYC, 2026, 7, 2, 16, 50)

    due = calendar.add_minutes(thursday, 30)

    # Friday 3 July is Independence Day (observed).
    assert due == local(NYC, 2026, 7, 6, 9, 20)
    assert due == datetime(2026, 7, 6, 13, 20, tzinfo=UTC)
    assert calendar.is_open(datetime(2026, 3, 9, 13, 30, tzinfo=UTC))  # 09:30 EDT, a week
    assert not calendar.is_open(datetime(2026, 3, 9, 12, 30, tzinfo=UTC))  # ahead of Europe


def test_interval_may_end_at_midnight() -> None:
    hours = parse_opening_hours("mon 20:00-24:00; tue 00:00-02:00")
    calendar = BusinessCalendar(hours, "Europe/Amsterdam")
    monday = local(AMS, 2026, 3, 9, 23, 50)

    assert hours["mon"] == [["20:00", "24:00"]]
    assert calendar.is_open(monday)
    assert calendar.add_minutes(monday, 30) == local(AMS, 2026, 3, 10, 0, 20)
    assert calendar.minutes_between(local(AMS, 2026, 3, 9, 0, 0), monday) == 230


def test_never_open_calendar_gives_no_due_time() -> None:
    calendar = BusinessCalendar({"mon": []}, "Europe/Amsterdam", "NL")
    now = local(AMS, 2026, 3, 9, 12, 0)

    assert calendar.add_minutes(now, 30) is None
    assert calendar.next_opening(now) is None
    assert calendar.minutes_between(now, now + timedelta(days=30)) == 0
    assert not calendar.is_open(now)


def test_add_minutes_walks_day_by_day(monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = weekdays()
    days_visited = 0
    spans_on = BusinessCalendar._spans_on

    def counting(self: BusinessCalendar, day: object) -> object:
        nonlocal days_visited
        days_visited += 1
        return spans_on(self, day)  # type: ignore[arg-type]

    monkeypatch.setattr(BusinessCalendar, "_spans_on", counting)
    four_weeks_of_work = 4 * 5 * 14 * 60

    due = calendar.add_minutes(local(AMS, 2026, 2, 2, 8, 0), four_weeks_of_work)

    assert due == local(AMS, 2026, 2, 27, 22, 0)
    assert days_visited < 35


def test_holidays_are_built_once_per_region_and_year() -> None:
    business_hours._holiday_dates.cache_clear()

    weekdays("BE").is_open(local(AMS, 2026, 7, 21, 12, 0))
    weekdays("BE").is_open(local(AMS, 2026, 7, 22, 12, 0))

    assert business_hours._holiday_dates.cache_info().misses == 1


@pytest.mark.parametrize(
    ("hours", "zone", "country"),
    [
        (WEEKDAYS_8_22, "Europe/Amsterdam", "NL"),
        ("mon-fri 08:30-12:00, 13:00-17:30; sat 10:00-14:00", "Europe/Amsterdam", "NL"),
        ("sat-sun 00:00-24:00; mon 22:00-24:00; tue 00:00-03:00", "America/New_York", "US"),
    ],
)
def test_minutes_between_inverts_add_minutes(hours: str, zone: str, country: str) -> None:
    calendar = BusinessCalendar(parse_opening_hours(hours), zone, country)
    rng = random.Random(20260329)
    year_start = datetime(2026, 1, 1, tzinfo=UTC)

    for _ in range(300):
        start = year_start + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        minutes = rng.randrange(0, 6000)
        due = calendar.add_minutes(start, minutes)
        assert due is not None
        assert calendar.minutes_between(start, due) == minutes, (start, minutes, due)
        assert calendar.add_minutes(start, calendar.minutes_between(start, due)) == due
        assert calendar.is_open(due - timedelta(seconds=1)) or minutes == 0


def test_parse_normalises_the_json_table() -> None:
    hours = parse_opening_hours(
        {"Mon": [["13:00", "17:00"], ["8:00", "12:00"], ["12:00", "13:00"]], "sat": "9-17"}
    )

    assert hours == {
        "mon": [["08:00", "17:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [["09:00", "17:00"]],
        "sun": [],
    }
    assert parse_opening_hours(hours) == hours
    assert parse_opening_hours({}) == {}
    assert parse_opening_hours("24/7") == {}


def test_parse_reads_the_short_text_form_in_english_and_dutch() -> None:
    english = parse_opening_hours("mon-fri 08:00-22:00; sat 09:00-17:00; sun closed")
    dutch = parse_opening_hours("ma-vr 8:00 - 22:00\nza 9-17\nzo gesloten")

    assert english == dutch
    assert english["wed"] == [["08:00", "22:00"]]
    assert english["sun"] == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "tue 22:00-08:00",
            "tue: 22:00-08:00 ends before it starts; for a night shift split it over two days "
            "(tue 22:00-24:00; wed 00:00-08:00).",
        ),
        ("mon 08:00-08:00", "mon: 08:00-08:00 is empty; it opens and closes at the same time."),
        ("mon 8:00-12:00, 11:00-14:00", "mon: 08:00-12:00 overlaps 11:00-14:00."),
        ("mon 25:00-26:00", "mon: “25:00” is not a time; use HH:MM from 00:00 to 24:00."),
        ("mon 08:60-09:00", "mon: “08:60” is not a time; use HH:MM from 00:00 to 24:00."),
        ("mon 24:00-24:00", "mon: an interval cannot start at 24:00"),
        ("mnd 08:00-17:00", "“mnd” is not a day; use mon, tue, wed, thu, fri, sat or sun."),
        ("mon-fri", "“mon-fri”: say which hours (like 08:00-22:00) or “closed”."),
        ("mon 08:00-12:00; mon 13:00-17:00", "mon is given twice."),
        ("mon 08:00", "mon: “08:00” is not an interval; write it as 08:00-22:00."),
        ("  ", "No opening hours given"),
        ({"mon": [["08:00"]]}, "mon: “['08:00']” is not an interval"),
        ({"funday": []}, "“funday” is not a day"),
        ({"mon": 8}, "mon: “8” is not a list of intervals"),
        (["mon", "08:00"], "Opening hours must be a table per weekday"),
    ],
)
def test_parse_refuses_malformed_hours_saying_what_is_wrong(value: object, message: str) -> None:
    with pytest.raises(ActionError) as raised:
        parse_opening_hours(value)

    assert raised.value.message.startswith(message)
    assert raised.value.field == "opening_hours"


def test_validate_calendar_settings_normalises_and_names_the_field() -> None:
    assert validate_calendar_settings("Europe/Brussels", "be") == ("Europe/Brussels", "BE", "")
    assert validate_calendar_settings("Europe/Berlin", "de", "by") == ("Europe/Berlin", "DE", "BY")
    assert validate_calendar_settings("UTC", "") == ("UTC", "", "")

    refusals = [
        (("Mars/Olympus", "NL"), "timezone", "Unknown time zone “Mars/Olympus”"),
        (("Europe/Amsterdam", "XX"), "holiday_country", "No public holidays are known"),
        (("Europe/Amsterdam", "DE", "ZZ"), "holiday_subdivision", "DE has no region “ZZ”"),
        (("Europe/Amsterdam", "", "BY"), "holiday_subdivision", "A holiday region needs"),
    ]
    for args, field, message in refusals:
        with pytest.raises(ActionError) as raised:
            validate_calendar_settings(*args)
        assert raised.value.field == field
        assert raised.value.message.startswith(message)


def test_calendar_refuses_an_unknown_zone_when_built() -> None:
    with pytest.raises(ActionError) as raised:
        BusinessCalendar({}, "Europe/Amsterdm")

    assert raised.value.field == "timezone"


def test_naive_datetimes_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        weekdays().add_minutes(datetime(2026, 3, 6, 12, 0), 30)  # noqa: DTZ001


@pytest.mark.django_db
def test_for_inbox_reads_the_inbox_settings() -> None:
    inbox = InboxFactory(
        timezone="America/New_York",
        opening_hours=parse_opening_hours("mon-fri 09:00-17:00"),
        holiday_country="US",
    )

    calendar = BusinessCalendar.for_inbox(inbox)

    assert calendar.add_minutes(local(NYC, 2026, 7, 2, 16, 50), 30) == local(NYC, 2026, 7, 6, 9, 20)


def test_describe_gives_the_short_form_back() -> None:
    text = "mon-fri 08:00-12:00, 13:00-22:00; sat 09:00-17:00; sun closed"

    assert business_hours.describe_opening_hours(parse_opening_hours(text)) == text
    assert business_hours.describe_opening_hours({}) == "24/7"
    assert business_hours.describe_opening_hours({"mon": []}) == "mon-sun closed"
