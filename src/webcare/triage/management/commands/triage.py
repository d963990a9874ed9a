"""`webcare triage`: JSON lines in, JSON lines out, nothing stored.

    echo '{"text": "Mijn pas werkt niet!", "channel": "x"}' | webcare triage

Each input line is `{"text": ..., "channel": ...}` (optionally "public", "followers",
"waiting_minutes", which feed the priority). Each gets exactly one output line, in order:
the triage, or `{"error": ...}` for a line that is not a JSON object with a text, so one bad
line never stops the rest.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from webcare.triage import pipeline


class LineError(ValueError):
    pass


def _optional(item: dict[str, Any], key: str, number: bool) -> Any:
    """An optional priority input: a number (followers, waiting_minutes) or a boolean."""
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) is number or (number and not isinstance(value, int | float)):
        raise LineError(f'"{key}" must be ' + ("a number" if number else "true or false"))
    return value


def triage_line(line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"not valid JSON: {exc.msg} at column {exc.colno}"}
    try:
        if not isinstance(item, dict):
            raise LineError("expected a JSON object")
        text = item.get("text")
        if not isinstance(text, str):
            raise LineError('"text" is missing or not a string')
        channel = item.get("channel") or ""
        if not isinstance(channel, str):
            raise LineError('"channel" must be a string')
        result = pipeline.triage(
            text,
            channel,
            public=_optional(item, "public", number=False),
            followers=_optional(item, "followers", number=True),
            waiting_minutes=_optional(item, "waiting_minutes", number=True),
        )
    except LineError as exc:
        return {"error": str(exc)}
    return result.as_json()


class Command(BaseCommand):
    help = "Triage JSON lines {text, channel} from standard input; one JSON line out per line in."
    requires_system_checks: list[str] = []

    def handle(self, *args: object, **options: object) -> None:
        out = sys.stdout
        for line in sys.stdin:
            out.write(json.dumps(triage_line(line), ensure_ascii=False) + "\n")
        out.flush()
