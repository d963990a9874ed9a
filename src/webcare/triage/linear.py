"""The trained linear models and how they are stored: numpy arrays, no pickle, no scikit-learn.

Training (training.py) uses scikit-learn once, at install or in `make eval`; what it keeps is
a vocabulary of word 1-2-grams, the idf of each feature (words, then 2^18 hashed character
n-gram buckets, hashing.py), and one weight matrix with a column per output of every head
(complaint; English and Dutch sentiment). At run time a message's features are found once and
all heads are scored with one small matrix product, so the cost of a head is a few columns,
not a second pass over the text.

Files are `.npz` (numpy's zip of arrays), loaded with allow_pickle=False: a model file can
carry numbers and text, never code.
"""

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from webcare.triage.features import (
    CHAR_NGRAMS,
    char_text,
    lexicon_features,
    tokens,
    word_features,
)
from webcare.triage.hashing import char_ngram_buckets, char_ngram_buckets_many, distinct


@dataclass(frozen=True)
class Head:
    """One model's columns in the weight matrix: binary heads have one (a logit), the others
    one per class (softmax)."""

    name: str
    classes: tuple[str, ...]
    start: int

    @property
    def width(self) -> int:
        return 1 if len(self.classes) == 2 else len(self.classes)


class TextModels:
    """All heads over one feature space: the word vocabulary, then the character buckets."""

    def __init__(
        self,
        *,
        vocabulary: list[str],
        idf: np.ndarray,
        weights: np.ndarray,
        dense_weights: np.ndarray,
        bias: np.ndarray,
        heads: list[Head],
        meta: dict[str, object],
    ) -> None:
        self.vocabulary = vocabulary
        self.index = {gram: i for i, gram in enumerate(vocabulary)}
        self.n_words = len(vocabulary)
        self.idf = idf.astype(np.float64)
        self.weights = weights.astype(np.float64)
        self.dense_weights = dense_weights.astype(np.float64)
        self.bias = bias.astype(np.float64)
        self.heads = {head.name: head for head in heads}
        self.meta = meta
        # Each n-gram's idf folded into its weights, and its squared idf for the l2 norm: a
        # message then costs one dict lookup per n-gram and two gathers.
        self.scaled = self.weights * self.idf[:, None]
        self.idf_squared = self.idf * self.idf

    def feature_ids(self, text: str) -> np.ndarray:
        """The columns of the features present in `text` (binary: each once)."""
        toks = tokens(text)
        words = set(map(self.index.get, word_features(toks)))
        words.discard(None)
        chars = distinct(char_ngram_buckets(char_text(toks), CHAR_NGRAMS)) + self.n_words
        if not words:
            return chars
        return np.concatenate((np.fromiter(words, dtype=np.intp, count=len(words)), chars))

    def logits(self, text: str) -> np.ndarray:
        """Every head's raw scores for one text: binary TF-IDF (l2) features and the lexicon
        features, exactly as the logistic regressions saw them in training."""
        ids = self.feature_ids(text)
        z = self.bias + np.asarray(lexicon_features(text)) @ self.dense_weights
        norm = float(self.idf_squared[ids].sum())
        if norm > 0:
            z = z + self.scaled[ids].sum(axis=0) / math.sqrt(norm)
        return z

    def logits_many(self, texts: list[str]) -> np.ndarray:
        """logits() for a batch, one row per text, with the per-message numpy calls done once
        for the whole batch (the batch path of `webcare triage` and the bench)."""
        n_texts = len(texts)
        if not n_texts:
            return np.empty((0, len(self.bias)))
        toks_list = [tokens(t) for t in texts]
        buckets, owners = char_ngram_buckets_many([char_text(t) for t in toks_list], CHAR_NGRAMS)
        word_rows: list[int] = []
        word_ids: list[int] = []
        index_get = self.index.get
        for row, toks in enumerate(toks_list):
            found = set(map(index_get, word_features(toks)))
            found.discard(None)
            word_ids.extend(found)  # type: ignore[arg-type]
            word_rows.extend([row] * len(found))
        width = self.n_words + (1 << 18)
        keys = distinct(
            np.concatenate(
                (
                    np.asarray(word_rows, dtype=np.int64) * width + np.asarray(word_ids, np.int64),
                    owners.astype(np.int64) * width + buckets + self.n_words,
                )
            )
        )
        rows, cols = np.divmod(keys, width)
        # One sparse product instead of gathering a row of weights per feature: a batch has
        # hundreds of thousands of features, and the gathered copy was most of the time.
        indptr = np.zeros(n_texts + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_texts), out=indptr[1:])
        present = sparse.csr_matrix(
            (np.ones(len(cols)), cols, indptr), shape=(n_texts, len(self.idf))
        )
        norms = np.sqrt(present @ self.idf_squared)
        z = present @ self.scaled
        z /= np.where(norms > 0, norms, 1.0)[:, None]
        dense = np.array([lexicon_features(t) for t in texts]).reshape(n_texts, -1)
        return z + dense @ self.dense_weights + self.bias

    def predict(self, text: str) -> dict[str, dict[str, float]]:
        """Class probabilities per head."""
        return self.probabilities(self.logits(text))

    def probabilities_many(self, z: np.ndarray) -> list[dict[str, dict[str, float]]]:
        """probabilities() for every row of a batch's logits, computed on the whole matrix."""
        columns: dict[str, list[list[float]]] = {}
        for head in self.heads.values():
            part = z[:, head.start : head.start + head.width]
            if head.width == 1:
                p = 1.0 / (1.0 + np.exp(-part[:, 0]))
                columns[head.name] = np.column_stack((1.0 - p, p)).tolist()
            else:
                e = np.exp(part - part.max(axis=1, keepdims=True))
                columns[head.name] = (e / e.sum(axis=1, keepdims=True)).tolist()
        return [
            {
                name: dict(zip(self.heads[name].classes, values[row], strict=True))
                for name, values in columns.items()
            }
            for row in range(len(z))
        ]

    def probabilities(self, z: np.ndarray) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for head in self.heads.values():
            if head.width == 1:
                p = 1.0 / (1.0 + math.exp(-float(z[head.start])))
                out[head.name] = {head.classes[0]: 1.0 - p, head.classes[1]: p}
            else:
                part = z[head.start : head.start + head.width]
                e = np.exp(part - part.max())
                e /= e.sum()
                out[head.name] = dict(zip(head.classes, e.tolist(), strict=True))
        return out

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            **self.meta,
            "heads": [
                {"name": h.name, "classes": h.classes, "start": h.start}
                for h in self.heads.values()
            ],
        }
        np.savez_compressed(
            path,
            vocabulary=_text_array("\n".join(self.vocabulary)),
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float32),
            dense_weights=self.dense_weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            meta=_text_array(json.dumps(meta, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path) -> "TextModels":
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(_array_text(data["meta"]))
            heads = [
                Head(h["name"], tuple(h["classes"]), int(h["start"])) for h in meta.pop("heads")
            ]
            return cls(
                vocabulary=_array_text(data["vocabulary"]).split("\n"),
                idf=data["idf"],
                weights=data["weights"],
                dense_weights=data["dense_weights"],
                bias=data["bias"],
                heads=heads,
                meta=meta,
            )


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _array_text(array: np.ndarray) -> str:
    return array.tobytes().decode("utf-8")


def file_digest(path: Path) -> str:
    """The first 12 hex digits of a model file's SHA-256: part of the stored model version,
    so a result can always be traced to the exact weights that made it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
