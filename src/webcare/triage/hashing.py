"""Character n-grams as hashed bucket numbers, computed with numpy over the whole string.

Looking each n-gram up in a Python dict was most of a triage's cost (a new string object per
n-gram, then a lookup in a dict larger than the CPU cache: 300 us a tweet here). Hashing the
code points with a rolling polynomial in a handful of vectorised steps gives the bucket of
every n-gram of a message in about 20 us, whatever its length. Collisions between n-grams
in one of 2^18 buckets cost nothing measurable in accuracy (docs/triage.md).

The hash is fixed (not Python's per-process randomised hash()), so a model trained at install
finds the same buckets at run time, on every machine.
"""

import numpy as np

BITS = 18
BUCKETS = 1 << BITS
_BASE = np.uint64(1_000_003)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads the high bits
_SHIFT = np.uint64(64 - BITS)


def char_ngram_buckets(text: str, sizes: tuple[int, ...]) -> np.ndarray:
    """The bucket of every character n-gram of `text`, for each n in `sizes` (with repeats,
    in no particular order). uint64 arithmetic wraps around, which is what a hash wants."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    length = len(points)
    parts = []
    for n in sizes:
        count = length - n + 1
        if count <= 0:
            continue
        h = points[:count] + np.uint64(n)  # the length is part of the hash: "ab" != "ab "[..2]
        for j in range(1, n):
            h = h * _BASE + points[j : j + count]
        parts.append(h)
    if not parts:
        return np.empty(0, dtype=np.intp)
    hashes = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return ((hashes * _GOLDEN) >> _SHIFT).astype(np.intp)


def char_ngram_buckets_many(
    texts: list[str], sizes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """The same buckets for a batch in one pass: (buckets, the index of the text each one
    belongs to). The texts are hashed as one array; n-grams that would run from one text into
    the next are dropped, so every text gets exactly what char_ngram_buckets gives it."""
    if not texts:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.intp, count=len(texts))
    ends = np.cumsum(lengths)
    owner_of_point = np.repeat(np.arange(len(texts), dtype=np.intp), lengths)
    total = len(points)
    all_buckets, all_owners = [], []
    for n in sizes:
        count = total - n + 1
        if count <= 0:
            continue
        h = points[:count] + np.uint64(n)
        for j in range(1, n):
            h = h * _BASE + points[j : j + count]
        owners = owner_of_point[:count]
        inside = np.arange(count) + n <= ends[owners]
        all_buckets.append(((h[inside] * _GOLDEN) >> _SHIFT).astype(np.intp))
        all_owners.append(owners[inside])
    if not all_buckets:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    return np.concatenate(all_buckets), np.concatenate(all_owners)


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. np.unique in numpy 2.4 hashes, which was 20 times slower
    than sorting on the hundreds of thousands of features of a batch."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
