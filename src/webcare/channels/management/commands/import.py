"""`webcare import twcs FILE [--account NAME] [--brand HANDLE] [--limit N] [--quiet]`.

A thin shell around `channels.importers`: a progress bar while it works, a summary at the end.
"""

import io
import sys
from contextlib import nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from webcare.channels.importers.twcs import (
    ImportSummary,
    TwcsImportError,
    import_twcs,
    quiet_message_logs,
)
from webcare.core.errors import ActionError

# How many tweet ids a summary line shows; the rest is a count.
_SHOWN_IDS = 5
_SHOWN_REASONS = 10


class _RichProgress:
    """The importer's progress, drawn as a rich bar per phase."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.total = 0

    def phase(self, description: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.total)
        self.task = self.progress.add_task(description, total=total)
        self.total = total

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:_SHOWN_IDS])
    more = len(ids) - _SHOWN_IDS
    return f"{shown}, and {more} more" if more > 0 else shown


def summary_table(summary: ImportSummary) -> Table:
    table = Table(title=f"TWCS import into account {summary.account!r}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("count", justify="right")
    table.add_column("details")
    table.add_row("Rows read", f"{summary.rows_read:,}", "")
    table.add_row("Threads imported", f"{summary.threads:,}", "")
    table.add_row("Messages imported (new)", f"{summary.messages_new:,}", "")
    table.add_row("Duplicates (already there)", f"{summary.duplicates:,}", "")
    table.add_row("Conversations (new)", f"{summary.conversations_new:,}", "")
    table.add_row("Contacts (new)", f"{summary.contacts_new:,}", "")
    table.add_row(
        "Inboxes",
        f"{len(summary.inboxes):,}",
        f"{summary.inboxes_new:,} new: " + _ids(summary.inboxes),
    )
    if summary.multi_brand_threads:
        table.add_row(
            "Threads with several brands",
            f"{len(summary.multi_brand_threads):,}",
            "kept whole in the first brand's inbox; roots: " + _ids(summary.multi_brand_threads),
        )
    for reason, ids in summary.not_threaded.items():
        table.add_row(f"Not threaded: {reason}", f"{len(ids):,}", _ids(ids))
    # Failure reasons quote the bad value, so a messy file can have thousands of them.
    failed = sorted(summary.failed.items(), key=lambda item: -len(item[1]))
    for reason, ids in failed[:_SHOWN_REASONS]:
        table.add_row(f"Failed: {reason}", f"{len(ids):,}", _ids(ids))
    rest = [tweet for _, ids in failed[_SHOWN_REASONS:] for tweet in ids]
    if rest:
        table.add_row(
            f"Failed: {len(failed) - _SHOWN_REASONS:,} other reasons",
            f"{len(rest):,}",
            _ids(rest) + " (see `webcare events list`)",
        )
    table.add_row("Elapsed seconds", f"{summary.elapsed:.1f}", "")
    table.add_row("Rows per second", f"{summary.rows_per_second:,.0f}", "")
    return table


class Command(BaseCommand):
    help = "Import history files into inboxes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="format", required=True)
        twcs = sub.add_parser(
            "twcs",
            help="A 'Customer Support on Twitter' CSV: one X inbox per brand account.",
        )
        twcs.add_argument("file", type=Path)
        twcs.add_argument("--account", default="Demo", help="Account name; created if missing.")
        twcs.add_argument("--brand", help="Import only the threads of this brand handle.")
        twcs.add_argument("--limit", type=int, help="Read only the first N rows of the file.")
        twcs.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: object, **options: object) -> None:
        limit = options["limit"]
        if isinstance(limit, int) and limit < 1:
            raise CommandError("--limit must be 1 or more.")
        show_progress = not options["quiet"] and self.stdout.isatty()
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=sys.stdout),
            disable=not show_progress,
        )
        # -v 2 keeps the one log line per message; by default only warnings show.
        logs = nullcontext() if int(str(options["verbosity"])) >= 2 else quiet_message_logs()
        try:
            with progress, logs:
                summary = import_twcs(
                    options["file"],
                    account_name=str(options["account"]),
                    brand=options["brand"] if isinstance(options["brand"], str) else None,
                    limit=limit if isinstance(limit, int) else None,
                    progress=_RichProgress(progress),
                )
        except (TwcsImportError, ActionError) as exc:
            raise CommandError(f"Cannot import {options['file']}: {exc}") from exc
        buffer = io.StringIO()
        Console(file=buffer, width=120, force_terminal=self.stdout.isatty()).print(
            summary_table(summary)
        )
        self.stdout.write(buffer.getvalue(), ending="")
