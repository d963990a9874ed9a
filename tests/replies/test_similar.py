"""Answered before: earlier conversations like this one, with the answer a colleague gave.
Real ingest and the real reply path; the composer through the test client."""

import pytest
from django.urls import reverse

from tests.conftest import logged_in
from tests.factories import AccountFactory, InboxFactory, UserFactory
from tests.web.test_views import customer_post
from webcare.accounts.models import Account, Role, User
from webcare.channels.adapters.base import Author
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.replies.similar import similar_answers

pytestmark = pytest.mark.django_db

PIET = Author(external_id="77", handle="piet_p", name="Piet Pieters")
JAN = Author(external_id="42", handle="jan_devries", name="Jan de Vries")


def answered(inbox: Inbox, agent: User, external_id: str, text: str, answer: str, **kw) -> Message:
    post = customer_post(inbox, external_id, text, 60, **kw)
    newest = post.conversation.messages.latest("pk")
    return check_send_reply(agent, post.conversation, answer, expected_last_message_id=newest.pk)


@pytest.fixture
def history(x_inbox: Inbox, agent_anna: User) -> dict[str, Message]:
    return {
        "barrier": answered(
            x_inbox,
            agent_anna,
            "h-1",
            "De slagboom bij de uitrit van P2 gaat niet open, ik sta al een kwartier te wachten",
            "Wat vervelend! Druk op de intercomknop bij de slagboom, dan opent de centrale hem.",
            author=PIET,
        ),
        "tariff": answered(
            x_inbox,
            agent_anna,
            "h-2",
            "Wat kost parkeren op zondag in de garage aan het station?",
            "Op zondag betaal je het dagtarief van 12 euro.",
            author=JAN,
        ),
    }


def test_the_answer_to_a_message_like_this_one_is_found(
    x_inbox: Inbox, history: dict[str, Message]
) -> None:
    post = customer_post(x_inbox, "n-1", "Slagboom uitrit P2 gaat weer niet open! Help", 2)

    found = similar_answers(post.conversation, post)

    assert [f.answer for f in found] == [history["barrier"].text]
    assert found[0].conversation == history["barrier"].conversation
    assert {"slagboom", "uitrit"} <= set(found[0].shared)
    assert 0 < found[0].score <= 1


def test_an_unrelated_or_empty_message_gets_no_answer(
    x_inbox: Inbox, history: dict[str, Message]
) -> None:
    unrelated = customer_post(x_inbox, "n-2", "Mijn fiets is gestolen bij het station", 2)
    thanks = customer_post(x_inbox, "n-3", "Top, dank je!", 2)

    assert similar_answers(unrelated.conversation, unrelated) == []
    assert similar_answers(thanks.conversation, thanks) == []


def test_another_accounts_answers_never_show(x_inbox: Inbox) -> None:
    other = AccountFactory(name="Fietsenstalling Oost")
    other_inbox = InboxFactory(account=other, kind="x", name="@Oost", settings={"sandbox": True})
    other_agent = UserFactory(username="olaf", account=other, role=Role.AGENT)
    text = "De slagboom bij de uitrit van P2 gaat niet open"
    theirs = answered(other_inbox, other_agent, "o-1", text, "Bel de centrale.")
    mine = customer_post(x_inbox, "n-4", text, 2)

    again = customer_post(other_inbox, "o-2", text, 1, author=JAN)

    assert [f.answer for f in similar_answers(again.conversation, again)] == [theirs.text]
    assert similar_answers(mine.conversation, mine) == []


def test_the_composer_offers_the_earlier_answer(
    x_inbox: Inbox, agent_anna: User, account: Account, history: dict[str, Message]
) -> None:
    post = customer_post(x_inbox, "n-5", "Slagboom uitrit P2 gaat niet open, wat nu?", 2)

    page = logged_in(agent_anna).get(
        reverse("web:conversation", args=[account.pk, post.conversation.display_id])
    )

    html = page.content.decode()
    assert "similar-answers" in html
    assert 'data-use-reply="Wat vervelend! Druk op de intercomknop' in html
    assert f"#{history['barrier'].conversation.display_id}" in html
