"""`make bench` (triage part): the whole triage of one message, and of a batch, side by side
with the TF-IDF + logistic regression baseline, on one core. Appends to docs/benchmarks.md.

Messages: 4,000 customer tweets to @SpotifyCares (TWCS, ../shared/data); without the folder,
a fixed set of generated Dutch and English messages. "One message" is the median of timing
each message alone (a call per message, as a background task triages it); "batch" is
messages per second over the whole list, `pipeline.triage_many` for ours and one
`predict(list)` for the baseline (scikit-learn vectorises a whole batch at once).

The baseline is trained here on airline_sentiment (word 1-2-gram TF-IDF, logistic
regression), i.e. only sentiment: ours does language, sentiment, complaint, intent, personal
data and priority in the time measured.
"""

import csv
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from webcare.triage import pipeline
from webcare.triage import training as tr

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
N = 4000


def messages() -> list[str]:
    data = tr.shared_data_dir()
    if data is not None:
        path = data / "twcs" / "spotifycares_requests.csv"
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        column = "text" if "text" in rows[0] else next(iter(rows[0]))
        return [r[column] for r in rows[:N]]
    base = [
        "@ParkeerCentraal de slagboom bij P3 gaat al 20 minuten niet open!! kenteken 12-ABC-3",
        "Hoe laat gaat de garage vanavond dicht?",
        "Thanks for the quick help this morning, great service",
        "My ticket was charged twice, card 4111 1111 1111 1111, please refund",
    ]
    return [f"{base[i % len(base)]} #{i}" for i in range(N)]


def baseline() -> object:
    data = tr.shared_data_dir()
    rows = (
        tr.airline(data)
        if data
        else [tr.Example("good", "positive", ""), tr.Example("bad", "negative", "")]
    )
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000),
    )
    return model.fit([e.text for e in rows], [e.label for e in rows])


def one_at_a_time(call, texts: list[str]) -> float:
    for t in texts[:200]:
        call(t)
    samples = []
    for t in texts:
        started = time.perf_counter()
        call(t)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def batch(call, texts: list[str], repeats: int = 3) -> float:
    """The best of `repeats` runs, as timeit does: on a machine shared with other work the
    slower runs measure the neighbours, not the code."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        call(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def machine() -> str:
    load = os.getloadavg()[0]
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} cores, load average {load:.1f} at the start"


def main() -> int:
    texts = messages()
    # Pinned to one core, so "one core" is what is measured whatever else runs.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    where = machine()
    model = baseline()
    pipeline.triage("warm up", "x")
    rows = [
        (
            "Webcare triage (all steps)",
            one_at_a_time(lambda t: pipeline.triage(t, "x"), texts),
            batch(lambda ts: pipeline.triage_many((t, "x") for t in ts), texts),
        ),
        (
            "TF-IDF + LR baseline (sentiment only)",
            one_at_a_time(lambda t: model.predict([t]), texts),
            batch(model.predict, texts),
        ),
    ]
    trained = "trained text models" if pipeline.text_models() else "lexicon fallback (no models)"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    lines = [
        "",
        f"## Triage speed (`make bench`, {datetime.now(UTC):%Y-%m-%d}, commit {commit})",
        "",
        f"{where}; one core (affinity pinned), {len(texts):,} messages, {trained}.",
        "Targets: one message ≤ 1 ms median, batch ≥ 2,000 messages/s (best of three runs).",
        "",
        "| | one message, median | batch |",
        "|---|---|---|",
    ]
    for name, single_us, per_second in rows:
        lines.append(f"| {name} | {single_us / 1000:.2f} ms | {per_second:,.0f} messages/s |")
    lines.append("")
    text = "\n".join(lines) + "\n"
    with DOC.open("a", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
