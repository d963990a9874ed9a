"""GET /api/v1/conversations and /api/v1/conversations/{id}: views, filters, paging, scoping."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from tests.api.conftest import bearer_client, ingest
from tests.conftest import WebhookClient
from tests.factories import AccountFactory, InboxFactory, UserFactory
from webcare.accounts.actions import do_add_user
from webcare.accounts.models import Account, User
from webcare.conversations.actions import do_add_labels, do_assign, do_change_status
from webcare.conversations.models import Status
from webcare.inboxes.models import Inbox
from webcare.triage.actions import triage_pending

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def page_through(client: Client, query: str) -> tuple[list[int], list[dict[str, Any]]]:
    """Follow `next` from the first page to the last; the ids in order, and every page."""
    ids: list[int] = []
    pages: list[dict[str, Any]] = []
    url = f"/api/v1/conversations?{query}"
    while url:
        body = client.get(url).json()
        pages.append(body)
        ids.extend(item["id"] for item in body["items"])
        url = f"/api/v1/conversations?{query}&cursor={body['next']}" if body["next"] else ""
    return ids, pages


def foreign_inbox() -> tuple[Account, Inbox]:
    other = AccountFactory(name="Fietsenstalling Oost")
    return other, InboxFactory(account=other, kind="api", name="Oost API")


def test_list_item_has_the_summary_fields(anna_api: Client, webhook: WebhookClient) -> None:
    conversation = ingest(webhook, "m1", text="Slagboom dicht", created_at=at(0))

    response = anna_api.get("/api/v1/conversations")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["items"] == [
        {
            "id": conversation.pk,
            "display_id": conversation.display_id,
            "account": conversation.account_id,
            "inbox": {"id": webhook.inbox.pk, "name": "Website API", "kind": "api"},
            "contact": {"id": conversation.contact_id, "name": "Klant cust-1"},
            "kind": "public_thread",
            "status": "open",
            "assignee": None,
            "team": None,
            "priority": 0,
            "triage_priority": 0,
            "triage_reasons": [],
            "labels": [],
            "message_count": 1,
            "waiting_since": "2026-11-23T08:00:00Z",
            "last_activity_at": "2026-11-23T08:00:00Z",
            # The API inbox promises a first answer within 60 minutes, around the clock.
            "response_due_at": "2026-11-23T09:00:00Z",
            "resolution_due_at": None,
            "escalated_at": None,
            "skipped_at": None,
            "proactive": False,
            "preview": {
                "text": "Slagboom dicht",
                "direction": "inbound",
                "created_at": "2026-11-23T08:00:00Z",
            },
        }
    ]


def test_cursor_pages_through_needs_reply_without_gaps_or_duplicates(
    anna_api: Client, webhook: WebhookClient
) -> None:
    # Groups of three share a waiting_since, so the cursor must break ties by id.
    created = [
        ingest(webhook, f"m{i}", author_id=f"c{i}", created_at=at(i // 3)).pk for i in range(25)
    ]

    ids, pages = page_through(anna_api, "view=needs_reply&limit=7")

    assert [len(p["items"]) for p in pages] == [7, 7, 7, 4]
    assert [p["count"] for p in pages] == [25] * 4
    assert ids == created  # longest waiting first, ties in creation order


def test_needs_reply_puts_the_most_urgent_first_and_pages_without_gaps(
    anna_api: Client, webhook: WebhookClient
) -> None:
    texts = [
        "Hoe laat gaat de garage morgen open?",
        "De slagboom is kapot en ik sta al een uur vast, dit is echt belachelijk!",
        "Bedankt voor de snelle hulp gisteren!",
        "Where can I find an invoice for my parking session?",
        "This is the worst parking garage ever, the barrier broke and nobody helps. Refund!",
    ]
    created = [
        ingest(webhook, f"m{i}", author_id=f"c{i}", text=text, created_at=at(i)).pk
        for i, text in enumerate(texts)
    ]
    triage_pending()

    ids, pages = page_through(anna_api, "view=needs_reply&limit=2")
    oldest, _ = page_through(anna_api, "view=needs_reply&sort=oldest&limit=2")

    items = [item for p in pages for item in p["items"]]
    priorities = [item["triage_priority"] for item in items]
    assert sorted(ids) == sorted(created)  # every one, once
    assert priorities == sorted(priorities, reverse=True)
    assert priorities[0] > priorities[-1]
    assert {ids[0], ids[1]} == {created[1], created[4]}  # the two angry complaints
    assert "complaint" in items[0]["triage_reasons"]
    assert oldest == created


def test_a_sort_the_view_does_not_offer_is_400(anna_api: Client) -> None:
    response = anna_api.get("/api/v1/conversations?view=all&sort=oldest")

    assert response.status_code == 400
    assert response.json()["field"] == "sort"


def test_cursor_pages_through_all_newest_first(anna_api: Client, webhook: WebhookClient) -> None:
    created = [
        ingest(webhook, f"m{i}", author_id=f"c{i}", created_at=at(i % 4)).pk for i in range(25)
    ]

    ids, pages = page_through(anna_api, "view=all&limit=7")

    assert len(pages) == 4
    assert len(ids) == len(set(ids)) == 25
    assert set(ids) == set(created)
    assert pages[-1]["next"] is None


def test_views_mine_and_unassigned(
    anna_api: Client, agent_anna: User, webhook: WebhookClient
) -> None:
    mine = ingest(webhook, "m1", author_id="c1")
    free = ingest(webhook, "m2", author_id="c2")
    do_assign(agent_anna, mine, agent_anna)

    mine_ids = [i["id"] for i in anna_api.get("/api/v1/conversations?view=mine").json()["items"]]
    free_ids = [
        i["id"] for i in anna_api.get("/api/v1/conversations?view=unassigned").json()["items"]
    ]

    assert mine_ids == [mine.pk]
    assert free_ids == [free.pk]


def test_resolved_conversation_is_not_in_needs_reply(
    anna_api: Client, agent_anna: User, webhook: WebhookClient
) -> None:
    done = ingest(webhook, "m1", author_id="c1")
    waiting = ingest(webhook, "m2", author_id="c2")
    do_change_status(agent_anna, done, Status.RESOLVED, no_reply_reason="thanks_only")

    body = anna_api.get("/api/v1/conversations?view=needs_reply").json()

    assert [item["id"] for item in body["items"]] == [waiting.pk]
    assert body["count"] == 1


def test_filter_by_inbox(
    anna_api: Client, account: Account, webhook: WebhookClient, api_inbox: Inbox
) -> None:
    second = InboxFactory(account=account, kind="api", name="Tweede API")
    ingest(webhook, "m1", author_id="c1")
    other = ingest(WebhookClient(second), "m2", author_id="c2")

    body = anna_api.get(f"/api/v1/conversations?view=all&inbox={second.pk}").json()

    assert [item["id"] for item in body["items"]] == [other.pk]
    assert body["count"] == 1


def test_filter_by_label(anna_api: Client, agent_anna: User, webhook: WebhookClient) -> None:
    labelled = ingest(webhook, "m1", author_id="c1")
    ingest(webhook, "m2", author_id="c2")
    do_add_labels(agent_anna, labelled, ["factuur"])

    body = anna_api.get("/api/v1/conversations?view=all&label=factuur").json()

    assert [item["id"] for item in body["items"]] == [labelled.pk]
    assert body["items"][0]["labels"] == ["factuur"]


def test_search_matches_message_text_and_contact(anna_api: Client, webhook: WebhookClient) -> None:
    by_text = ingest(webhook, "m1", author_id="c1", text="Mijn kenteken wordt niet herkend")
    by_name = ingest(webhook, "m2", author_id="kenteken-fan", text="Hallo")
    ingest(webhook, "m3", author_id="c3", text="Waar is de uitgang?")

    body = anna_api.get("/api/v1/conversations?view=all&q=kenteken").json()

    assert sorted(item["id"] for item in body["items"]) == sorted([by_text.pk, by_name.pk])
    assert body["count"] == 2


def test_limit_over_500_is_400_naming_limit(anna_api: Client, webhook: WebhookClient) -> None:
    response = anna_api.get("/api/v1/conversations?limit=501")

    assert response.status_code == 400
    assert response.json()["field"] == "limit"
    assert "500" in response.json()["error"]


def test_limit_500_is_allowed(anna_api: Client, webhook: WebhookClient) -> None:
    assert anna_api.get("/api/v1/conversations?limit=500").status_code == 200


def test_cursor_not_from_us_is_400(anna_api: Client) -> None:
    response = anna_api.get("/api/v1/conversations?cursor=bm90LWEtY3Vyc29y")

    assert response.status_code == 400
    assert response.json()["field"] == "cursor"


def test_unknown_view_is_422_naming_view(anna_api: Client) -> None:
    response = anna_api.get("/api/v1/conversations?view=everything")

    assert response.status_code == 422
    assert response.json()["field"] == "view"
    assert "needs_reply" in response.json()["error"]


def test_other_accounts_conversation_is_404_and_not_listed(
    anna_api: Client, webhook: WebhookClient
) -> None:
    own = ingest(webhook, "m1", author_id="c1")
    _, inbox = foreign_inbox()
    foreign = ingest(WebhookClient(inbox), "m2", author_id="c2")

    detail = anna_api.get(f"/api/v1/conversations/{foreign.pk}")
    listed = anna_api.get("/api/v1/conversations?view=all").json()

    assert detail.status_code == 404
    assert detail.json() == {"error": "No such conversation", "field": None}
    assert [item["id"] for item in listed["items"]] == [own.pk]
    assert listed["count"] == 1


def test_foreign_account_or_inbox_filter_is_404(anna_api: Client, webhook: WebhookClient) -> None:
    other, inbox = foreign_inbox()

    assert anna_api.get(f"/api/v1/conversations?account={other.pk}").status_code == 404
    assert anna_api.get(f"/api/v1/conversations?inbox={inbox.pk}").status_code == 404


def test_member_of_two_accounts_sees_both_or_one(account: Account, webhook: WebhookClient) -> None:
    other, inbox = foreign_inbox()
    both = UserFactory(username="bo", account=account)
    do_add_user(both.username, other, "agent", "")
    own = ingest(webhook, "m1", author_id="c1")
    foreign = ingest(WebhookClient(inbox), "m2", author_id="c2")
    client = bearer_client(both)

    everything = client.get("/api/v1/conversations?view=all").json()
    narrowed = client.get(f"/api/v1/conversations?view=all&account={other.pk}").json()

    assert sorted(item["id"] for item in everything["items"]) == sorted([own.pk, foreign.pk])
    assert [item["id"] for item in narrowed["items"]] == [foreign.pk]


def test_detail_has_the_timeline(anna_api: Client, webhook: WebhookClient) -> None:
    conversation = ingest(webhook, "m1", created_at=at(0), text="Eerste")
    ingest(webhook, "m2", created_at=at(5), text="Tweede", in_reply_to="m1")

    response = anna_api.get(f"/api/v1/conversations/{conversation.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == conversation.pk
    assert body["message_count"] == 2
    first, second = body["messages"]
    identity = conversation.contact.identities.get()
    assert first == {
        "id": first["id"],
        "conversation_id": conversation.pk,
        "direction": "inbound",
        "kind": "message",
        "text": "Eerste",
        "public": True,
        "created_at": "2026-11-23T08:00:00Z",
        "received_at": first["received_at"],
        "external_id": "m1",
        "in_reply_to": None,
        "sender": {
            "type": "contact",
            "id": identity.pk,
            "contact_id": conversation.contact_id,
            "handle": "user_cust-1",
            "name": "Klant cust-1",
        },
        "delivery_status": None,
        "delivery_error": "",
        "template": None,
        "activity": None,
        "reply_state": "waiting",
        "answered_by": None,
        "no_reply_reason": None,
        "moderation": None,
        "moderation_reason": None,
    }
    assert second["in_reply_to"] == first["id"]
    assert second["text"] == "Tweede"


def test_unknown_conversation_is_404(anna_api: Client) -> None:
    response = anna_api.get("/api/v1/conversations/999999")

    assert response.status_code == 404
    assert response.json()["error"] == "No such conversation"


def test_non_numeric_id_is_422(anna_api: Client) -> None:
    response = anna_api.get("/api/v1/conversations/abc")

    assert response.status_code == 422
    assert response.json()["field"] == "conversation_id"


def test_page_of_50_costs_a_fixed_number_of_queries(
    anna_api: Client,
    agent_anna: User,
    lead_lars: User,
    webhook: WebhookClient,
    django_assert_max_num_queries: Any,
) -> None:
    created = [ingest(webhook, f"m{i}", author_id=f"c{i}") for i in range(55)]
    for conversation in created[::2]:
        do_assign(agent_anna, conversation, lead_lars)
        do_add_labels(agent_anna, conversation, ["factuur", "slagboom"])

    # token, its last_used_at, the accounts, the page, its labels, the triage reasons, the
    # count: none per item.
    with django_assert_max_num_queries(7):
        response = anna_api.get("/api/v1/conversations?view=all&limit=50")

    body = response.json()
    assert len(body["items"]) == 50
    assert body["count"] == 55
    assert {item["assignee"]["name"] for item in body["items"] if item["assignee"]} == {"Lars"}
    assert {tuple(item["labels"]) for item in body["items"]} == {(), ("factuur", "slagboom")}
