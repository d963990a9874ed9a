"""`webcare import twcs`: threads rebuilt from reply links, brands, reports, idempotence.

The synthetic file below is written by the tests; the real-data test reads the TWCS sample
from the shared data folder (never copied into the repository): $WEBCARE_SHARED_DATA, else
../shared/data beside the checkout, else /work/shared/data. A user's fresh clone has none, and
the data's README asks code to skip then, with a message saying so.
"""

import csv
import io
import json
import os
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from webcare.accounts.models import Account
from webcare.channels.importers.twcs import (
    NO_BRAND,
    PARENT_NOT_IN_FILE,
    ImportSummary,
    TwcsImportError,
    import_twcs,
)
from webcare.channels.models import EventState, RawInboundEvent
from webcare.conversations.escalation import sweep
from webcare.conversations.models import Conversation, DeliveryStatus, Direction, Message
from webcare.inboxes.models import Inbox

HEADER = [
    "",
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
]
# The ingest path costs about 25 queries a row (~40 rows/s on PostgreSQL in the suite), so the
# real-data test takes the file's first rows, and threads as those rows link them, to stay
# under a minute; `webcare import twcs` on the whole sample is what the bench measures.
SAMPLE_ROWS = 1500
_DATA_DIRS = [
    Path(os.environ["WEBCARE_SHARED_DATA"]) if os.environ.get("WEBCARE_SHARED_DATA") else None,
    Path(__file__).resolve().parents[2].parent / "shared" / "data",
    Path("/work/shared/data"),
]
SAMPLE = next(
    (path / "twcs" / "twcs_sample.csv" for path in _DATA_DIRS if path and path.is_dir()),
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "twcs" / "twcs_sample.csv",
)


def at(minute: int) -> str:
    return f"Mon Oct 30 10:{minute:02d}:00 +0000 2017"


# (tweet_id, author_id, inbound, created_at, text, in_response_to_tweet_id), in file order:
# children before their parents, two brands, a thread both brands answered, a customer who
# mentioned a brand that never answered, a thread with no brand at all, a reply whose parent is
# not in the file, and a row whose date cannot be read.
ROWS = [
    ("12", "501", "True", at(20), "@AcmeCare still nothing", "11.0"),
    ("11", "AcmeCare", "False", at(10), "@501 Sorry! Which order?", "10.0"),
    ("10", "501", "True", at(0), "@AcmeCare my order is late", ""),
    ("22", "AcmeCare", "False", at(40), "@502 we can help too", "20.0"),
    ("21", "BoltHelp", "False", at(35), "@502 On it!", "20.0"),
    ("20", "502", "True", at(30), "@BoltHelp @AcmeCare both of you, please", ""),
    ("30", "503", "True", at(50), "@acmecare hello? anyone?", ""),
    ("41", "504", "True", at(51), "and another thing", "40.0"),
    ("40", "504", "True", at(45), "@SomeShop what a day", ""),
    ("50", "505", "True", at(55), "@AcmeCare as I said before", "999.0"),
    ("51", "AcmeCare", "False", at(58), "@505 Let us look", "50.0"),
    ("60", "501", "True", "yesterday", "@AcmeCare hello??", "11.0"),
]


def write_twcs(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for number, (tweet_id, author, inbound, created, text, parent) in enumerate(rows):
            writer.writerow([number, tweet_id, author, inbound, created, text, "", parent])
    return path


@pytest.fixture
def twcs_file(tmp_path: Path) -> Path:
    return write_twcs(tmp_path / "twcs.csv", ROWS)


@pytest.fixture
def imported(db: None, twcs_file: Path) -> ImportSummary:
    return import_twcs(twcs_file)


def thread_of(external_id: str) -> set[str]:
    conversation = Message.objects.get(external_id=external_id).conversation
    return set(conversation.messages.values_list("external_id", flat=True))


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_rows_out_of_order_form_one_conversation(imported: ImportSummary) -> None:
    conversation = Message.objects.get(external_id="10").conversation

    assert thread_of("10") == {"10", "11", "12"}
    assert Message.objects.get(external_id="12").in_reply_to.external_id == "11"
    assert conversation.external_thread_id == "10"
    assert conversation.waiting_since == datetime.fromisoformat("2017-10-30T10:20:00+00:00")


def test_an_archive_inbox_promises_nothing_so_old_tweets_never_escalate(
    imported: ImportSummary,
) -> None:
    waiting = Message.objects.get(external_id="12").conversation

    result = sweep()

    waiting.refresh_from_db()
    assert waiting.waiting_since is not None
    assert (waiting.response_due_at, waiting.escalated_at) == (None, None)
    assert result.escalated == 0


def test_parents_are_ingested_before_children_so_nothing_is_merged(
    imported: ImportSummary,
) -> None:
    assert Conversation.objects.filter(merged_into__isnull=False).count() == 0


def test_brand_tweets_are_replies_already_delivered(imported: ImportSummary) -> None:
    reply = Message.objects.get(external_id="11")

    assert reply.direction == Direction.OUTBOUND
    assert reply.delivery_status == DeliveryStatus.DELIVERED
    assert reply.sender_identity is None
    assert Message.objects.get(external_id="10").direction == Direction.INBOUND


def test_each_brand_gets_one_sandbox_x_inbox_in_the_demo_account(
    imported: ImportSummary,
) -> None:
    inboxes = Inbox.objects.filter(account__name="Demo").order_by("handle")

    assert [(i.kind, i.name, i.handle, i.settings) for i in inboxes] == [
        ("x", "@AcmeCare on X", "AcmeCare", {"sandbox": True}),
        ("x", "@BoltHelp on X", "BoltHelp", {"sandbox": True}),
    ]
    assert imported.inboxes_new == 2


def test_conversations_per_brand_follow_the_reply_links(imported: ImportSummary) -> None:
    threads = {
        (c.inbox.handle, frozenset(c.messages.values_list("external_id", flat=True)))
        for c in Conversation.objects.select_related("inbox")
    }

    assert threads == {
        ("AcmeCare", frozenset({"10", "11", "12"})),
        ("AcmeCare", frozenset({"30"})),
        ("AcmeCare", frozenset({"50", "51"})),
        ("BoltHelp", frozenset({"20", "21", "22"})),
    }
    assert (imported.threads, imported.conversations_new, imported.messages_new) == (4, 4, 9)


def test_thread_two_brands_answered_stays_whole_with_the_first(imported: ImportSummary) -> None:
    conversation = Message.objects.get(external_id="22").conversation

    assert conversation.inbox.handle == "BoltHelp"
    assert imported.multi_brand_threads == ["20"]


def test_unanswered_customer_goes_to_the_brand_mentioned(imported: ImportSummary) -> None:
    conversation = Message.objects.get(external_id="30").conversation

    assert conversation.inbox.handle == "AcmeCare"
    assert conversation.waiting_since is not None


def test_thread_without_any_brand_is_reported_not_imported(imported: ImportSummary) -> None:
    assert imported.not_threaded[NO_BRAND] == ["41", "40"]
    assert Message.objects.filter(external_id__in=["40", "41"]).count() == 0


def test_reply_to_a_tweet_not_in_the_file_starts_its_own_conversation(
    imported: ImportSummary,
) -> None:
    message = Message.objects.get(external_id="50")

    assert imported.not_threaded[PARENT_NOT_IN_FILE] == ["50"]
    assert message.in_reply_to_external_id == "999"
    assert thread_of("50") == {"50", "51"}


def test_bad_row_is_kept_as_a_failed_event_with_the_reason(imported: ImportSummary) -> None:
    event = RawInboundEvent.objects.get(dedupe_key="tweet:60")

    assert event.state == EventState.FAILED
    assert event.error.startswith("created_at:")
    assert event.inbox.handle == "AcmeCare"
    assert imported.failed == {event.error: ["60"]}
    assert not Message.objects.filter(external_id="60").exists()


def test_every_inbound_tweet_is_a_message_or_reported(imported: ImportSummary) -> None:
    inbound = {tweet_id for tweet_id, _, flag, *_ in ROWS if flag == "True"}
    messages = set(Message.objects.values_list("external_id", flat=True))

    assert inbound - messages == {"40", "41", "60"}
    assert inbound - messages <= imported.unthreaded_ids()


def test_event_payload_is_the_row_verbatim(imported: ImportSummary) -> None:
    event = RawInboundEvent.objects.get(dedupe_key="tweet:12")

    assert event.source == "twcs"
    assert json.loads(event.payload) == {
        "": "0",
        "tweet_id": "12",
        "author_id": "501",
        "inbound": "True",
        "created_at": at(20),
        "text": "@AcmeCare still nothing",
        "response_tweet_id": "",
        "in_response_to_tweet_id": "11.0",
    }


def test_second_import_adds_no_rows(imported: ImportSummary, twcs_file: Path) -> None:
    before = row_counts()

    again = import_twcs(twcs_file)

    assert row_counts() == before
    assert (again.messages_new, again.conversations_new, again.contacts_new) == (0, 0, 0)
    assert again.duplicates == 10
    assert again.inboxes_new == 0


def test_account_is_created_when_missing(db: None, twcs_file: Path) -> None:
    import_twcs(twcs_file, account_name="Archief")

    assert Inbox.objects.filter(account=Account.objects.get(name="Archief")).count() == 2


def test_brand_option_imports_only_that_brands_threads(db: None, twcs_file: Path) -> None:
    summary = import_twcs(twcs_file, brand="@bolthelp")

    assert list(Inbox.objects.values_list("handle", flat=True)) == ["BoltHelp"]
    assert set(Message.objects.values_list("external_id", flat=True)) == {"20", "21", "22"}
    assert summary.threads == 1


def test_unknown_brand_is_refused(db: None, twcs_file: Path) -> None:
    with pytest.raises(TwcsImportError, match="NoSuchBrand"):
        import_twcs(twcs_file, brand="NoSuchBrand")


def test_limit_reads_only_the_first_rows(db: None, twcs_file: Path) -> None:
    summary = import_twcs(twcs_file, limit=3)

    assert summary.rows_read == 3
    assert thread_of("12") == {"10", "11", "12"}
    assert Message.objects.count() == 3


def test_bare_carriage_return_inside_a_tweet_is_kept(db: None, tmp_path: Path) -> None:
    # TWCS has unquoted carriage returns inside tweets; csv alone would split the row there.
    path = write_twcs(tmp_path / "cr.csv", [])
    with path.open("ab") as handle:
        handle.write(f"0,70,506,True,{at(0)},@AcmeCare first\r\rsecond,,\n".encode())
        handle.write(f"1,71,AcmeCare,False,{at(5)},@506 Hi,,70.0\n".encode())

    summary = import_twcs(path)

    assert summary.rows_read == 2
    assert Message.objects.get(external_id="70").text == "@AcmeCare first\r\rsecond"
    assert thread_of("71") == {"70", "71"}


def test_row_without_tweet_id_is_kept_as_a_failed_event(db: None, tmp_path: Path) -> None:
    path = write_twcs(
        tmp_path / "no-id.csv",
        [
            ("10", "501", "True", at(0), "@AcmeCare my order is late", ""),
            ("", "501", "True", at(1), "@AcmeCare hello?", "10.0"),
            ("11", "AcmeCare", "False", at(2), "@501 Sorry!", "10.0"),
        ],
    )

    summary = import_twcs(path)

    event = RawInboundEvent.objects.get(dedupe_key="row:2")
    assert (event.state, event.error) == (EventState.FAILED, "tweet_id: must not be empty")
    assert event.inbox.handle == "AcmeCare"
    assert summary.failed == {"tweet_id: must not be empty": ["row:2"]}
    assert thread_of("11") == {"10", "11"}


def test_reply_links_in_a_loop_still_import_once(db: None, tmp_path: Path) -> None:
    path = write_twcs(
        tmp_path / "loop.csv",
        [
            ("80", "501", "True", at(0), "@AcmeCare first", "81.0"),
            ("81", "AcmeCare", "False", at(1), "@501 second", "80.0"),
        ],
    )

    summary = import_twcs(path)

    assert thread_of("80") == {"80", "81"}
    assert summary.threads == 1


def test_command_prints_the_summary(db: None, twcs_file: Path) -> None:
    out = io.StringIO()

    call_command("import", "twcs", str(twcs_file), stdout=out)

    output = out.getvalue()
    assert "Messages imported (new)" in output
    assert "no brand account" in output
    assert "parent not in file" in output
    assert "created_at" in output
    assert Message.objects.count() == 9


def test_command_names_the_missing_columns(db: None, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("tweet_id,author_id,inbound,text\n1,a,True,hi\n", encoding="utf-8")

    with pytest.raises(CommandError, match="created_at, in_response_to_tweet_id"):
        call_command("import", "twcs", str(path))


def test_command_refuses_a_missing_file(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "twcs", str(tmp_path / "absent.csv"))


@pytest.fixture
def twcs_sample() -> Path:
    if not SAMPLE.is_file():
        pytest.skip(
            f"TWCS sample not found at {SAMPLE}: the shared data folder is not on this machine "
            "(set WEBCARE_SHARED_DATA to point at it)"
        )
    return SAMPLE


def sample_rows(path: Path) -> list[dict[str, str]]:
    """The sample read independently of the importer; bare \\r inside tweets survives."""
    text = path.read_bytes().decode("utf-8").replace("\r", "\u2028")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return [{key: value.replace("\u2028", "\r") for key, value in row.items()} for row in rows]


def expected_threads(rows: list[dict[str, str]]) -> dict[str, set[frozenset[str]]]:
    """Brand handle -> the tweet-id sets of its threads, straight from the reply links."""
    by_id = {row["tweet_id"]: row for row in rows}
    parent = {
        tweet_id: str(int(float(row["in_response_to_tweet_id"])))
        for tweet_id, row in by_id.items()
        if row["in_response_to_tweet_id"]
    }

    def root(tweet_id: str) -> str:
        while parent.get(tweet_id) in by_id:
            tweet_id = parent[tweet_id]
        return tweet_id

    members: dict[str, set[str]] = defaultdict(set)
    for tweet_id in by_id:
        members[root(tweet_id)].add(tweet_id)
    brands = {
        row["author_id"].lower(): row["author_id"] for row in rows if row["inbound"] == "False"
    }
    threads: dict[str, set[frozenset[str]]] = defaultdict(set)
    for top, ids in members.items():
        answers = sorted(
            (
                datetime.strptime(by_id[i]["created_at"], "%a %b %d %H:%M:%S %z %Y"),
                by_id[i]["author_id"],
            )
            for i in ids
            if by_id[i]["inbound"] == "False"
        )
        mentioned = [
            brands[handle.lower()]
            for handle in re.findall(r"@(\w+)", by_id[top]["text"])
            if handle.lower() in brands
        ]
        owner = answers[0][1] if answers else (mentioned or [None])[0]
        threads[owner or ""].add(frozenset(ids))
    return threads


def test_twcs_sample_gives_one_conversation_per_thread(db: None, twcs_sample: Path) -> None:
    rows = sample_rows(twcs_sample)[:SAMPLE_ROWS]
    expected = expected_threads(rows)

    summary = import_twcs(twcs_sample, limit=SAMPLE_ROWS)

    conversations: dict[str, set[frozenset[str]]] = defaultdict(set)
    for conversation in Conversation.objects.filter(merged_into__isnull=True).select_related(
        "inbox"
    ):
        ids = frozenset(conversation.messages.values_list("external_id", flat=True))
        conversations[conversation.inbox.handle].add(ids)
    no_brand = expected.pop("", set())
    assert conversations == expected
    assert sum(len(threads) for threads in expected.values()) == summary.threads
    assert {i for ids in no_brand for i in ids} == set(summary.not_threaded.get(NO_BRAND, []))
    inbound = {row["tweet_id"] for row in rows if row["inbound"] == "True"}
    messages = set(Message.objects.values_list("external_id", flat=True))
    assert inbound <= messages | summary.unthreaded_ids()
    assert summary.rows_read == len(rows)

    before = row_counts()
    again = import_twcs(twcs_sample, limit=SAMPLE_ROWS)

    assert row_counts() == before
    assert again.messages_new == 0
    assert again.duplicates == summary.messages_new + sum(len(i) for i in summary.failed.values())
