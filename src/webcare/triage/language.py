"""Language identification: Dutch, English, or other.

A multinomial naive Bayes over character 3- and 4-grams tells Dutch from English; it is trained
on openly licensed text only (Dutch XED subtitles and English BANKING77, both CC BY 4.0, and
the IBM Twitter customer-care threads, Apache-2.0), so its weights are committed
(artefacts/language.npz, `python -m webcare.triage.training language` rebuilds them) and it
works on a fresh clone without the shared data. Every Dutch and English set the issue scores
it on is therefore unseen by it.

Whether a text is in a third language is CLD2's call (pycld2, Google's compact detector,
shipped with its model): naive Bayes over two classes cannot say "neither", and CLD2 is fast
(tens of microseconds) and rarely calls Dutch or English text something else when it says it
is sure. It does confuse Dutch with Afrikaans and Frisian, so those count as Dutch.

Why not py3langid or CLD2 alone: measured on the Dutch sets, py3langid got 94.5 % and CLD2
83 % (it answers "unknown" for short sentences); naive Bayes trained on two languages gets
over 99.5 % (docs/triage.md).
"""

import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pycld2

from webcare.triage.hashing import char_ngram_buckets, char_ngram_buckets_many

ARTEFACT = Path(__file__).resolve().parent / "artefacts" / "language.npz"
LANGUAGES = ("en", "nl")
NGRAMS = (3, 4)
DUTCH_MARGIN = 2.0
# CLD2 is trusted to call a third language only on six words or more: on shorter Dutch
# sentences it said Indonesian, Danish or Italian when it claimed to be sure.
MIN_WORDS_FOR_OTHER = 6

_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|[\d_]+")
_WORD = re.compile(r"[^\W\d_]+")
# CLD2 answers for text it takes for Dutch's close relatives.
_DUTCH_LOOKALIKES = frozenset({"af", "fy", "nl"})
_NOT_A_LANGUAGE = frozenset({"un", "xx"})


def clean(text: str) -> str:
    """Letters only, lower case, one space between words: URLs, handles, digits and the '#'
    of hashtags removed (the word in a hashtag is language, the handle is not)."""
    return " " + " ".join(_WORD.findall(_NOISE.sub(" ", text.lower()))) + " "


def buckets(cleaned: str) -> np.ndarray:
    return char_ngram_buckets(cleaned, NGRAMS)


class LanguageModel:
    """Naive Bayes as one number per hashed n-gram bucket: log P(bucket | Dutch) - log
    P(bucket | English), 0 for buckets too rare to judge. A text's score is their sum."""

    def __init__(self, log_odds: np.ndarray) -> None:
        self.log_odds = log_odds.astype(np.float64)

    def dutch_log_odds(self, cleaned: str) -> float:
        return float(self.log_odds[buckets(cleaned)].sum())

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, log_odds=self.log_odds.astype(np.float32))

    @classmethod
    def load(cls, path: Path = ARTEFACT) -> "LanguageModel":
        with np.load(path, allow_pickle=False) as data:
            return cls(data["log_odds"])


@cache
def model() -> LanguageModel:
    return LanguageModel.load()


def _other_language(text: str, words: int) -> bool:
    """CLD2 is sure the text is in a language that is neither Dutch nor English."""
    if words < MIN_WORDS_FOR_OTHER:
        return False
    try:
        reliable, _, details = pycld2.detect(text)
    except pycld2.error:  # invalid UTF-8 (lone surrogates from a broken client)
        return False
    code = details[0][1]
    return (
        bool(reliable)
        and code not in _DUTCH_LOOKALIKES
        and code not in _NOT_A_LANGUAGE
        and (code != "en")
    )


def _decide(cleaned: str, log_odds: float, fallback: str) -> tuple[str, float]:
    words = cleaned.count(" ") - 1 if len(cleaned) > 2 else 0
    if words < 1:
        return fallback, 0.0
    if _other_language(cleaned, words):
        return "other", 1.0
    # Dutch needs odds of e^2 (about 7:1): short posts of names, slang and flight numbers
    # lean Dutch under a model that learnt English from banking queries, and English is what
    # a short mixed post on an international channel is more often in.
    margin = log_odds - DUTCH_MARGIN
    p_dutch = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, margin))))
    if p_dutch >= 0.5:
        return "nl", p_dutch
    return "en", 1.0 - p_dutch


def detect(text: str, fallback: str = "en") -> tuple[str, float]:
    """(language, confidence): "nl", "en" or "other"; `fallback` when the text has no letters
    to go by (an emoji, a link), with confidence 0."""
    cleaned = clean(text)
    return _decide(cleaned, model().dutch_log_odds(cleaned), fallback)


def detect_many(texts: list[str], fallback: str = "en") -> list[tuple[str, float]]:
    """detect() for a batch, with the n-gram hashing done once for all texts."""
    cleaned = [clean(t) for t in texts]
    buckets, owners = char_ngram_buckets_many(cleaned, NGRAMS)
    odds = np.bincount(owners, weights=model().log_odds[buckets], minlength=len(texts))
    return [_decide(c, float(o), fallback) for c, o in zip(cleaned, odds.tolist(), strict=True)]
