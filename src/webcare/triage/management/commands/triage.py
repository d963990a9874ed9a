"""`webcare triage`: JSON lines in, JSON lines out, nothing stored.

    echo '{"text": "Mijn pas werkt niet!", "channel": "x"}' | webcare triage

Each input line is `{"text": ..., "channel": ...}` (optionally "public", "followers",
"waiting_minutes", which feed the priority). Each gets exactly one output line, in order:
the triage, or `{"error": ...}` for a line that is not a JSON object with a text, so one bad
line never stops the rest.

From a pipe or a file, lines are triaged in chunks of CHUNK (the batch path, about twice the
throughput of one at a time); from a terminal, each line is answered as it is typed.
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


CHUNK = 512


def parse_line(line: str) -> dict[str, Any]:
    """The message of one input line, or {"error": ...}."""
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
        return {
            "text": text,
            "channel": channel,
            "public": _optional(item, "public", number=False),
            "followers": _optional(item, "followers", number=True),
            "waiting_minutes": _optional(item, "waiting_minutes", number=True),
        }
    except LineError as exc:
        return {"error": str(exc)}


def triage_lines(lines: list[str]) -> list[dict[str, Any]]:
    """One output object per line, in order. Lines with only text and channel go through the
    batch path together; those with priority inputs are triaged one by one."""
    parsed = [parse_line(line) for line in lines]
    plain = [
        i
        for i, p in enumerate(parsed)
        if "error" not in p
        and p["public"] is None
        and p["followers"] is None
        and p["waiting_minutes"] is None
    ]
    out: list[dict[str, Any]] = [p if "error" in p else {} for p in parsed]
    batch = pipeline.triage_many((parsed[i]["text"], parsed[i]["channel"]) for i in plain)
    for i, result in zip(plain, batch, strict=True):
        out[i] = result.as_json()
    for i, p in enumerate(parsed):
        if not out[i]:
            out[i] = pipeline.triage(
                p["text"],
                p["channel"],
                public=p["public"],
                followers=p["followers"],
                waiting_minutes=p["waiting_minutes"],
            ).as_json()
    return out


class Command(BaseCommand):
    help = "Triage JSON lines {text, channel} from standard input; one JSON line out per line in."
    requires_system_checks: list[str] = []

    def handle(self, *args: object, **options: object) -> None:
        out = sys.stdout
        chunk_size = 1 if sys.stdin.isatty() else CHUNK
        chunk: list[str] = []
        for line in sys.stdin:
            chunk.append(line)
            if len(chunk) >= chunk_size:
                self._write(out, chunk)
                chunk = []
        self._write(out, chunk)

    def _write(self, out: Any, lines: list[str]) -> None:
        if not lines:
            return
        for result in triage_lines(lines):
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
