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
