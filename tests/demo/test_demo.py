"""`webcare demo`: the scenario file, the desk it sets up, and the replay through real ingest."""

import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError
from django.test import override_settings

from tests.demo.helpers import run_demo
from webcare.accounts.models import Account, Membership, Team, User
from webcare.channels.models import EventState, RawInboundEvent
from webcare.contacts.models import Contact, ContactIdentity
from webcare.conversations.models import Conversation, Label, Message
from webcare.conversations.selectors import ConversationFilter, conversations, page
from webcare.demo.replay import HISTORY_SHIFT, external_id, plan_replay
from webcare.demo.scenario import ScenarioError, load_scenario, parse_scenario
from webcare.inboxes.models import Inbox

SCENARIO = load_scenario()
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LOGIN_ROW = re.compile(r"^\s+(\w+)\s+(\S+)\s+(admin|lead|agent)\s+(nl|en)\s", re.MULTILINE)


def logins(output: str) -> dict[str, tuple[str, str, str]]:
    """username -> (password, role, language) as the command printed them."""
    return {row[0]: row[1:] for row in LOGIN_ROW.findall(output)}


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Account,
            Inbox,
            User,
            Membership,
            Team,
            Label,
            Contact,
            ContactIdentity,
            Conversation,
            Message,
            RawInboundEvent,
        )
    }


def test_scenario_replies_only_point_backwards() -> None:
    backwards = [
        message.reply_to < index
        for _, index, message in SCENARIO.messages()
        if message.reply_to is not None
    ]

    assert backwards
    assert all(backwards)


def test_scenario_message_ids_are_unique() -> None:
    ids = [external_id(thread, index) for thread, index, _ in SCENARIO.messages()]

    assert len(ids) == len(set(ids))


def test_scenario_has_about_two_hundred_customer_messages_in_both_languages() -> None:
    languages = Counter(thread.language for thread in SCENARIO.threads)

    assert 190 <= SCENARIO.customer_message_count() <= 220
    assert set(languages) == {"nl", "en"}
    assert {thread.inbox for thread in SCENARIO.threads} == {"x", "facebook", "whatsapp"}


def test_scenario_refuses_reply_to_a_later_message() -> None:
    author = {"id": "1", "handle": "a", "name": "A", "followers": 0, "verified": False}
    data = {
        "brand": {
            "name": "B",
            "x_handle": "b",
            "x_user_id": "1",
            "facebook_page_id": "2",
            "whatsapp_number": "+31",
        },
        "threads": [
            {
                "key": "t",
                "inbox": "x",
                "public": True,
                "language": "nl",
                "topic": "barrier",
                "start": 0,
                "messages": [
                    {"at": 0, "from": "customer", "author": author, "text": "a", "reply_to": 1},
                    {"at": 5, "from": "customer", "author": author, "text": "b", "reply_to": 0},
                ],
            }
        ],
    }

    with pytest.raises(ScenarioError, match="thread 't' message 0: reply_to=1"):
        parse_scenario(data)


def test_live_plan_delivers_scenario_time_divided_by_speed() -> None:
    deliveries = plan_replay(SCENARIO, NOW, speed=10)
    delays = [delivery.delay for delivery in deliveries]
    last = max(
        thread.start + message.at
        for thread, _, message in SCENARIO.messages()
        if not thread.has_brand_reply
    )
    first = min(thread.start for thread in SCENARIO.threads if not thread.has_brand_reply)

    assert len(deliveries) == len(list(SCENARIO.messages()))
    assert delays == sorted(delays)
    assert delays[-1] == (last - first) / 10


def test_history_threads_arrive_first_dated_earlier_today() -> None:
    history = {thread.key for thread in SCENARIO.threads if thread.has_brand_reply}
    deliveries = plan_replay(SCENARIO, NOW, speed=10)
    first = deliveries[: sum(len(t.messages) for t in SCENARIO.threads if t.key in history)]
    dates = [datetime.fromisoformat(d.payload["created_at"]) for d in first]

    assert {d.payload["id"].rsplit("-", 1)[0].removeprefix("demo-") for d in first} == history
    assert {d.delay for d in first} == {0.0}
    assert max(dates) < NOW
    assert min(dates) >= NOW - HISTORY_SHIFT


def test_plan_resumes_at_the_first_message_still_missing() -> None:
    full = plan_replay(SCENARIO, NOW, speed=10)
    done = {delivery.payload["id"] for delivery in full[:100]}

    rest = plan_replay(SCENARIO, NOW, speed=10, done=done)

    assert [d.payload["id"] for d in rest] == [d.payload["id"] for d in full[100:]]
    assert rest[0].delay == 0.0
    assert datetime.fromisoformat(rest[0].payload["created_at"]) == NOW


def test_brand_messages_are_marked_from_brand_with_the_brand_as_author() -> None:
    payloads = [d.payload for d in plan_replay(SCENARIO, NOW, speed=0) if d.payload["from_brand"]]

    assert len(payloads) == sum(1 for _, _, m in SCENARIO.messages() if m.from_brand)
    assert {p["author"]["name"] for p in payloads} == {"Parkeergarage Centraal"}
    assert all(p["in_reply_to"] for p in payloads)


def test_demo_refuses_to_run_in_production() -> None:
    with (
        override_settings(WEBCARE_ENV="production"),
        pytest.raises(CommandError, match="WEBCARE_ENV=demo"),
    ):
        run_demo()


def test_demo_sets_up_the_brand_desk(db: None, demo_output: str) -> None:
    output = demo_output
    account = Account.objects.get(name="Parkeergarage Centraal")
    inboxes = {inbox.kind: inbox for inbox in Inbox.objects.filter(account=account)}

    assert sorted(inboxes) == ["facebook", "whatsapp", "x"]
    assert inboxes["x"].name == "@ParkeerCentraal"
    assert inboxes["whatsapp"].name == "+31 20 555 0142"
    assert {inbox.settings["sandbox"] for inbox in inboxes.values()} == {True}
    assert sorted(Team.objects.filter(account=account).values_list("name", flat=True)) == [
        "Financiën",
        "Webcare",
    ]
    assert set(Label.objects.filter(account=account).values_list("name", flat=True)) == {
        "slagboom",
        "factuur",
        "abonnement",
        "privacy",
        "compliment",
    }
    assert "http://127.0.0.1:8000/" in output


def test_printed_logins_work_with_their_role_and_language(db: None, demo_output: str) -> None:
    printed = logins(demo_output)
    account = Account.objects.get(name="Parkeergarage Centraal")
    users = {
        username: authenticate(username=username, password=password)
        for username, (password, _, _) in printed.items()
    }
    roles = dict(Membership.objects.filter(account=account).values_list("user__username", "role"))

    assert len(printed) == 5
    assert None not in users.values()
    assert {u: role for u, (_, role, _) in printed.items()} == roles
    assert {u: user.language for u, user in users.items()} == {
        u: language for u, (_, _, language) in printed.items()
    }
    assert sorted(role for _, role, _ in printed.values()) == [
        "admin",
        "agent",
        "agent",
        "agent",
        "lead",
    ]
    assert {language for _, _, language in printed.values()} == {"nl", "en"}


def test_demo_ingests_every_scenario_message_once(db: None, demo_output: str) -> None:
    events = RawInboundEvent.objects.all()

    assert events.count() == len(list(SCENARIO.messages()))
    assert set(events.values_list("source", "state")) == {("demo", EventState.PROCESSED)}
    assert Message.objects.filter(kind="message").count() == events.count()
    assert Conversation.objects.filter(merged_into__isnull=True).count() == len(SCENARIO.threads)


def test_viral_thread_is_one_conversation_with_all_its_posts(db: None, demo_output: str) -> None:
    viral = next(t for t in SCENARIO.threads if t.key == "barrier-stationsplein-viral")

    conversation = Conversation.objects.get(external_thread_id=external_id(viral, 0))

    assert conversation.message_count == len(viral.messages)
    assert conversation.messages.filter(kind="message").count() == len(viral.messages)


def test_needs_reply_is_filled_longest_waiting_first(db: None, demo_output: str) -> None:
    lead = User.objects.get(username="sanne")
    account = Account.objects.get(name="Parkeergarage Centraal")
    filters = ConversationFilter(view="needs_reply")

    rows, _ = page(conversations(lead, [account.pk], filters), filters.view, 500, None)
    waiting = [row.waiting_since for row in rows]

    assert len(rows) > 100
    assert waiting == sorted(waiting)


def test_running_the_demo_again_adds_no_rows(db: None, demo_output: str) -> None:
    before = row_counts()

    output = run_demo()

    assert row_counts() == before
    assert "every scenario message is already in the inbox" in output
