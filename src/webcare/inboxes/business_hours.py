"""Business hours: counting response-time promises in the minutes an inbox is actually open.

A promise of "30 minutes" made at Friday 21:50 to an inbox open 08:00-22:00 on weekdays falls
due on Monday 08:20: only open minutes count. This module is the one place that knows how.

How counting works (also in docs/choices.md, "Business hours"):

- Opening hours are local wall-clock intervals per weekday, in the inbox's IANA time zone.
  Each interval is turned into two real instants (zoneinfo) and the minutes between those
  instants are what count, so on the night clocks go forward an 01:00-04:00 shift lasts two
  real hours and on the night they go back it lasts four.
- A public holiday of the inbox's country (and subdivision) closes the whole local day.
- An empty table (`{}`) means open around the clock; then holidays do not apply either.
- Counting walks day by day over open spans, never minute by minute, so a promise weeks
  away costs a few dozen steps.
- A calendar with no opening time at all never lets a promise fall due: `add_minutes` and
  `next_opening` return None and `minutes_between` returns 0, which callers read as
  "no due time". Nothing in here raises for that case.

Bad input (a malformed table, an unknown time zone or holiday country) raises `ActionError`
with a message that names the exact problem, at the time the setting is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.utils.translation import gettext as _

from webcare.core.errors import ActionError

if TYPE_CHECKING:
    from webcare.inboxes.models import Inbox

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The text form also takes the Dutch abbreviations, since leads type it in Dutch too.
_DAY_ALIASES: dict[str, str] = {day: day for day in DAYS} | {
    "ma": "mon",
    "di": "tue",
    "wo": "wed",
    "do": "thu",
    "vr": "fri",
    "za": "sat",
    "zo": "sun",
}
_CLOSED_WORDS = {"closed", "gesloten"}
_ALWAYS_WORDS = {"24/7", "always", "altijd"}
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?")
_DAY_MINUTES = 24 * 60
# How far ahead counting looks before giving up. A promise that would fall due more than ten
# years ahead is no promise; the bound also keeps a pathological table from spinning.
HORIZON_DAYS = 3660
_MINUTE = timedelta(minutes=1)

# (start, end) in minutes after local midnight; end may be 1440 ("24:00").
Interval = tuple[int, int]
OpeningHours = dict[str, list[list[str]]]


# Parsing and validation ----------------------------------------------------------------------


def _error(message: str, field: str = "opening_hours") -> ActionError:
    return ActionError(message, field=field)


def _format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _format_interval(interval: Interval) -> str:
    return f"{_format_time(interval[0])}-{_format_time(interval[1])}"


def _parse_time(day: str, text: str) -> int:
    match = _TIME.fullmatch(text.strip())
    if match is not None:
        hours, minutes = int(match[1]), int(match[2] or 0)
        if (hours < 24 and minutes < 60) or (hours == 24 and minutes == 0):
            return hours * 60 + minutes
    raise _error(
        _("%(day)s: “%(value)s” is not a time; use HH:MM from 00:00 to 24:00.")
        % {"day": day, "value": text.strip()}
    )


def _parse_interval(day: str, value: object) -> Interval:
    """One `["08:00", "22:00"]` pair or `"08:00-22:00"` string, checked for direction."""
    if isinstance(value, str):
        parts = _tighten(value).split("-")
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        parts = []
    if len(parts) != 2 or not all(isinstance(part, str) and part.strip() for part in parts):
        raise _error(
            _("%(day)s: “%(value)s” is not an interval; write it as 08:00-22:00.")
            % {"day": day, "value": value}
        )
    start, end = _parse_time(day, parts[0]), _parse_time(day, parts[1])
    if start == _DAY_MINUTES:
        raise _error(
            _("%(day)s: an interval cannot start at 24:00; start the next day at 00:00.")
            % {"day": day}
        )
    if end == start:
        raise _error(
            _("%(day)s: %(interval)s is empty; it opens and closes at the same time.")
            % {"day": day, "interval": _format_interval((start, end))}
        )
    if end < start:
        next_day = DAYS[(DAYS.index(day) + 1) % 7]
        raise _error(
            _(
                "%(day)s: %(interval)s ends before it starts; for a night shift split it "
                "over two days (%(day)s %(start)s-24:00; %(next)s 00:00-%(end)s)."
            )
            % {
                "day": day,
                "interval": f"{_format_time(start)}-{_format_time(end)}",
                "start": _format_time(start),
                "end": _format_time(end),
                "next": next_day,
            }
        )
    return (start, end)


def _parse_day(day: str, value: object) -> list[Interval]:
    """A day's value: a list of intervals, or text ("08:00-12:00, 13:00-17:00", "closed")."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip().lower()
        if not text or text in _CLOSED_WORDS:
            return []
        return [_parse_interval(day, part) for part in re.split(r"[,\s]+", _tighten(text))]
    if isinstance(value, list | tuple):
        return [_parse_interval(day, item) for item in value]
    raise _error(
        _("%(day)s: “%(value)s” is not a list of intervals like [[“08:00”, “22:00”]].")
        % {"day": day, "value": value}
    )


def _tighten(text: str) -> str:
    """Drop the spaces around '-' and ',' so that 'mon - fri 8:00 - 17:00' splits cleanly."""
    # An en dash (U+2013) is what word processors make of "-"; accept it.
    return re.sub(r"\s*([-\u2013,])\s*", r"\1", text.strip()).replace("\u2013", "-")


def _parse_day_spec(spec: str) -> list[str]:
    """'mon-fri', 'mon,wed,fri', 'sat' or 'fri-mon' (wrapping the weekend) into day codes."""
    days: list[str] = []
    for part in spec.split(","):
        first, dash, last = part.partition("-")
        names = [first, last] if dash else [first]
        for name in names:
            if name not in _DAY_ALIASES:
                raise _error(
                    _("“%(value)s” is not a day; use mon, tue, wed, thu, fri, sat or sun.")
                    % {"value": name}
                )
        start = DAYS.index(_DAY_ALIASES[first])
        stop = DAYS.index(_DAY_ALIASES[last]) if dash else start
        days.extend(DAYS[(start + offset) % 7] for offset in range((stop - start) % 7 + 1))
    return days


def _parse_text(text: str) -> dict[str, list[Interval]] | None:
    """The short form 'mon-fri 08:00-22:00; sat 09:00-17:00; sun closed'; None means 24/7."""
    cleaned = text.strip().lower()
    if cleaned in _ALWAYS_WORDS:
        return None
    if not cleaned:
        raise _error(
            _(
                "No opening hours given; write them like “mon-fri 08:00-22:00; sat-sun closed”, "
                "or “24/7” for around the clock."
            )
        )
    table: dict[str, list[Interval]] = {}
    for clause in re.split(r"[;\n]+", cleaned):
        if not clause.strip():
            continue
        spec, _space, hours = _tighten(clause).partition(" ")
        spec = spec.rstrip(":")
        if not hours.strip():
            raise _error(
                _("“%(clause)s”: say which hours (like 08:00-22:00) or “closed”.")
                % {"clause": clause.strip()}
            )
        for day in _parse_day_spec(spec):
            if day in table:
                raise _error(_("%(day)s is given twice.") % {"day": day})
            table[day] = _parse_day(day, hours)
    return table


def _normalise_day(day: str, intervals: list[Interval]) -> list[Interval]:
    """Sorted, with touching intervals joined and overlapping ones refused."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval[0] < merged[-1][1]:
            raise _error(
                _("%(day)s: %(first)s overlaps %(second)s.")
                % {
                    "day": day,
                    "first": _format_interval(merged[-1]),
                    "second": _format_interval(interval),
                }
            )
        if merged and interval[0] == merged[-1][1]:
            merged[-1] = (merged[-1][0], interval[1])
        else:
            merged.append(interval)
    return merged


def _parse_table(value: object) -> dict[str, list[Interval]] | None:
    """Either form into intervals per day (all seven days present); None means 24/7."""
    if isinstance(value, str):
        table = _parse_text(value)
    elif isinstance(value, dict):
        if not value:
            return None
        table = {}
        for key, day_value in value.items():
            day = _DAY_ALIASES.get(str(key).strip().lower())
            if day is None:
                raise _error(
                    _("“%(value)s” is not a day; use mon, tue, wed, thu, fri, sat or sun.")
                    % {"value": key}
                )
            if day in table:
                raise _error(_("%(day)s is given twice.") % {"day": day})
            table[day] = _parse_day(day, day_value)
    else:
        raise _error(
            _(
                "Opening hours must be a table per weekday like "
                "{“mon”: [[“08:00”, “22:00”]]}, or text like "
                "“mon-fri 08:00-22:00; sat 09:00-17:00; sun closed”."
            )
        )
    if table is None:
        return None
    return {day: _normalise_day(day, table.get(day, [])) for day in DAYS}


def parse_opening_hours(value: object) -> OpeningHours:
    """Validate opening hours as a person typed them, and return the stored JSON shape.

    Takes the JSON table (`{"mon": [["08:00", "22:00"]], ...}`, a day may also be given as
    text or "closed") or the short text form ("mon-fri 08:00-22:00; sat 09:00-17:00; sun
    closed", "24/7"). The result lists all seven days, intervals sorted as "HH:MM" pairs with
    touching ones joined, or is `{}` for around the clock. Raises ActionError(field=
    "opening_hours") naming the day and the interval that is wrong.
    """
    table = _parse_table(value)
    if table is None:
        return {}
    return {
        day: [[_format_time(start), _format_time(end)] for start, end in intervals]
        for day, intervals in table.items()
    }


def describe_opening_hours(
    hours: dict,
    *,
    day_names: Sequence[str] = DAYS,
    closed: str = "closed",
    always: str = "24/7",
) -> str:
    """The short text form of a stored table ("mon-fri 08:00-22:00; sat-sun closed", "24/7").

    Consecutive days with the same hours share a range; parse_opening_hours reads it back.
    Pages pass translated day names and words to show it to people.
    """
    table = _parse_table(hours)
    if table is None:
        return always
    clauses: list[str] = []
    index = 0
    while index < len(DAYS):
        last = index
        while last + 1 < len(DAYS) and table[DAYS[last + 1]] == table[DAYS[index]]:
            last += 1
        days = day_names[index] if last == index else f"{day_names[index]}-{day_names[last]}"
        intervals = table[DAYS[index]]
        text = ", ".join(_format_interval(interval) for interval in intervals) or closed
        clauses.append(f"{days} {text}")
        index = last + 1
    return "; ".join(clauses)


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, tuple[str, ...]]:
    return {
        country: tuple(subdivisions)
        for country, subdivisions in holidays.list_supported_countries().items()
    }


def _zone(name: str) -> ZoneInfo:
    try:
        if name.strip() != name or not name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _error(
            _("Unknown time zone “%(value)s”; use a name such as Europe/Amsterdam.")
            % {"value": name},
            field="timezone",
        ) from None


def validate_calendar_settings(
    timezone: str, country: str, subdivision: str = ""
) -> tuple[str, str, str]:
    """Check the time zone and holiday region; return them in their canonical spelling.

    Raises ActionError with `field` set to "timezone", "holiday_country" or
    "holiday_subdivision", so a form can show the message next to the right input.
    """
    _zone(timezone)
    country = country.strip().upper()
    subdivision = subdivision.strip()
    if not country:
        if subdivision:
            raise _error(
                _("A holiday region needs a holiday country."), field="holiday_subdivision"
            )
        return timezone, "", ""
    supported = _supported_countries()
    if country not in supported:
        raise _error(
            _(
                "No public holidays are known for country “%(value)s”; use a two-letter code "
                "such as NL, BE or DE, or leave it empty for none."
            )
            % {"value": country},
            field="holiday_country",
        )
    if subdivision:
        by_upper = {code.upper(): code for code in supported[country]}
        if subdivision.upper() not in by_upper:
            if not by_upper:
                message = _("%(country)s has no holiday regions; leave the region empty.") % {
                    "country": country
                }
            else:
                message = _("%(country)s has no region “%(value)s”; use one of: %(choices)s.") % {
                    "country": country,
                    "value": subdivision,
                    "choices": ", ".join(supported[country]),
                }
            raise _error(message, field="holiday_subdivision")
        subdivision = by_upper[subdivision.upper()]
    return timezone, country, subdivision


@lru_cache(maxsize=256)
def _holiday_dates(country: str, subdivision: str, year: int) -> frozenset[date]:
    """The public holidays of one region and year; building them is slow, asking is not."""
    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(calendar.keys())


# Counting --------------------------------------------------------------------------------------


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


class BusinessCalendar:
    """An inbox's opening hours, time zone and holidays, answering questions in real time.

    All answers are aware datetimes in UTC. Construction validates like the settings form does,
    so a calendar that exists is one that makes sense.
    """

    def __init__(
        self,
        opening_hours: dict,
        timezone: str,
        holiday_country: str = "",
        holiday_subdivision: str = "",
    ) -> None:
        timezone, country, subdivision = validate_calendar_settings(
            timezone, holiday_country, holiday_subdivision
        )
        self.zone = _zone(timezone)
        table = _parse_table(opening_hours)
        self.always_open = table is None
        self._week: tuple[tuple[Interval, ...], ...] = tuple(
            tuple(table[day]) if table is not None else () for day in DAYS
        )
        self.never_open = not self.always_open and not any(self._week)
        # Around the clock means around the clock: nobody promised holidays off then.
        self._holidays = (country, subdivision) if country and not self.always_open else None

    @classmethod
    def for_inbox(cls, inbox: Inbox) -> BusinessCalendar:
        return cls(
            inbox.opening_hours or {},
            inbox.timezone,
            inbox.holiday_country,
            inbox.holiday_subdivision,
        )

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.zone.key} always_open={self.always_open}>"

    def is_holiday(self, day: date) -> bool:
        if self._holidays is None:
            return False
        return day in _holiday_dates(*self._holidays, day.year)

    def _instant(self, day: date, minute: int) -> datetime:
        """Local wall-clock `minute` after midnight of `day` as a UTC instant.

        A wall-clock time that does not exist (02:30 on the spring-forward night) resolves
        with the offset from before the change, i.e. to 03:30 summer time; an ambiguous one
        (02:30 on the fall-back night) to its first occurrence.
        """
        day += timedelta(days=minute // _DAY_MINUTES)
        minute %= _DAY_MINUTES
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.zone)
        return local.astimezone(UTC)

    def _spans_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        if self.is_holiday(day):
            return
        for start, end in self._week[day.weekday()]:
            opens, closes = self._instant(day, start), self._instant(day, end)
            if closes > opens:
                yield opens, closes

    def _spans_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open spans in time order, clipped so none starts before `at`; empty ones skipped.

        Starts a day early because a local day's spans can end after the next local midnight
        has begun in UTC terms; stops at the horizon.
        """
        day = at.astimezone(self.zone).date() - timedelta(days=1)
        for _offset in range(HORIZON_DAYS):
            for opens, closes in self._spans_on(day):
                if closes > at:
                    yield max(opens, at), closes
            day += timedelta(days=1)

    def is_open(self, at: datetime) -> bool:
        """Whether `at` lies in an open span (opening time included, closing time not)."""
        at = _aware(at, "at")
        if self.always_open:
            return True
        day = at.astimezone(self.zone).date()
        for candidate in (day - timedelta(days=1), day):
            for opens, closes in self._spans_on(candidate):
                if opens <= at < closes:
                    return True
        return False

    def next_opening(self, at: datetime) -> datetime | None:
        """The first moment at or after `at` when the inbox is open (`at` itself if open then).

        None when that question has no useful answer: open around the clock, or never open.
        """
        at = _aware(at, "at")
        if self.always_open or self.never_open:
            return None
        for opens, _closes in self._spans_from(at):
            return opens
        return None

    def add_minutes(self, start: datetime, minutes: int) -> datetime | None:
        """The moment `minutes` open minutes after `start`; None if it never comes.

        Outside opening hours counting begins at the next opening, so 0 minutes gives that
        opening. None for a calendar without any opening time (the caller's "no due time"),
        and for a moment beyond the ten-year horizon.
        """
        start = _aware(start, "start")
        if minutes < 0:
            raise ValueError(f"minutes must not be negative, got {minutes}")
        if self.always_open:
            return start + timedelta(minutes=minutes)
        if self.never_open:
            return None
        remaining = timedelta(minutes=minutes)
        for opens, closes in self._spans_from(start):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        return None

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole open minutes in [start, end); 0 if end is not after start."""
        start, end = _aware(start, "start"), _aware(end, "end")
        if end <= start or self.never_open:
            return 0
        if self.always_open:
            return (end - start) // _MINUTE
        total = timedelta()
        for opens, closes in self._spans_from(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total // _MINUTE
