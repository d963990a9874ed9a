"""Personal data spans on the hand-written cases (tests/triage/pii_cases.json)."""

import json
from pathlib import Path

import pytest

from webcare.triage import pii

CASES = json.loads((Path(__file__).parent / "pii_cases.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_finds_exactly_the_personal_data(text: str, expected: list[list[str]]) -> None:
    found = [[span.type, text[span.start : span.end]] for span in pii.find(text)]
    assert sorted(found) == sorted(expected)


def test_spans_are_offsets_into_the_text_as_received() -> None:
    text = "Bel 06-12345678 of mail an@example.nl, kenteken 12-ABC-3"
    spans = pii.find(text)
    assert [s.as_dict() for s in spans] == [
        {"type": "phone", "start": 4, "end": 15},
        {"type": "email", "start": 24, "end": 37},
        {"type": "plate", "start": 48, "end": 56},
    ]


def test_an_iban_with_a_wrong_checksum_is_not_an_iban() -> None:
    assert [s.type for s in pii.find("NL91ABNA0417164301")] != ["iban"]


def test_a_card_number_must_pass_luhn() -> None:
    assert pii.find("4111 1111 1111 1112") == []


def test_earlier_kinds_win_overlaps() -> None:
    """The digits of an IBAN are not also a phone number."""
    assert [s.type for s in pii.find("NL91 ABNA 0417 1643 00")] == ["iban"]
