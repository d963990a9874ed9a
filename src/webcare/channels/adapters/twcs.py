"""Rows of the "Customer Support on Twitter" (TWCS) CSV, as the importer stores them.

The importer stores each CSV row verbatim, as a JSON object of the file's own columns
(`tweet_id, author_id, inbound, created_at, text, response_tweet_id, in_response_to_tweet_id`,
every value the string the file holds), so a failed row can be read, fixed and retried exactly
as it came. This module turns that stored row into an InboundMessage and nothing else: which
inbox a tweet belongs to is decided by the importer, which sees the whole reply forest.

TWCS quirks handled here: reply links were written by pandas as floats ("3.0"), handles are
numeric ids for customers and screen names for brands, and `inbound` is the string "True" for a
customer and "False" for the brand's care account.
"""

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from webcare.channels.adapters.base import Author, InboundMessage, PayloadError

SOURCE = "twcs"
COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
# The importer needs these to thread and attribute; `response_tweet_id` repeats what the
# children already say and the unnamed first column is pandas' row number.
REQUIRED_COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "in_response_to_tweet_id",
)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_TIME_FORMAT_HINT = "must look like 'Tue Oct 31 22:10:47 +0000 2017'"
# pandas wrote integer ids of a column that had gaps as floats: "3.0" is tweet 3.
_FLOAT_ID = re.compile(r"^(\d+)\.0*$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})$")
_OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})$")


def normalise_tweet_id(value: str | None, field: str) -> str | None:
    """A tweet id as the platform wrote it: '3.0' -> '3', '' -> None; anything else refused."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return value
    match = _FLOAT_ID.match(value)
    if match is None:
        raise PayloadError(field, f"must be a tweet id (digits), not {value!r}")
    return match.group(1)


def parse_created_at(value: str | None) -> datetime:
    """Read Twitter's classic `created_at` ('Tue Oct 31 22:10:47 +0000 2017') as aware UTC.

    Parsed by hand rather than with strptime, whose %a and %b follow the process locale and
    which is several times slower on a file of millions of rows.
    """
    if value is None or not value.strip():
        raise PayloadError("created_at", "is required")
    parts = value.split()
    if len(parts) != 6:
        raise PayloadError("created_at", f"{_TIME_FORMAT_HINT}, not {value!r}")
    _weekday, month_name, day, clock, offset, year = parts
    month = _MONTHS.get(month_name)
    time_match = _TIME.match(clock)
    offset_match = _OFFSET.match(offset)
    if month is None or time_match is None or offset_match is None:
        raise PayloadError("created_at", f"{_TIME_FORMAT_HINT}, not {value!r}")
    sign, offset_hours, offset_minutes = offset_match.groups()
    shift = timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
    try:
        moment = datetime(
            int(year),
            month,
            int(day),
            *(int(part) for part in time_match.groups()),
            tzinfo=timezone(-shift if sign == "-" else shift),
        )
    except ValueError as exc:
        raise PayloadError("created_at", f"{_TIME_FORMAT_HINT}, not {value!r} ({exc})") from exc
    return moment.astimezone(UTC)


def _required_text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        raise PayloadError(name, "is missing from the row")
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    return value


def parse(body: bytes) -> list[InboundMessage]:
    """Read one stored TWCS row; raise PayloadError naming the first field that is wrong."""
    try:
        row = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(row, dict):
        raise PayloadError("body", "must be a JSON object of the CSV's columns")
    tweet_id = normalise_tweet_id(_required_text(row, "tweet_id"), "tweet_id")
    if tweet_id is None:
        raise PayloadError("tweet_id", "must not be empty")
    author_id = _required_text(row, "author_id").strip()
    if not author_id:
        raise PayloadError("author_id", "must not be empty")
    inbound = _required_text(row, "inbound").strip()
    if inbound not in {"True", "False"}:
        raise PayloadError("inbound", f"must be True or False, not {inbound!r}")
    reply_link = row.get("in_response_to_tweet_id")
    if reply_link is not None and not isinstance(reply_link, str):
        raise PayloadError("in_response_to_tweet_id", "must be a string")
    return [
        InboundMessage(
            external_id=tweet_id,
            author=Author(external_id=author_id, handle=author_id),
            text=_required_text(row, "text"),
            created_at=parse_created_at(_required_text(row, "created_at")),
            public=True,
            in_reply_to=normalise_tweet_id(reply_link, "in_response_to_tweet_id"),
            from_brand=inbound == "False",
        )
    ]
