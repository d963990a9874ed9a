"""Import a "Customer Support on Twitter" (TWCS) CSV into one X inbox per brand account.

Customer tweets become inbound messages and the brands' tweets replies that were already sent.
Every row goes through the one ingest path (`channels.actions.ingest`, parsed by
`channels.adapters.twcs`), so an imported tweet is stored, threaded and deduplicated exactly as
a webhook delivery would be, and importing the same file twice adds nothing.

The file is read three times over, for reasons of scale (the full TWCS has 2.8 million rows):

1. Read every row once, keeping only what threading needs (id, parent, author, time) and the
   byte offset where the row starts; the texts stay on disk instead of in memory.
2. Rebuild the reply forest from those links, so each tweet knows its thread whatever order the
   rows come in, and give each thread to the brand that answered in it (or that the customer
   mentioned when nobody answered).
3. Ingest thread by thread, parents before children, coming back to the file for each row's
   text. The ingest path can adopt replies that arrive before their parents, but each adoption
   merges conversations; feeding parents first makes it the exception.
"""

import csv
import json
import logging
import math
import re
import sys
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from django.db import transaction

from webcare.accounts.actions import get_or_create_account
from webcare.accounts.models import Account
from webcare.channels.actions import ingest
from webcare.channels.adapters import twcs
from webcare.channels.adapters.base import PayloadError
from webcare.channels.models import EventState, RawInboundEvent
from webcare.contacts.models import Contact
from webcare.conversations.models import Conversation, Message, MessageKind
from webcare.inboxes.actions import do_add_inbox, do_update_inbox_promises
from webcare.inboxes.models import Inbox, InboxKind

NO_BRAND = "no brand account in the thread or its mentions"
PARENT_NOT_IN_FILE = "parent not in file"
REPEATED_ID = "tweet_id repeated in the file (only its first row was imported)"

# X screen names are letters, digits and underscores; the whole name must match a brand.
_MENTION = re.compile(r"@([A-Za-z0-9_]+)")
# csv ends a record at a bare carriage return in an unquoted field, and TWCS has a few inside
# tweets; it is swapped for a character no tweet contains while csv reads, then put back.
_CR_STAND_IN = "\uffff"
_UTF8_BOM = b"\xef\xbb\xbf"
# Rows per look-up of already-imported events: one query instead of one per row.
_BATCH_ROWS = 500
_PROGRESS_EVERY = 1000


class TwcsImportError(ValueError):
    """The file cannot be imported at all: missing, unreadable, wrong columns, unknown brand."""


class Progress(Protocol):
    """Where the importer reports how far it got (a progress bar, or nothing)."""

    def phase(self, description: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


class _Silent:
    def phase(self, description: str, total: int) -> None:
        return None

    def advance(self, amount: int) -> None:
        return None


@dataclass
class ImportSummary:
    """What one import did. Tweet ids are listed for everything that did not go to plan.

    `not_threaded` maps a reason to the tweet ids it concerns: threads with no brand are not
    imported at all (no inbox to put them in); a reply whose parent is not in the file is
    imported but starts a conversation of its own. `failed` maps the parser's reason to the
    rows whose stored event failed; they are kept, with that reason, for `webcare events`.
    Rows without a tweet id are named `row:N`, N counting the file's data rows from 1.
    """

    account: str
    rows_read: int = 0
    threads: int = 0
    messages_new: int = 0
    duplicates: int = 0
    conversations_new: int = 0
    contacts_new: int = 0
    inboxes: list[str] = field(default_factory=list)
    inboxes_new: int = 0
    multi_brand_threads: list[str] = field(default_factory=list)
    not_threaded: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.elapsed if self.elapsed > 0 else 0.0

    def unthreaded_ids(self) -> set[str]:
        """Every tweet id reported as not threaded or failed, whatever the reason."""
        return {
            tweet for ids in (*self.not_threaded.values(), *self.failed.values()) for tweet in ids
        }


@contextmanager
def quiet_message_logs() -> Iterator[None]:
    """Silence the one info line per received message for the length of an import.

    Millions of them would bury the summary and the warnings that matter (failed events),
    and writing them costs a noticeable share of the import's time.
    """
    logger = logging.getLogger("webcare.conversations.actions")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


class _Lines:
    """The lines of a CSV opened in binary, split on \\n only, with the current byte offset.

    csv.reader pulls exactly the lines of one record per row, so `offset` taken before each
    row is where that row starts: the importer can seek back for a row's text later.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.offset = handle.tell()
        self.line_number = 0
        self.patched = False

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        start = self.offset
        self.offset += len(raw)
        self.line_number += 1
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TwcsImportError(
                f"line {self.line_number} (byte {start + exc.start}) is not UTF-8: {exc.reason}"
            ) from exc
        if "\r" not in line:
            return line
        ending = "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""
        body = line[: len(line) - len(ending)]
        if "\r" not in body:
            return line
        self.patched = True
        return body.replace("\r", _CR_STAND_IN) + ending


def _next_record(reader: Iterator[list[str]], lines: _Lines) -> list[str] | None:
    try:
        record = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise TwcsImportError(f"line {lines.line_number}: {exc}") from exc
    if lines.patched:
        lines.patched = False
        record = [value.replace(_CR_STAND_IN, "\r") for value in record]
    return record


def _cell(record: list[str], column: int) -> str:
    return record[column] if column < len(record) else ""


@dataclass
class _Forest:
    """The rows read, as parallel columns indexed by row position (memory: no per-row object)."""

    header: list[str]
    keys: list[str] = field(default_factory=list)  # tweet id, or "row:N" when it has none
    parent_ids: list[str | None] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    from_brand: bytearray = field(default_factory=bytearray)
    # Epoch seconds; inf when the date cannot be read (the parser will say why).
    times: "array[float]" = field(default_factory=lambda: array("d"))
    offsets: "array[int]" = field(default_factory=lambda: array("q"))
    brands: dict[str, str] = field(default_factory=dict)  # lower-case handle -> as written
    repeated: list[str] = field(default_factory=list)
    rows_read: int = 0

    def __len__(self) -> int:
        return len(self.keys)


def _open_header(handle: BinaryIO) -> tuple[_Lines, Iterator[list[str]], list[str]]:
    if handle.read(3) != _UTF8_BOM:
        handle.seek(0)
    lines = _Lines(handle)
    reader = csv.reader(lines)
    header = _next_record(reader, lines)
    if not header:
        raise TwcsImportError("the file is empty; expected a header row")
    missing = [name for name in twcs.REQUIRED_COLUMNS if name not in header]
    if missing:
        raise TwcsImportError(
            f"missing column(s) {', '.join(missing)}; a TWCS file has the columns "
            f"{', '.join(twcs.COLUMNS)} (found: {', '.join(header) or 'none'})"
        )
    return lines, reader, header


def _read_rows(handle: BinaryIO, limit: int | None, progress: Progress) -> _Forest:
    """Pass 1: what threading and attribution need from every row, and where each row starts."""
    lines, reader, header = _open_header(handle)
    column = {name: position for position, name in reversed(list(enumerate(header)))}
    tweet_col, parent_col = column["tweet_id"], column["in_response_to_tweet_id"]
    author_col, inbound_col, time_col = column["author_id"], column["inbound"], column["created_at"]
    forest = _Forest(header=header)
    seen: set[str] = set()
    reported = 0
    while limit is None or forest.rows_read < limit:
        start = lines.offset
        record = _next_record(reader, lines)
        if record is None:
            break
        if not record:
            continue  # a blank line is no row
        forest.rows_read += 1
        try:
            key = twcs.normalise_tweet_id(_cell(record, tweet_col), "tweet_id")
        except PayloadError:
            key = None
        key = key or f"row:{forest.rows_read}"
        if key in seen:
            forest.repeated.append(key)
            continue
        seen.add(key)
        try:
            parent = twcs.normalise_tweet_id(_cell(record, parent_col), "in_response_to_tweet_id")
        except PayloadError:
            parent = None  # the parser refuses the row; threading just ignores the link
        try:
            moment = twcs.parse_created_at(_cell(record, time_col)).timestamp()
        except PayloadError:
            moment = math.inf
        author = _cell(record, author_col).strip()
        is_brand = _cell(record, inbound_col).strip() == "False" and bool(author)
        if is_brand:
            author = sys.intern(author)
            forest.brands.setdefault(author.lower(), author)
        forest.keys.append(key)
        forest.parent_ids.append(parent)
        forest.authors.append(author)
        forest.from_brand.append(is_brand)
        forest.times.append(moment)
        forest.offsets.append(start)
        if forest.rows_read % _PROGRESS_EVERY == 0:
            progress.advance(lines.offset - reported)
            reported = lines.offset
    progress.advance(lines.offset - reported)
    return forest


def _record_at(handle: BinaryIO, offset: int, header: list[str]) -> dict[str, object]:
    """One row again, as a JSON-ready object of the file's own columns and verbatim strings."""
    handle.seek(offset)
    lines = _Lines(handle)
    record = _next_record(csv.reader(lines), lines) or []
    row: dict[str, object] = dict(zip(header, record, strict=False))
    if len(record) > len(header):
        row["_extra"] = record[len(header) :]
    return row


@dataclass
class _Threads:
    """The reply forest: each row's root (thread) and depth below it, and rows per root."""

    roots: list[int]
    depths: list[int]
    members: dict[int, list[int]]
    dangling: set[int]  # roots that reply to a tweet not among the rows read


def _build_threads(forest: _Forest) -> _Threads:
    """Pass 2: follow each row's reply link up to the top of its thread within the file.

    Iterative with memoisation, because threads can be hundreds of replies deep. A loop of
    reply links (broken data) is cut at the row where the walk found it.
    """
    position = {key: index for index, key in enumerate(forest.keys)}
    parents = [-1 if p is None else position.get(p, -1) for p in forest.parent_ids]
    dangling = {
        index
        for index, parent_id in enumerate(forest.parent_ids)
        if parent_id is not None and parents[index] == -1
    }
    size = len(forest)
    roots, depths = [-1] * size, [0] * size
    unvisited, on_path = 0, 1
    state = bytearray(size)
    for start in range(size):
        if state[start]:
            continue
        path: list[int] = []
        node = start
        while state[node] == unvisited:
            state[node] = on_path
            path.append(node)
            if parents[node] == -1:
                break
            node = parents[node]
        if parents[path[-1]] == -1:
            root, depth = path[-1], 0
        elif state[node] == on_path:
            root, depth = node, 1  # a loop; `node` becomes the top of its thread
        else:
            root, depth = roots[node], depths[node] + 1
        for member in reversed(path):
            if member == root:
                depth = 0
            roots[member], depths[member] = root, depth
            state[member] = 2
            depth += 1
    members: dict[int, list[int]] = {}
    for index, root in enumerate(roots):
        members.setdefault(root, []).append(index)
    return _Threads(roots=roots, depths=depths, members=members, dangling=dangling)


def _thread_brand(
    forest: _Forest, members: list[int], root_text: str
) -> tuple[str | None, set[str]]:
    """The brand whose inbox gets the thread, and every brand that tweeted in it.

    The first brand to answer owns the thread; with no answer, the first brand the customer
    mentioned at the top of the thread.
    """
    brand_rows = [index for index in members if forest.from_brand[index]]
    if brand_rows:
        first = min(brand_rows, key=lambda index: (forest.times[index], index))
        return forest.authors[first], {forest.authors[index] for index in brand_rows}
    for mention in _MENTION.findall(root_text):
        brand = forest.brands.get(mention.lower())
        if brand is not None:
            return brand, {brand}
    return None, set()


def _x_inbox(account: Account, brand: str) -> tuple[Inbox, bool]:
    """The brand's X inbox in the account, made as a sandbox the first time."""
    inbox = Inbox.objects.filter(account=account, kind=InboxKind.X, handle__iexact=brand).first()
    if inbox is not None:
        return inbox, False
    inbox = do_add_inbox(
        account, InboxKind.X, f"@{brand} on X", handle=brand, settings={"sandbox": True}
    )
    # An archive made no promises: years-old unanswered tweets must not flood the leads
    # with escalations. A team that answers from this inbox sets its promises afterwards.
    do_update_inbox_promises(inbox, {"first_response_minutes": None, "next_response_minutes": None})
    return inbox, True


def _dedupe_key(key: str) -> str:
    return key if key.startswith("row:") else f"tweet:{key}"


def _counts(account: Account, inboxes: list[Inbox]) -> tuple[int, int, int]:
    messages = Message.objects.filter(inbox__in=inboxes, kind=MessageKind.MESSAGE).count()
    conversations = Conversation.objects.filter(inbox__in=inboxes, merged_into__isnull=True).count()
    return messages, conversations, Contact.objects.filter(account=account).count()


def _ingest_batch(
    handle: BinaryIO,
    forest: _Forest,
    batch: list[tuple[Inbox, list[int]]],
    summary: ImportSummary,
    progress: Progress,
) -> None:
    """Pass 3 for a few hundred rows: skip what an earlier import finished, ingest the rest.

    Each thread is one transaction: one commit instead of two per row (store, then process),
    and a thread is either all in or (after a crash) all absent, to be added by a rerun. Not
    one transaction per batch: that would hold the account's conversation-counter lock, which
    webhooks need too, for seconds at a time.
    """
    wanted = [_dedupe_key(forest.keys[index]) for _, members in batch for index in members]
    finished = set(
        RawInboundEvent.objects.filter(
            inbox__in={inbox.pk for inbox, _ in batch},
            dedupe_key__in=wanted,
            state=EventState.PROCESSED,
        ).values_list("inbox_id", "dedupe_key")
    )
    for inbox, members in batch:
        with transaction.atomic():
            for index in members:
                key = _dedupe_key(forest.keys[index])
                if (inbox.pk, key) in finished:
                    summary.duplicates += 1
                    continue
                row = _record_at(handle, forest.offsets[index], forest.header)
                result = ingest(inbox, twcs.SOURCE, key, json.dumps(row, ensure_ascii=False))
                if not result.stored:
                    summary.duplicates += 1
                if result.event.state == EventState.FAILED:
                    summary.failed.setdefault(result.event.error, []).append(forest.keys[index])
        progress.advance(len(members))


def _wanted_brand(forest: _Forest, brand: str | None) -> str | None:
    """The --brand handle as the file writes it; refused when no row of the file is by it."""
    if brand is None:
        return None
    handle = brand.lstrip("@")
    wanted = forest.brands.get(handle.lower())
    if wanted is None:
        known = ", ".join(sorted(forest.brands.values())[:10]) or "none"
        raise TwcsImportError(f"no tweets by @{handle} in the rows read (brands: {known})")
    return wanted


def _plan(
    handle: BinaryIO,
    forest: _Forest,
    threads: _Threads,
    wanted_brand: str | None,
    summary: ImportSummary,
) -> list[tuple[str, list[int]]]:
    """Each thread to import with its brand, rows parents-first; the rest goes in the report."""
    planned: list[tuple[str, list[int]]] = []
    for root, members in threads.members.items():
        root_text = ""
        if not any(forest.from_brand[index] for index in members):
            root_text = str(_record_at(handle, forest.offsets[root], forest.header).get("text", ""))
        owner, brands = _thread_brand(forest, members, root_text)
        if owner is None:
            summary.not_threaded.setdefault(NO_BRAND, []).extend(
                forest.keys[index] for index in members
            )
            continue
        if wanted_brand is not None and owner != wanted_brand:
            continue
        if len(brands) > 1:
            summary.multi_brand_threads.append(forest.keys[root])
        if root in threads.dangling:
            summary.not_threaded.setdefault(PARENT_NOT_IN_FILE, []).append(forest.keys[root])
        members.sort(key=lambda index: (threads.depths[index], forest.times[index], index))
        planned.append((owner, members))
    # Oldest thread first, so conversation numbers follow the order things happened.
    planned.sort(key=lambda item: (min(forest.times[index] for index in item[1]), item[1][0]))
    return planned


def _ingest_planned(
    handle: BinaryIO,
    forest: _Forest,
    planned: list[tuple[str, list[int]]],
    inboxes: dict[str, Inbox],
    *,
    summary: ImportSummary,
    progress: Progress,
) -> None:
    progress.phase("Importing", sum(len(members) for _, members in planned))
    batch: list[tuple[Inbox, list[int]]] = []
    batch_rows = 0
    for owner, members in planned:
        batch.append((inboxes[owner], members))
        batch_rows += len(members)
        if batch_rows >= _BATCH_ROWS:
            _ingest_batch(handle, forest, batch, summary, progress)
            batch, batch_rows = [], 0
    if batch:
        _ingest_batch(handle, forest, batch, summary, progress)


def import_twcs(
    path: Path | str,
    *,
    account_name: str = "Demo",
    brand: str | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a TWCS CSV; see the module docstring. Raises TwcsImportError for a bad file.

    `brand` keeps only that brand's threads (case-insensitive); `limit` reads only the first
    N rows, and threads are rebuilt from what those rows contain.
    """
    started = time.monotonic()
    progress = progress or _Silent()
    path = Path(path)
    if not path.is_file():
        raise TwcsImportError(f"{path}: no such file")
    summary = ImportSummary(account=account_name)
    with path.open("rb") as handle:
        progress.phase("Reading", path.stat().st_size)
        forest = _read_rows(handle, limit, progress)
        summary.rows_read = forest.rows_read
        if forest.repeated:
            summary.not_threaded[REPEATED_ID] = forest.repeated
        wanted_brand = _wanted_brand(forest, brand)
        planned = _plan(handle, forest, _build_threads(forest), wanted_brand, summary)
        summary.threads = len(planned)

        account = get_or_create_account(account_name)
        inboxes: dict[str, Inbox] = {}
        for owner, _ in planned:
            if owner not in inboxes:
                inboxes[owner], created = _x_inbox(account, owner)
                summary.inboxes_new += created
        summary.inboxes = sorted(inbox.name for inbox in inboxes.values())
        before = _counts(account, list(inboxes.values()))
        _ingest_planned(handle, forest, planned, inboxes, summary=summary, progress=progress)

    after = _counts(account, list(inboxes.values()))
    summary.messages_new = after[0] - before[0]
    summary.conversations_new = after[1] - before[1]
    summary.contacts_new = after[2] - before[2]
    summary.elapsed = time.monotonic() - started
    return summary
