"""`webcare triage`: the JSON-lines contract, run as the real command in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path


def run_triage(stdin: str, tmp_path: Path) -> list[dict[str, object]]:
    env = {**os.environ, "WEBCARE_ENV": "test", "WEBCARE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "webcare", "triage"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_one_line_out_per_line_in_and_a_bad_line_does_not_stop_the_rest(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"text": "De slagboom is kapot, belachelijk! Waardeloze service.", "channel": "x"}
        ),
        "this is not json",
        json.dumps({"channel": "x"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "Mail me at an@example.com please?", "channel": "email"}),
        json.dumps({"text": "Thanks!", "channel": "x", "followers": "many"}),
        json.dumps(
            {
                "text": "Waarom is het zo duur?",
                "channel": "x",
                "followers": 12000,
                "public": True,
                "waiting_minutes": 18,
            }
        ),
    ]
    out = run_triage("\n".join(lines) + "\n", tmp_path)

    assert len(out) == 7
    first = out[0]
    assert first["language"] == "nl"
    assert first["intent"] == "complaint"
    assert first["needs_reply"] is True
    assert first["sentiment"] == "negative"
    assert isinstance(first["sentiment_score"], float)
    assert isinstance(first["priority"], int)
    assert first["pii"] == []
    assert "not valid JSON" in out[1]["error"]
    assert "text" in out[2]["error"]
    assert "object" in out[3]["error"]
    assert out[4]["intent"] == "question"
    assert out[4]["pii"] == [{"type": "email", "start": 11, "end": 25}]
    assert "followers" in out[5]["error"]
    assert out[6]["reasons"][-3:] == ["12k followers", "public", "waiting 18 min"]


def test_no_input_gives_no_output(tmp_path: Path) -> None:
    assert run_triage("", tmp_path) == []
