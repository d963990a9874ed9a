"""The triage of one message: pure functions, no database, nothing leaves the process.

    language → sentiment → intent, needs_reply → personal data → priority

Each step is a small function of the text (and of what the earlier steps found); the models
are loaded once per process from files on disk (models.py, language.py) and nothing is ever
downloaded. Median cost on the 2-core benchmark machine: docs/benchmarks.md.

Without trained text models (a fresh clone without ../shared/data, training.py) sentiment
comes from the lexicons alone and complaints from words; MODEL_VERSION says which ran, and
TriageResult stores it.
"""

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from webcare.triage import intent as intents
from webcare.triage import language as languages
from webcare.triage import pii, priority
from webcare.triage.features import lexicon_features
from webcare.triage.linear import TextModels, file_digest
from webcare.triage.training import TRAINED

PIPELINE_VERSION = "1"
# Channels whose messages are never public; on the others (x, facebook, instagram) a
# message may be a public post or a DM, and the caller says which.
PRIVATE_CHANNELS = frozenset({"whatsapp", "email", "webchat", "messenger", "sms"})
BATCH = 512
# Lexicon fallback: VADER's cut-offs on its normalised sum.
LEXICON_CUTOFF = 0.05


@dataclass(frozen=True)
class Triage:
    language: str
    language_confidence: float
    intent: str
    needs_reply: bool
    sentiment: str
    sentiment_score: float
    complaint_probability: float | None
    pii: tuple[pii.Span, ...]
    priority: int
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, object]:
        """The `webcare triage` line: the fields the issue names, plus the reasons."""
        return {
            "language": self.language,
            "intent": self.intent,
            "needs_reply": self.needs_reply,
            "sentiment": self.sentiment,
            "sentiment_score": round(self.sentiment_score, 4),
            "pii": [span.as_dict() for span in self.pii],
            "priority": self.priority,
            "reasons": list(self.reasons),
        }


def models_path() -> Path:
    return Path(os.environ.get("WEBCARE_TRIAGE_MODELS", TRAINED))


@cache
def text_models() -> TextModels | None:
    path = models_path()
    return TextModels.load(path) if path.exists() else None


@cache
def model_version() -> str:
    """e.g. "triage-1 lang:3f2a… text:9c1d…", or "text:lexicon" without trained models."""
    path = models_path()
    text = f"text:{file_digest(path)}" if path.exists() else "text:lexicon"
    return f"triage-{PIPELINE_VERSION} lang:{file_digest(languages.ARTEFACT)} {text}"


def _lexicon_sentiment(text: str, language: str) -> dict[str, float]:
    """Probabilities of a kind from the lexicon score alone (fallback without models)."""
    features = lexicon_features(text)
    compound = features[7] if language == "nl" else features[2]
    if compound >= LEXICON_CUTOFF:
        return {"negative": 0.0, "neutral": 1.0 - compound, "positive": compound}
    if compound <= -LEXICON_CUTOFF:
        return {"negative": -compound, "neutral": 1.0 + compound, "positive": 0.0}
    return {"negative": 0.0, "neutral": 1.0, "positive": 0.0}


def triage(
    text: str,
    channel: str = "",
    *,
    public: bool | None = None,
    followers: int | None = None,
    waiting_minutes: float | None = None,
    fallback_language: str = "en",
) -> Triage:
    """Triage one message. `public`, `followers` and `waiting_minutes` feed the priority only;
    unknown (None) adds nothing. A message on a private-only channel is never public."""
    language, confidence = languages.detect(text, fallback_language)
    models = text_models()
    predicted = models.predict(text) if models is not None else None
    return _finish(
        text, channel, language, confidence, predicted, public, followers, waiting_minutes
    )


Reach = tuple[bool | None, int | None]  # (public, followers), as triage() takes them


def triage_many(
    items: Iterable[tuple[str, str]],
    fallback_language: str = "en",
    *,
    reach: Sequence[Reach] | None = None,
) -> list[Triage]:
    """Triage (text, channel) pairs in order, with the numpy work of the language and text
    models done once per chunk of BATCH messages; the same results as triage() one by one.
    `reach`, one per pair, gives each message's `public` and `followers`.
    (Chunks, because one sparse product over thousands of messages is slower per message
    than over hundreds: its arrays no longer fit the cache.)"""
    pairs = list(items)
    reaches: Sequence[Reach] = reach if reach is not None else [(None, None)] * len(pairs)
    if len(reaches) != len(pairs):
        raise ValueError("triage_many: one reach per message")
    out: list[Triage] = []
    for start in range(0, len(pairs), BATCH):
        end = start + BATCH
        out += _triage_chunk(pairs[start:end], reaches[start:end], fallback_language)
    return out


def _triage_chunk(
    pairs: list[tuple[str, str]], reaches: Sequence[Reach], fallback_language: str
) -> list[Triage]:
    texts = [text for text, _ in pairs]
    detected = languages.detect_many(texts, fallback_language)
    models = text_models()
    if models is not None:
        predicted: list[dict[str, dict[str, float]] | None] = list(
            models.probabilities_many(models.logits_many(texts))
        )
    else:
        predicted = [None] * len(texts)
    return [
        _finish(text, channel, lang, confidence, p, public, followers, None)
        for (text, channel), (lang, confidence), p, (public, followers) in zip(
            pairs, detected, predicted, reaches, strict=True
        )
    ]


def _finish(  # noqa: PLR0917 (one private step of the two entry points above)
    text: str,
    channel: str,
    language: str,
    language_confidence: float,
    predicted: dict[str, dict[str, float]] | None,
    public: bool | None,
    followers: int | None,
    waiting_minutes: float | None,
) -> Triage:
    if channel in PRIVATE_CHANNELS:
        public = False
    complaint_probability: float | None = None
    if predicted is not None:
        probabilities = predicted["sentiment_nl" if language == "nl" else "sentiment_en"]
        if language != "nl":
            complaint_probability = predicted["complaint"]["yes"]
    else:
        probabilities = _lexicon_sentiment(text, language)
    sentiment = max(probabilities, key=probabilities.__getitem__)
    sentiment_score = probabilities["positive"] - probabilities["negative"]
    intent = intents.classify(text, language, sentiment, probabilities, complaint_probability)
    spans = tuple(pii.find(text))
    points, reasons = priority.score(
        intent,
        sentiment=sentiment,
        sentiment_score=sentiment_score,
        personal_data=bool(spans),
        public=public,
        followers=followers,
    )
    points, reasons = priority.with_waiting(points, reasons, waiting_minutes)
    return Triage(
        language=language,
        language_confidence=language_confidence,
        intent=intent,
        needs_reply=intent in intents.NEEDS_REPLY,
        sentiment=sentiment,
        sentiment_score=sentiment_score,
        complaint_probability=complaint_probability,
        pii=spans,
        priority=points,
        reasons=tuple(reasons),
    )
