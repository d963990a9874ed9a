"""`make eval` (threading part): does the ingest path rebuild TWCS threads from reply links?

Ground truth is the reply forest of ../shared/data/twcs/twcs_sample.csv: two tweets belong to
the same thread when a chain of `in_response_to_tweet_id` links inside the file joins them.
The sample is imported twice into a scratch SQLite database:

1. in the importer's order (parents before children), as `webcare import twcs` does;
2. replayed event by event in a random order (three seeds), into fresh inboxes: the order in
   which webhooks really arrive, where replies come before their parents and the ingest path
   must adopt them when the parent shows up.

Scores per run: threads rebuilt exactly (all of a thread's tweets in one conversation with no
other tweet), and B-cubed precision and recall over tweets. Results go to stdout and to
var/eval/threading.json; docs/benchmarks.md quotes them.
"""

import csv
import io
import json
import os
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TWCS = ROOT.parent / "shared" / "data" / "twcs" / "twcs_sample.csv"
VAR = ROOT / "var" / "eval"
SEEDS = (1, 2, 3)

DB = VAR / "threading.sqlite3"
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "webcare.config.settings",
        "WEBCARE_ENV": "development",
        "WEBCARE_DATA_DIR": str(VAR),
        "DATABASE_URL": f"sqlite:///{DB}",
        "LOG_LEVEL": "WARNING",
    }
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from webcare.accounts.actions import get_or_create_account  # noqa: E402
from webcare.channels.actions import ingest  # noqa: E402
from webcare.channels.importers.twcs import import_twcs, quiet_message_logs  # noqa: E402
from webcare.channels.models import RawInboundEvent  # noqa: E402
from webcare.conversations.models import Message  # noqa: E402
from webcare.inboxes.actions import do_add_inbox  # noqa: E402
from webcare.inboxes.models import InboxKind  # noqa: E402


def true_threads(path: Path) -> dict[str, str]:
    """Tweet id -> id of its thread's root, from the reply links inside the file."""
    # A few tweets hold a bare carriage return, which csv takes for the end of a record.
    text = re.sub(r"\r(?!\n)", " ", path.read_bytes().decode("utf-8"))
    parent: dict[str, str | None] = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        link = row["in_response_to_tweet_id"].split(".")[0] or None
        parent[row["tweet_id"]] = link

    def root(tweet: str) -> str:
        seen = set()
        while (up := parent.get(tweet)) is not None and up in parent and up not in seen:
            seen.add(tweet)
            tweet = up
        return tweet

    return {tweet: root(tweet) for tweet in parent}


def scores(truth: dict[str, str], predicted: dict[str, int]) -> dict[str, float]:
    """Exact-thread rate and B-cubed precision/recall of `predicted` against `truth`."""
    tweets = [tweet for tweet in predicted if tweet in truth]
    by_thread: dict[str, set[str]] = defaultdict(set)
    by_conversation: dict[int, set[str]] = defaultdict(set)
    for tweet in tweets:
        by_thread[truth[tweet]].add(tweet)
        by_conversation[predicted[tweet]].add(tweet)
    precision = recall = 0.0
    for tweet in tweets:
        same_thread = by_thread[truth[tweet]]
        same_conversation = by_conversation[predicted[tweet]]
        overlap = len(same_thread & same_conversation)
        precision += overlap / len(same_conversation)
        recall += overlap / len(same_thread)
    exact = sum(
        1
        for members in by_thread.values()
        if by_conversation[predicted[next(iter(members))]] == members
    )
    return {
        "tweets": len(tweets),
        "threads": len(by_thread),
        "conversations": len(by_conversation),
        "threads_exact": exact,
        "threads_exact_rate": exact / len(by_thread),
        "bcubed_precision": precision / len(tweets),
        "bcubed_recall": recall / len(tweets),
    }


def conversations_of(account_name: str) -> dict[str, int]:
    return dict(
        Message.objects.filter(account__name=account_name, external_id__isnull=False).values_list(
            "external_id", "conversation_id"
        )
    )


def replay_shuffled(seed: int) -> dict[str, int]:
    """Every stored event of the importer's run, ingested again in a random order."""
    account = get_or_create_account(f"Shuffled {seed}")
    events = list(
        RawInboundEvent.objects.filter(inbox__account__name="In order").select_related("inbox")
    )
    random.Random(seed).shuffle(events)
    inboxes = {}
    for event in events:
        name = event.inbox.name
        if name not in inboxes:
            inboxes[name] = do_add_inbox(
                account, InboxKind.X, name, handle=event.inbox.handle, settings={"sandbox": True}
            )
        ingest(inboxes[name], event.source, event.dedupe_key, event.payload)
    return conversations_of(account.name)


def main() -> None:
    if not TWCS.exists():
        print(f"SKIPPED: {TWCS} is absent (the shared data folder is not on this machine).")
        return
    VAR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    truth = true_threads(TWCS)

    results: dict[str, object] = {}
    with quiet_message_logs():
        started = time.monotonic()
        import_twcs(TWCS, account_name="In order")
        results["in_order"] = {
            **scores(truth, conversations_of("In order")),
            "seconds": time.monotonic() - started,
        }
        for seed in SEEDS:
            started = time.monotonic()
            predicted = replay_shuffled(seed)
            results[f"shuffled_seed_{seed}"] = {
                **scores(truth, predicted),
                "seconds": time.monotonic() - started,
            }

    print(f"{'run':<18}{'tweets':>8}{'threads':>9}{'exact':>8}{'B3 P':>8}{'B3 R':>8}")
    for name, row in results.items():
        print(
            f"{name:<18}{row['tweets']:>8}{row['threads']:>9}"
            f"{row['threads_exact_rate']:>8.2%}{row['bcubed_precision']:>8.4f}"
            f"{row['bcubed_recall']:>8.4f}"
        )
    (VAR / "threading.json").write_text(json.dumps(results, indent=2))
    print(f"written to {VAR / 'threading.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
