"""When to try again: the platforms' reset headers, and our own backoff."""

from datetime import UTC, datetime, timedelta

import pytest
from pytest_django import Settings

from webcare.channels.ratelimits import reset_at
from webcare.replies.outbox import backoff

NOW = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_retry_after_in_seconds() -> None:
    assert reset_at({"Retry-After": "30"}, NOW) == NOW + 31 * SECOND


def test_retry_after_as_an_http_date() -> None:
    assert reset_at({"retry-after": "Mon, 23 Nov 2026 09:02:00 GMT"}, NOW) == NOW + 121 * SECOND


def test_x_rate_limit_reset_in_epoch_seconds() -> None:
    reset = int((NOW + timedelta(minutes=15)).timestamp())

    when = reset_at({"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"}, NOW)

    assert when == NOW + timedelta(minutes=15) + SECOND


def test_meta_usage_header_in_minutes() -> None:
    usage = '{"1234": [{"type": "messenger", "estimated_time_to_regain_access": 5}]}'

    assert reset_at({"X-Business-Use-Case-Usage": usage}, NOW) == NOW + timedelta(
        minutes=5, seconds=1
    )


def test_the_latest_of_several_headers_wins() -> None:
    reset = str(int((NOW + timedelta(minutes=2)).timestamp()))

    assert reset_at({"Retry-After": "10", "x-rate-limit-reset": reset}, NOW) == (
        NOW + timedelta(minutes=2) + SECOND
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"Retry-After": "soon"}, {"x-rate-limit-reset": "n/a"}, {"X-App-Usage": "{}"}],
)
def test_no_usable_header_means_our_own_backoff(headers: dict[str, str]) -> None:
    assert reset_at(headers, NOW) is None


def test_an_absurd_reset_is_capped_at_a_day() -> None:
    assert reset_at({"Retry-After": str(10**9)}, NOW) == NOW + timedelta(hours=24)


def test_backoff_doubles_with_jitter_and_stops_at_the_cap(settings: Settings) -> None:
    settings.WEBCARE_DELIVERY_BACKOFF_BASE = 5
    settings.WEBCARE_DELIVERY_BACKOFF_MAX = 600

    for attempt, ceiling in [(1, 5), (2, 10), (3, 20), (7, 320), (8, 600), (20, 600)]:
        waits = [backoff(attempt).total_seconds() for _ in range(200)]
        assert ceiling / 2 <= min(waits)
        assert max(waits) <= ceiling
        assert len(set(waits)) > 1
