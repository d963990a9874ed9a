"""`GET/PUT /api/v1/me/availability`: the caller's own availability, per account."""

from django.test import Client

from tests.api.conftest import bearer_client
from tests.assignment.conftest import assignees, ingest, membership
from tests.conftest import WebhookClient
from tests.factories import AccountFactory
from webcare.accounts.models import Account, Team, User


def put(client: Client, body: dict[str, object]):
    return client.put("/api/v1/me/availability", body, content_type="application/json")


def test_get_lists_availability_per_account(
    account: Account, team_webhook: WebhookClient, agents: list[User]
) -> None:
    ingest(team_webhook, 0)

    response = bearer_client(agents[0]).get("/api/v1/me/availability")

    assert response.status_code == 200
    assert response.json() == [
        {
            "account": {"id": account.pk, "name": account.name},
            "availability": "online",
            "capacity": 10,
            "open_conversations": 1,
        }
    ]


def test_put_sets_availability_and_capacity(
    account: Account, team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    conversations = [ingest(team_webhook, n) for n in range(3)]

    response = put(
        bearer_client(agents[0]),
        {"account": account.pk, "availability": "offline", "capacity": 4},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["availability"], body["capacity"], body["open_conversations"]) == (
        "offline",
        4,
        0,
    )
    assert assignees(conversations) == ["bram", "bram", "cas"]
    saved = membership(agents[0], account)
    assert (saved.availability, saved.capacity) == ("offline", 4)


def test_a_bad_availability_is_400_naming_the_field_and_changes_nothing(
    account: Account, agents: list[User]
) -> None:
    response = put(
        bearer_client(agents[0]), {"account": account.pk, "availability": "lunch", "capacity": 3}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "availability"
    assert "online, away, offline" in response.json()["error"]
    assert membership(agents[0], account).capacity == 10


def test_a_bad_capacity_is_400_naming_the_field(account: Account, agents: list[User]) -> None:
    response = put(
        bearer_client(agents[0]),
        {"account": account.pk, "availability": "online", "capacity": 1000},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "capacity"


def test_another_accounts_availability_is_404(account: Account, agents: list[User]) -> None:
    foreign = AccountFactory(name="Andere klant")
    client = bearer_client(agents[0])

    assert put(client, {"account": foreign.pk, "availability": "online"}).status_code == 404
    assert client.get(f"/api/v1/me/availability?account={foreign.pk}").status_code == 404


def test_without_a_token_it_is_401(agents: list[User]) -> None:
    assert Client().get("/api/v1/me/availability").status_code == 401
