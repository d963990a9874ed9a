"""The cost of keeping promises, on a database seeded by seed_conversations.py.

1. Due times: BusinessCalendar.add_minutes for a one-hour promise from random moments, on an
   inbox open around the clock and on one with Dutch opening hours and holidays (the second
   has to skip evenings, weekends and holidays), median microseconds.
2. The sweep over the seeded desk (a third of 100,000 conversations waiting, all overdue):
   a backlog pass (at most BATCH per inbox and step are escalated and flagged), and a quiet
   pass once everything is escalated and flagged, which is what the worker pays every 30 s.

Prints one JSON object; bench/run.py stores it with the inbox numbers.
"""

import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webcare.config.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from webcare.conversations.escalation import BATCH, sweep  # noqa: E402
from webcare.conversations.models import Conversation  # noqa: E402
from webcare.inboxes.business_hours import BusinessCalendar, parse_opening_hours  # noqa: E402


def _median_us(calendar: BusinessCalendar, starts: list[datetime]) -> float:
    samples = []
    for start in starts:
        began = time.perf_counter()
        calendar.add_minutes(start, 60)
        samples.append((time.perf_counter() - began) * 1e6)
    return round(statistics.median(samples), 1)


def due_times() -> dict[str, float]:
    rng = random.Random(3)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(minutes=rng.randint(0, 365 * 24 * 60)) for _ in range(5000)]
    around_the_clock = BusinessCalendar({}, "Europe/Amsterdam")
    desk = BusinessCalendar(
        parse_opening_hours("mon-fri 08:00-22:00; sat 09:00-17:00; sun closed"),
        "Europe/Amsterdam",
        "NL",
    )
    _median_us(desk, starts[:100])  # warm the holiday cache, as a running server has
    return {
        "add_minutes_24_7_us": _median_us(around_the_clock, starts),
        "add_minutes_business_hours_nl_us": _median_us(desk, starts),
    }


def sweeps() -> dict[str, object]:
    now = timezone.now()
    waiting = Conversation.objects.filter(waiting_since__isnull=False).count()
    backlog = []
    for _ in range(3):
        began = time.perf_counter()
        result = sweep(now)
        backlog.append(
            {
                "ms": round((time.perf_counter() - began) * 1000, 1),
                "escalated": result.escalated,
                "skipped": result.skipped,
            }
        )
    # Caught up: everything already escalated and flagged, as after the backlog is worked off.
    Conversation.objects.filter(waiting_since__isnull=False).update(
        escalated_at=now, skipped_at=now, sla_warned_at=now
    )
    quiet = []
    for _ in range(20):
        began = time.perf_counter()
        sweep(now)
        quiet.append((time.perf_counter() - began) * 1000)
    return {
        "waiting_conversations": waiting,
        "batch_per_inbox_and_step": BATCH,
        "backlog_passes": backlog,
        "quiet_pass_ms_median": round(statistics.median(quiet), 1),
    }


if __name__ == "__main__":
    print(json.dumps({**due_times(), **sweeps()}))
