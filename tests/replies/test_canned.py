"""Help with the answer: the team's canned responses, ranked and filled in for a message, and
the way to answer it, from triage. Real ingest and triage; the pages through the test client."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import logged_in
from tests.factories import AccountFactory
from tests.web.test_views import customer_post
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.replies import canned
from webcare.replies.models import CannedResponse
from webcare.triage.actions import triage_pending
from webcare.triage.strategy import strategy_for

pytestmark = pytest.mark.django_db

JAN = Author(external_id="42", handle="jan_devries", name="Jan de Vries")


@pytest.fixture
def responses(account: Account, lead_lars: User) -> dict[str, CannedResponse]:
    def add(title: str, text: str, **kw: str) -> CannedResponse:
        return canned.check_save_canned(lead_lars, account, title=title, text=text, **kw)

    return {
        "ticket": add(
            "Kaartje kwijt",
            "Hoi {first_name}, vervelend dat je je parkeerkaartje kwijt bent! Bij de "
            "betaalautomaat kun je een vervangend kaartje kopen. ^{agent_initials}",
            language="nl",
        ),
        "barrier": add(
            "Slagboom storing",
            "Hoi {first_name}, sorry! De slagboom heeft een storing; de monteur komt eraan. "
            "^{agent_initials}",
            language="nl",
        ),
        "english": add(
            "Lost ticket",
            "Hi {first_name}, you can buy a replacement ticket at the pay station. "
            "^{agent_initials}",
            language="en",
        ),
        "facebook": add(
            "Openingstijden (Facebook)",
            "Hoi {first_name}! Onze garages zijn 24/7 open.",
            language="nl",
            channel="facebook",
        ),
    }


def test_the_best_fitting_response_comes_first_filled_in_for_the_customer(
    x_inbox: Inbox, lead_lars: User, responses: dict[str, CannedResponse]
) -> None:
    post = customer_post(
        x_inbox,
        "x-1",
        "Ik ben mijn parkeerkaartje kwijt, wat nu? Moet ik het dagtarief betalen?",
        3,
        author=JAN,
    )
    triage_pending()

    found = canned.suggestions(post.conversation, post, lead_lars)

    assert found[0].canned == responses["ticket"]
    assert found[0].text.startswith("Hoi Jan, vervelend dat je je parkeerkaartje kwijt bent!")
    assert found[0].text.endswith("^L")
    assert "parkeerkaartje" in found[0].shared
    titles = [s.canned.title for s in found]
    assert "Lost ticket" not in titles  # another language
    assert "Openingstijden (Facebook)" not in titles  # another channel


def test_an_english_customer_gets_the_english_response(
    x_inbox: Inbox, lead_lars: User, responses: dict[str, CannedResponse]
) -> None:
    post = customer_post(x_inbox, "x-2", "I lost my parking ticket, what do I pay now?", 3)
    triage_pending()

    found = canned.suggestions(post.conversation, post, lead_lars)

    assert [s.canned for s in found] == [responses["english"]]


def test_only_leads_keep_canned_responses_and_bad_input_is_named(
    account: Account, agent_anna: User, lead_lars: User, responses: dict[str, CannedResponse]
) -> None:
    with translation.override("en"):
        with pytest.raises(ActionError) as agent:
            canned.check_save_canned(agent_anna, account, title="X", text="Y")
        with pytest.raises(ActionError) as duplicate:
            canned.check_save_canned(
                lead_lars, account, title="Kaartje kwijt", text="Nogmaals", language="nl"
            )
        with pytest.raises(ActionError) as empty:
            canned.check_save_canned(lead_lars, account, title="Leeg", text="  ")

    assert agent.value.status == 403
    assert duplicate.value.field == "title"
    assert empty.value.field == "text"


def test_the_canned_page_adds_changes_and_deletes(account: Account, lead_lars: User) -> None:
    client = logged_in(lead_lars)
    url = reverse("web:canned", args=[account.pk])

    added = client.post(url, {"title": "Bedankt", "text": "Graag gedaan, {first_name}!"})
    row = CannedResponse.objects.get(title="Bedankt")
    changed = client.post(url, {"id": row.pk, "title": "Bedankt!", "text": "Graag gedaan!"})
    refused = client.post(url, {"title": "", "text": "zonder titel"})
    deleted = client.post(reverse("web:canned-delete", args=[account.pk, row.pk]))

    assert (added.status_code, changed.status_code, deleted.status_code) == (302, 302, 302)
    assert refused.status_code == 400
    assert not CannedResponse.objects.exists()


def test_agents_and_other_accounts_cannot_reach_the_page(
    account: Account, agent_anna: User, lead_lars: User
) -> None:
    other = AccountFactory(name="Fietsenstalling Oost")

    assert logged_in(agent_anna).get(reverse("web:canned", args=[account.pk])).status_code == 403
    assert logged_in(lead_lars).get(reverse("web:canned", args=[other.pk])).status_code == 404


@pytest.mark.parametrize(
    ("text", "strategy"),
    [
        ("Hoe laat gaat de garage morgen open?", "inform"),
        ("The barrier is broken and nobody helps, this is ridiculous!", "acknowledge"),
        ("Thanks a lot, super friendly staff at P1, great service!", "humour"),
    ],
)
def test_the_way_to_answer_follows_the_message(x_inbox: Inbox, text: str, strategy: str) -> None:
    post = customer_post(x_inbox, "x-s", text, 3)
    triage_pending()

    assert strategy_for(post.conversation, post.__class__.objects.get(pk=post.pk)).key == strategy


def test_a_row_in_public_is_no_place_for_a_duel(x_inbox: Inbox) -> None:
    for n, text in enumerate(
        [
            "Jullie slagboom is kapot, belachelijk!",
            "Schandalig, de slagboom is weer kapot, belachelijk!",
            "Dit is echt schandalig, ik ben woedend!",
        ]
    ):
        post = customer_post(
            x_inbox, f"x-d{n}", text, 10 - n, author=JAN, in_reply_to=f"x-d{n - 1}" if n else None
        )
    triage_pending()

    assert strategy_for(post.conversation, post.__class__.objects.get(pk=post.pk)).key == "no_duel"


def test_the_composer_shows_the_way_and_the_suggestions(
    x_inbox: Inbox, agent_anna: User, account: Account, responses: dict[str, CannedResponse]
) -> None:
    post = customer_post(x_inbox, "x-3", "De slagboom gaat niet open, storing?! Belachelijk", 3)
    triage_pending()

    page = logged_in(agent_anna).get(
        reverse("web:conversation", args=[account.pk, post.conversation.display_id])
    )

    html = page.content.decode()
    assert "Acknowledge the complaint and ask for details" in html
    assert 'data-use-reply="Hoi Marloes, sorry! De slagboom heeft een storing' in html
