"""Triage on the shared data folder (never copied into the repository): $WEBCARE_SHARED_DATA,
else ../shared/data beside the checkout, else /work/shared/data. A fresh clone has none, and
then these tests skip with a message; CI has it. The full scores are `make eval`'s
(docs/triage.md); these are quick checks that the installed models are the trained ones."""

import csv
from pathlib import Path

import pytest

from webcare.triage import language, pipeline, training

DATA = training.shared_data_dir()
needs_data = pytest.mark.skipif(
    DATA is None, reason="no shared data folder (../shared/data): real-data triage checks skipped"
)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@needs_data
def test_language_on_the_dutch_sets() -> None:
    assert DATA is not None
    texts = [r["text"] for r in rows(DATA / "nl_political_tweets" / "polarity.csv")]
    texts += [r["text"] for r in rows(DATA / "nl_restaurant_reviews" / "sentences.csv")]
    right = sum(language.detect(t)[0] == "nl" for t in texts)
    assert right / len(texts) >= 0.995


@needs_data
def test_the_trained_text_models_are_installed() -> None:
    """`make install` trains them when the shared data is there."""
    assert pipeline.text_models() is not None
    assert "text:lexicon" not in pipeline.model_version()


@needs_data
def test_sentiment_on_held_out_airline_tweets_beats_chance_by_far() -> None:
    assert DATA is not None
    held_out = [e for e in training.airline(DATA) if training.is_held_out(e.text)][:400]
    right = sum(pipeline.triage(e.text, "x").sentiment == e.label for e in held_out)
    assert right / len(held_out) >= 0.75
