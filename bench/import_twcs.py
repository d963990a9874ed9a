"""Import one TWCS file in-process and print {"messages", "conversations", "seconds"} as JSON.

`bench/run.py` runs this once per measurement, in a fresh process against a freshly migrated
database (its DATABASE_URL), so each run pays the same start-up and sees the same empty tables.
The import itself is the real one behind `webcare import twcs`, minus the progress bar.
"""

import argparse
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webcare.config.settings")
django.setup()

from webcare.channels.importers.twcs import import_twcs, quiet_message_logs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    with quiet_message_logs():
        summary = import_twcs(args.file, account_name="Bench", limit=args.limit)
    failed = sum(len(ids) for ids in summary.failed.values())
    if failed:
        sys.exit(f"{failed} rows failed: {summary.failed}")
    result = {
        "messages": summary.messages_new,
        "conversations": summary.conversations_new,
        "rows": summary.rows_read,
        "seconds": summary.elapsed,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
