"""Text features shared by the trained models: word and character n-grams, and lexicon scores.

One extraction serves every model (complaint, English and Dutch sentiment): the word n-grams
of a message are looked up once in one vocabulary, its character n-grams hashed once
(hashing.py), and all are scored against one weight matrix with a column per output
(linear.py), which is what keeps a whole triage under a millisecond. Training calls
the same functions as a message at run time, so the two can never drift apart.

Why these features: on tweets, word unigrams and bigrams plus character n-grams (here of
lengths 3 and 5, across word boundaries) beat a word-only TF-IDF baseline, and character
n-grams catch what words miss (misspellings, "sooooo", Dutch compounds such as
"klantenservice"). Lexicon scores (VADER's English lexicon, Pattern's Dutch adjectives and a
hand-written Dutch list) carry what a few thousand labelled tweets cannot teach: the polarity
of words that are rare in training.
"""

import math
import re
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"[#@]?\w+(?:'\w+)?|[^\w\s]")
# Lexicon lookups see words, "!" and "?", and the usual emoticons.
_LEX_TOKEN = re.compile(r"\w+(?:'\w+)?|[:;=]-?[()dDpP/]")

CHAR_NGRAMS = (3, 5)

NEGATORS_EN = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "cannot",
        "can't",
        "won't",
        "don't",
        "didn't",
        "doesn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "haven't",
        "hasn't",
        "couldn't",
        "wouldn't",
        "shouldn't",
        "cant",
        "wont",
        "dont",
        "didnt",
        "doesnt",
        "isnt",
        "wasnt",
        "arent",
        "havent",
        "hasnt",
        "couldnt",
        "wouldnt",
        "shouldnt",
        "without",
    ]
)
NEGATORS_NL = frozenset(
    ["niet", "geen", "nooit", "niks", "niets", "niemand", "nergens", "zonder", "noch"]
)
# VADER's constant: a negated word keeps three quarters of its strength, sign flipped.
NEGATION_SCALE = -0.74
LEXICON_FEATURES = 14


def tokens(text: str) -> list[str]:
    """Lower-cased tokens with URLs, @handles and digits folded, so that "@KLM" and "@NS", or
    two order numbers, count as the same thing to a model that must not learn brand names."""
    text = _URL.sub(" http ", text.lower())
    text = _MENTION.sub("@u", text)
    return _TOKEN.findall(_DIGIT.sub("0", text))


def word_features(toks: list[str]) -> list[str]:
    """Word 1- and 2-grams ("w:" and "b:" keep the two kinds apart)."""
    features = ["w:" + t for t in toks]
    features += [f"b:{a} {b}" for a, b in pairwise(toks)]
    return features


def char_text(toks: list[str]) -> str:
    """The string whose character n-grams are features (hashing.py): the tokens joined, so
    n-grams run across word boundaries as in "t w" of "at work"."""
    return " " + " ".join(toks) + " "


def _read_lexicon(lines: list[str], scale: float) -> dict[str, float]:
    lexicon: dict[str, float] = {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        word, value = line.rstrip("\n").split("\t")[:2]
        lexicon[word] = float(value) * scale
    return lexicon


@cache
def english_lexicon() -> dict[str, float]:
    """VADER's lexicon (-4..4) as shipped in the vadersentiment package (MIT)."""
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text("utf-8")
    return _read_lexicon(text.splitlines(), 1.0)


@cache
def dutch_lexicon() -> dict[str, float]:
    """Pattern's Dutch adjectives plus our webcare words, scaled to VADER's -4..4."""
    folder = Path(__file__).resolve().parent / "lexicons"
    lexicon = _read_lexicon((folder / "nl_adjectives.tsv").read_text("utf-8").splitlines(), 4.0)
    lexicon.update(_read_lexicon((folder / "nl_webcare.tsv").read_text("utf-8").splitlines(), 4.0))
    return lexicon


def _lexicon_scores(
    words: list[str], lexicon: dict[str, float], negators: frozenset[str]
) -> tuple[float, float, float, float, float]:
    """Summed positive and negative valence, a word flipped when one of the three words before
    it is a negator. The lookups run as map() over the words (most have no valence), so the
    Python loop only visits the few that do."""
    positive = negative = 0.0
    n_positive = n_negative = 0
    values = list(map(lexicon.get, words))
    negated = list(map(negators.__contains__, words))
    for i, found in enumerate(values):
        if found is None:
            continue
        value = found * NEGATION_SCALE if True in negated[max(0, i - 3) : i] else found
        if value > 0:
            positive += value
            n_positive += 1
        else:
            negative -= value
            n_negative += 1
    total = positive - negative
    return (
        positive / 4,
        negative / 4,
        total / math.sqrt(total * total + 15),  # VADER's normalisation of the sum to -1..1
        float(n_positive > n_negative),
        float(n_negative > n_positive),
    )


def lexicon_features(text: str) -> list[float]:
    """English and Dutch lexicon scores, "!" and "?" counts, and shouting: 14 numbers.

    Both lexicons are scored whatever the language: the models learn which to trust, and a
    mixed Dutch-English message (common on Dutch Twitter) gets both.
    """
    lower = text.lower()
    words = _LEX_TOKEN.findall(lower)
    letters = sum(map(str.isalpha, text))
    shouting = sum(map(str.isupper, text)) / letters if letters >= 8 else 0.0
    return [
        *_lexicon_scores(words, english_lexicon(), NEGATORS_EN),
        *_lexicon_scores(words, dutch_lexicon(), NEGATORS_NL),
        min(text.count("!"), 3) / 3,
        min(text.count("?"), 3) / 3,
        float(shouting > 0.6),
        min(len(words), 60) / 60,
    ]
