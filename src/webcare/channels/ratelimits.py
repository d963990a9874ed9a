"""When a platform will take a request again, read from the headers of its refusal.

Each platform says it differently (`../shared/docs/platforms.md`):

- HTTP `Retry-After` (RFC 9110): seconds, or an HTTP date; our generic API channel and any
  well-behaved server on 429 or 503.
- X: `x-rate-limit-reset`, Unix epoch seconds, on every response; the window resets then
  (tweepy sleeps until `reset - now + 1`) [X-RL].
- Meta Graph: `X-Business-Use-Case-Usage` / `X-App-Usage` JSON, with
  `estimated_time_to_regain_access` in minutes [PYFB-RL].

All of them are read and the latest moment wins: being early only earns another refusal.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.utils import timezone

# One second more than the platform said: its clock and ours differ a little, and X's reset is
# rounded down to the second.
MARGIN = timedelta(seconds=1)
# A reset further away than this is more likely a broken header than a real wait.
LONGEST_WAIT = timedelta(hours=24)


def _retry_after(value: str, now: datetime) -> datetime | None:
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if timezone.is_aware(moment) else None


def _epoch(value: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value.strip()), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _meta_usage(value: str, now: datetime) -> datetime | None:
    """`{"<id>": [{"estimated_time_to_regain_access": <minutes>, ...}]}` or a flat object."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    entries: list[object] = [data]
    if isinstance(data, dict):
        for item in data.values():
            entries.extend(item if isinstance(item, list) else [item])
    minutes = [
        entry["estimated_time_to_regain_access"]
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("estimated_time_to_regain_access"), int | float)
    ]
    return now + timedelta(minutes=max(minutes)) if minutes else None


def reset_at(headers: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    """The moment the platform will take requests again, or None when its headers do not say.

    Call it on a refusal (429, 503) only: X sends `x-rate-limit-reset` on every response,
    and on a success it is merely the end of the current window.
    """
    now = now or timezone.now()
    lowered = {key.lower(): value for key, value in headers.items()}
    moments = [
        moment
        for moment in (
            _retry_after(lowered["retry-after"], now) if "retry-after" in lowered else None,
            _epoch(lowered["x-rate-limit-reset"]) if "x-rate-limit-reset" in lowered else None,
            *(
                _meta_usage(lowered[name], now)
                for name in ("x-business-use-case-usage", "x-app-usage")
                if name in lowered
            ),
        )
        if moment is not None
    ]
    if not moments:
        return None
    return min(max(moments) + MARGIN, now + LONGEST_WAIT)
