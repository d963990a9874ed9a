"""Training the triage models, offline: at `make install` and inside `make eval`.

    python -m webcare.triage.training text [--data DIR] [--out FILE]
    python -m webcare.triage.training language [--data DIR] [--out FILE]

`text` trains the complaint head and the English and Dutch sentiment heads on the shared data
folder (../shared/data). Those sets are licensed for research or non-commercial use only, so
neither they nor weights learned from them are ever committed: every install trains its own
copy into src/webcare/triage/trained/ when the folder is there, and without it the pipeline
falls back to the lexicons (pipeline.py says how). `language` rebuilds the committed language
model from the openly licensed sets only (language.py).

scikit-learn is used here and only here; run time needs numpy (and scipy.sparse for batches,
linear.py).
"""

import argparse
import csv
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from webcare.triage import language
from webcare.triage.features import (
    CHAR_NGRAMS,
    LEXICON_FEATURES,
    char_text,
    lexicon_features,
    tokens,
    word_features,
)
from webcare.triage.hashing import BUCKETS, char_ngram_buckets, distinct
from webcare.triage.linear import Head, TextModels

REPO = Path(__file__).resolve().parents[3]
TRAINED = Path(__file__).resolve().parent / "trained" / "text_models.npz"
SENTIMENT = ("negative", "neutral", "positive")
COMPLAINT = ("no", "yes")
# Regularisation per head and the weight of the airline tweets as extra complaint examples,
# chosen by cross-validation on folds 1-4 only, never on the held-out fold (docs/triage.md).
C = {"complaint": 8.0, "sentiment_en": 4.0, "sentiment_nl": 8.0}
AIRLINE_AS_COMPLAINTS_WEIGHT = 0.3
# Add-one smoothing of the feature counts in the naive Bayes log-count ratios.
NB_ALPHA = 1.0
# The most frequent word 1-2-grams only: a dict lookup per word is a large part of a
# triage's cost, several times slower in a dict that no longer fits the CPU cache.
MAX_WORDS = 50_000


def shared_data_dir() -> Path | None:
    """$WEBCARE_SHARED_DATA, else ../shared/data beside the checkout, else /work/shared/data."""
    candidates = [
        Path(os.environ["WEBCARE_SHARED_DATA"]) if os.environ.get("WEBCARE_SHARED_DATA") else None,
        REPO.parent / "shared" / "data",
        Path("/work/shared/data"),
    ]
    for candidate in candidates:
        if candidate is not None and (candidate / "complaints" / "complaints.csv").exists():
            return candidate
    return None


@dataclass
class Example:
    text: str
    label: str
    source: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def complaints(data: Path) -> list[Example]:
    return [
        Example(r["text"], "yes" if r["label"] == "1" else "no", "complaints")
        for r in _rows(data / "complaints" / "complaints.csv")
    ]


def airline(data: Path) -> list[Example]:
    return [
        Example(r["text"], r["airline_sentiment"], "airline_sentiment")
        for r in _rows(data / "airline_sentiment" / "tweets.csv")
    ]


def tweeteval(data: Path) -> list[Example]:
    return [
        Example(r["text"], r["label_name"], "tweeteval_sentiment")
        for r in _rows(data / "tweeteval_sentiment" / "sentiment.csv")
    ]


def nl_political(data: Path) -> list[Example]:
    return [
        Example(r["text"], r["polarity"], "nl_political_tweets")
        for r in _rows(data / "nl_political_tweets" / "polarity.csv")
    ]


def nl_restaurant(data: Path) -> list[Example]:
    """Sentence polarity; 'none' (no opinion) counts as neutral, 'mixed' sentences are left
    out (the issue scores positive, negative and neutral sentences)."""
    return [
        Example(
            r["text"],
            "neutral" if r["sentence_polarity"] == "none" else r["sentence_polarity"],
            "nl_restaurant_reviews",
        )
        for r in _rows(data / "nl_restaurant_reviews" / "sentences.csv")
        if r["sentence_polarity"] != "mixed"
    ]


def is_held_out(text: str) -> bool:
    """The fixed held-out fifth of every set: chosen by a hash of the text, so a retweet or a
    duplicate lands on the same side as its original and cannot leak into the test part."""
    return hashlib.sha256(text.strip().lower().encode("utf-8")).digest()[0] % 5 == 0


@dataclass
class TrainingSets:
    """Examples per head; `weights` are per example (1 unless said otherwise)."""

    complaint: list[Example] = field(default_factory=list)
    complaint_weights: list[float] = field(default_factory=list)
    sentiment_en: list[Example] = field(default_factory=list)
    sentiment_nl: list[Example] = field(default_factory=list)


def training_sets(data: Path, keep: Callable[[Example], bool] = lambda e: True) -> TrainingSets:
    """What each head learns from. The complaint head also sees the airline tweets, negative
    as complaints, at a lower weight: 10,000 more customer tweets, and in cross-validation on
    the training part they lifted complaint macro-F1 by about one point."""
    sets = TrainingSets()
    own = [e for e in complaints(data) if keep(e)]
    airline_rows = [e for e in airline(data) if keep(e)]
    extra = [
        Example(e.text, "yes" if e.label == "negative" else "no", e.source) for e in airline_rows
    ]
    sets.complaint = own + extra
    sets.complaint_weights = [1.0] * len(own) + [AIRLINE_AS_COMPLAINTS_WEIGHT] * len(extra)
    sets.sentiment_en = airline_rows + [e for e in tweeteval(data) if keep(e)]
    sets.sentiment_nl = [e for e in nl_political(data) + nl_restaurant(data) if keep(e)]
    return sets


class FeatureSpace:
    """Word 1-2-grams seen in at least two texts (the MAX_WORDS most frequent), then every
    hashed character bucket seen in at least two; binary TF-IDF with scikit-learn's smoothed
    idf, rows l2-normalised. Built by hand rather than with TfidfVectorizer because the
    character part is hashed with our own function (hashing.py), which run time repeats."""

    def __init__(self, texts: list[str]) -> None:
        word_df: Counter[str] = Counter()
        char_df = np.zeros(BUCKETS, dtype=np.int64)
        for text in texts:
            toks = tokens(text)
            word_df.update(set(word_features(toks)))
            char_df[distinct(char_ngram_buckets(char_text(toks), CHAR_NGRAMS))] += 1
        kept = sorted((w for w, df in word_df.items() if df >= 2), key=lambda w: (-word_df[w], w))[
            :MAX_WORDS
        ]
        self.vocabulary = sorted(kept)
        self.index = {w: i for i, w in enumerate(self.vocabulary)}
        n = len(texts)
        df = np.concatenate(
            [np.array([word_df[w] for w in self.vocabulary], dtype=np.float64), char_df]
        )
        self.idf = np.where(df >= 2, np.log((1 + n) / (1 + df)) + 1, 0.0)
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._rows.get(text)
        if cached is not None:
            return cached
        toks = tokens(text)
        words = sorted({self.index[g] for g in word_features(toks) if g in self.index})
        chars = distinct(char_ngram_buckets(char_text(toks), CHAR_NGRAMS)) + len(self.index)
        ids = np.concatenate([np.array(words, dtype=np.intp), chars])
        values = self.idf[ids]
        keep = values > 0
        ids, values = ids[keep], values[keep]
        norm = np.sqrt(values @ values)
        result = (ids, values / norm if norm > 0 else values)
        self._rows[text] = result
        return result

    def matrix(self, texts: list[str]) -> object:
        from scipy import sparse  # noqa: PLC0415 (training-only dependencies stay out of run time)

        rows = [self.row(t) for t in texts]
        indptr = np.cumsum([0] + [len(ids) for ids, _ in rows])
        indices = np.concatenate([ids for ids, _ in rows]) if rows else np.empty(0, np.intp)
        data = np.concatenate([v for _, v in rows]) if rows else np.empty(0)
        tfidf = sparse.csr_matrix((data, indices, indptr), shape=(len(texts), len(self.idf)))
        dense = sparse.csr_matrix(np.array([lexicon_features(t) for t in texts]))
        return sparse.hstack([tfidf, dense]).tocsr()


def log_count_ratios(present: object, positive: np.ndarray, alpha: float) -> np.ndarray:
    """How much more often each feature occurs in the texts of one class than in the rest, as
    a log ratio of smoothed relative frequencies: naive Bayes' view of a feature."""
    counts_in = np.asarray(present[positive].sum(axis=0)).ravel() + alpha
    counts_out = np.asarray(present[~positive].sum(axis=0)).ravel() + alpha
    return np.log(counts_in / counts_in.sum()) - np.log(counts_out / counts_out.sum())


def nb_logistic(
    features: object,
    labels: list[str],
    classes: tuple[str, ...],
    c: float,
    weights: list[float] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """NB-LR (Wang & Manning 2012, NBSVM with a logistic loss): per class, the features are
    scaled by their naive Bayes log-count ratios and a class-balanced logistic regression
    learns class-against-the-rest on them. Scaling then weighting is still one linear
    function, so the ratios fold into the weights (coefficient times ratio) and run time
    stays one matrix product (linear.py). Binary heads keep one column, for their second
    class; the others one per class, which run time turns into probabilities by softmax.

    Against a plain logistic regression over the same features it lifted the 5-fold CV
    score of every shared set by 0.7-1.3 points (docs/triage.md, "What was tried")."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 (training only)

    y = np.asarray(labels)
    present = (features > 0).astype(np.float64)
    columns: list[np.ndarray] = []
    biases: list[float] = []
    for cls in classes[1:] if len(classes) == 2 else classes:
        positive = y == cls
        ratios = log_count_ratios(present, positive, NB_ALPHA)
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
        model.fit(features.multiply(ratios).tocsr(), positive, sample_weight=weights)
        columns.append(model.coef_[0] * ratios)
        biases.append(float(model.intercept_[0]))
    return np.column_stack(columns), np.array(biases)


def train_text_models(sets: TrainingSets, meta: dict[str, object] | None = None) -> TextModels:
    """One feature space over every head's texts, then one NB-LR per head over TF-IDF
    (binary, l2) + lexicon features."""
    space = FeatureSpace(
        sorted({e.text for e in sets.complaint + sets.sentiment_en + sets.sentiment_nl})
    )
    n_features = len(space.idf)

    heads: list[Head] = []
    columns: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    start = 0
    for name, examples, classes, weights in (
        ("complaint", sets.complaint, COMPLAINT, sets.complaint_weights),
        ("sentiment_en", sets.sentiment_en, SENTIMENT, None),
        ("sentiment_nl", sets.sentiment_nl, SENTIMENT, None),
    ):
        labels = [e.label for e in examples]
        unknown = set(labels) - set(classes)
        assert not unknown, f"{name}: labels {unknown} are not among {classes}"
        features = space.matrix([e.text for e in examples])
        head_columns, head_biases = nb_logistic(features, labels, classes, C[name], weights)
        head = Head(name, classes, start)
        heads.append(head)
        columns.append(head_columns)
        biases.append(head_biases)
        start += head.width

    coef = np.hstack(columns)
    return TextModels(
        vocabulary=space.vocabulary,
        idf=space.idf,
        weights=coef[:n_features],
        dense_weights=coef[n_features : n_features + LEXICON_FEATURES],
        bias=np.concatenate(biases),
        heads=heads,
        meta=meta or {},
    )


def train_language(data: Path, alpha: float = 0.1, min_count: int = 3) -> language.LanguageModel:
    """Naive Bayes counts over the openly licensed sets only (their licences allow shipping
    what is learned from them, with attribution: docs/triage.md)."""
    dutch = [r["text"] for r in _rows(data / "nl_subtitles_emotion" / "xed_nl.csv")]
    english = [r["text"] for r in _rows(data / "banking77" / "train.csv")] + [
        r["text"] for r in _rows(data / "twitter_customer_care_threads" / "conversations.csv")
    ]
    counts = []
    for texts in (english, dutch):
        tally = np.zeros(BUCKETS, dtype=np.float64)
        for text in texts:
            np.add.at(tally, language.buckets(language.clean(text)), 1)
        counts.append(tally)
    english_counts, dutch_counts = counts
    kept = (english_counts + dutch_counts) >= min_count
    n_kept = int(kept.sum())
    english_p = (english_counts + alpha) / (english_counts[kept].sum() + alpha * n_kept)
    dutch_p = (dutch_counts + alpha) / (dutch_counts[kept].sum() + alpha * n_kept)
    return language.LanguageModel(np.where(kept, np.log(dutch_p) - np.log(english_p), 0.0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("what", choices=["text", "language"])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    data = args.data or shared_data_dir()
    if data is None:
        sys.stdout.write(
            "triage: no shared data folder (../shared/data); the text models are not trained "
            "and triage uses its lexicons (docs/triage.md).\n"
        )
        return 0
    if args.what == "language":
        out = args.out or language.ARTEFACT
        train_language(data).save(out)
    else:
        out = args.out or TRAINED
        sets = training_sets(data)
        meta = {
            "trained_on": "all rows of the shared data sets",
            "sources": sorted(
                {e.source for e in sets.complaint + sets.sentiment_en + sets.sentiment_nl}
            ),
        }
        train_text_models(sets, meta).save(out)
    sys.stdout.write(f"triage: wrote {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
