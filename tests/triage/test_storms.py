"""Storm alerts: many negative messages about one topic at once open a storm, the leads are
told once, and the storm is answered and labelled as one group, never answering a customer
twice. Messages come in through the real ingest path and the worker's triage batch."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.conftest import logged_in
from tests.factories import AccountFactory
from tests.web.test_views import customer_post
from webcare.accounts.models import Account, Notification, User
from webcare.channels.adapters.base import Author
from webcare.conversations.models import Conversation, Direction, Message
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.triage import storms, topics
from webcare.triage.actions import triage_pending
from webcare.triage.models import MessageTopic, Storm

pytestmark = pytest.mark.django_db

BARRIER = [
    "De slagboom bij P2 gaat weer niet open, dit is belachelijk!",
    "Slagboom P2 kapot, sta al een half uur vast. Schandalig!",
    "Alweer die slagboom bij P2, niemand doet iets. Waardeloos!",
    "P2 slagboom dicht en de intercom werkt niet, echt belachelijk",
    "Wat een drama bij P2, de slagboom blijft dicht. Slechte service!",
    "De slagboom van P2 is stuk en niemand neemt op, ik ben woedend",
]


def customer(n: int) -> Author:
    return Author(external_id=f"c{n}", handle=f"klant{n}", name=f"Klant{n} Jansen")


def storm_of(inbox: Inbox, texts: list[str], start: int = 0, minutes_ago: int = 5) -> None:
    for n, text in enumerate(texts, start):
        customer_post(inbox, f"s{n}", f"@ParkeerCentraal {text}", minutes_ago, author=customer(n))
    triage_pending()


def test_terms_are_the_content_words_without_mentions_or_personal_data() -> None:
    found = topics.terms(
        "@ParkeerCentraal de slagboom bij P2 gaat niet open, kenteken 12-ABC-3 https://t.co/x"
    )

    assert found[:3] == ["slagboom", "p2", "kenteken"]
    assert "slagboom p2" in found
    assert not [t for t in found if "abc" in t or "parkeercentraal" in t or "t.co" in t]


def test_only_negative_messages_get_topics(x_inbox: Inbox) -> None:
    angry = customer_post(x_inbox, "a", "De slagboom is kapot, belachelijk!", 3)
    calm = customer_post(x_inbox, "b", "Wat kost een dagkaart bij P2?", 3)

    triage_pending()

    assert MessageTopic.objects.filter(message=angry).exists()
    assert not MessageTopic.objects.filter(message=calm).exists()


def test_a_surge_opens_one_storm_and_tells_the_leads_once(
    account: Account, x_inbox: Inbox, lead_lars: User, agent_anna: User
) -> None:
    storm_of(x_inbox, BARRIER)

    opened = storms.detect(account)
    again = storms.detect(account)

    assert [s.term for s in opened] in (["slagboom"], ["p2"])
    assert again == []
    assert Storm.objects.filter(account=account, closed_at__isnull=True).count() == 1
    [note] = Notification.objects.filter(kind="storm")
    assert note.user == lead_lars
    assert "negatieve berichten" in note.text or "negative messages" in note.text
    members = storms.conversations_of(opened[0])
    assert len(members) == opened[0].message_count >= storms.MIN_MESSAGES


def test_an_everyday_topic_is_no_storm(account: Account, x_inbox: Inbox) -> None:
    # The week before: the barrier is complained about a few times a day, every day.
    for day in range(1, 8):
        for n in range(4):
            customer_post(
                x_inbox,
                f"old-{day}-{n}",
                "De slagboom bij P2 is weer kapot, belachelijk!",
                day * 24 * 60 + n * 90,
                author=customer(100 + day * 10 + n),
            )
    storm_of(x_inbox, BARRIER[:5])

    assert storms.detect(account) == []


def test_too_few_messages_are_no_storm(account: Account, x_inbox: Inbox) -> None:
    storm_of(x_inbox, BARRIER[: storms.MIN_MESSAGES - 1])

    assert storms.detect(account) == []


def test_another_account_never_sees_the_storm(account: Account, x_inbox: Inbox) -> None:
    storm_of(x_inbox, BARRIER)
    other = AccountFactory(name="Fietsenstalling Oost")

    assert storms.detect(other) == []
    assert storms.detect(account) != []


def test_a_quiet_storm_closes_by_itself(account: Account, x_inbox: Inbox) -> None:
    storm_of(x_inbox, BARRIER)
    storms.detect(account)

    storms.detect(account, now=timezone.now() + storms.QUIET + timedelta(hours=1))

    assert not Storm.objects.filter(closed_at__isnull=True).exists()


def seen_now(storm: Storm) -> dict[int, int]:
    return {c.pk: c.last_message_id for c in storms.conversations_of(storm)}


def test_the_lead_answers_all_waiting_customers_once_with_their_names(
    account: Account, x_inbox: Inbox, lead_lars: User, agent_anna: User
) -> None:
    storm_of(x_inbox, BARRIER)
    [storm] = storms.detect(account)
    seen = seen_now(storm)
    # Anna answered one of them from the inbox before the lead sends to the group.
    first = Conversation.objects.get(messages__external_id="s0")
    check_send_reply(
        agent_anna,
        first,
        "@klant0 We kijken ernaar!",
        expected_last_message_id=first.last_message_id,
    )

    members = storms.conversations_of(storm)
    assert first in members

    with translation.override("en"):
        result = storms.check_answer_storm(
            lead_lars,
            storm,
            "@klant Hoi {first_name}, de monteur is onderweg. ^{agent_initials}",
            seen,
        )

    assert len(result.done) == len(members) - 1
    assert [(c.pk, why) for c, why in result.skipped] == [(first.pk, "already answered")]
    replies = Message.objects.filter(direction=Direction.OUTBOUND, kind="message")
    assert replies.count() == len(members)  # Anna's one, and one each for the others
    assert replies.filter(text="@klant Hoi Klant1, de monteur is onderweg. ^L").count() == 1
    assert not any(Conversation.objects.get(pk=c.pk).waiting_since for c in members)


def test_a_colleagues_reply_after_the_page_was_shown_is_never_doubled(
    account: Account, x_inbox: Inbox, lead_lars: User, agent_anna: User
) -> None:
    storm_of(x_inbox, BARRIER)
    [storm] = storms.detect(account)
    seen = seen_now(storm)
    first = Conversation.objects.get(messages__external_id="s0")
    check_send_reply(
        agent_anna, first, "We kijken ernaar!", expected_last_message_id=seen[first.pk]
    )
    # The customer writes again, so the conversation waits again: the lead's page is stale.
    customer_post(
        x_inbox, "s0-again", "Nog steeds dicht!!", 0, author=customer(0), in_reply_to="s0"
    )

    with translation.override("en"):
        result = storms.check_answer_storm(lead_lars, storm, "De monteur is onderweg.", seen)

    assert (first.pk, "a colleague replied meanwhile") in [(c.pk, w) for c, w in result.skipped]
    assert first.messages.filter(direction=Direction.OUTBOUND, kind="message").count() == 1


def test_agents_cannot_answer_a_storm_at_once(
    account: Account, x_inbox: Inbox, agent_anna: User
) -> None:
    storm_of(x_inbox, BARRIER)
    [storm] = storms.detect(account)

    with pytest.raises(ActionError) as refused:
        storms.check_answer_storm(agent_anna, storm, "Hallo", seen_now(storm))

    assert refused.value.status == 403


def test_the_storms_page_labels_all_and_marks_handled(
    account: Account, x_inbox: Inbox, lead_lars: User
) -> None:
    storm_of(x_inbox, BARRIER)
    [storm] = storms.detect(account)
    client = logged_in(lead_lars)
    url = reverse("web:storm-action", args=[account.pk, storm.pk])

    page = client.get(reverse("web:storms", args=[account.pk])).content.decode()
    labelled = client.post(url, {"action": "label", "label": "storing P2"})
    closed = client.post(url, {"action": "close"})

    assert f"“{storm.term}”" in page
    assert labelled.status_code == 200
    members = storms.conversations_of(storm)
    assert Conversation.objects.filter(labels__name="storing P2").count() == len(members)
    assert closed.status_code == 302
    assert Storm.objects.get(pk=storm.pk).closed_by == lead_lars


def test_the_inbox_shows_the_storm_banner(
    account: Account, x_inbox: Inbox, agent_anna: User
) -> None:
    storm_of(x_inbox, BARRIER)
    [storm] = storms.detect(account)

    page = logged_in(agent_anna).get(reverse("web:conversations", args=[account.pk]))

    expected = f"Storm: {storm.message_count} negative messages about “{storm.term}”"
    assert expected in page.content.decode()
