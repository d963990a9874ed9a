"""Bearer tokens, /me and /inboxes, and the OpenAPI document and docs page."""

import re
from io import StringIO

import httpx
import pytest
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import sync_playwright

from tests.api.conftest import bearer_client
from tests.browser import launch_chromium
from tests.factories import AccountFactory, InboxFactory, UserFactory
from webcare.accounts.actions import do_add_user
from webcare.accounts.models import Account, Role, User
from webcare.api.root import api
from webcare.inboxes.models import Inbox

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def test_missing_token_is_401_with_a_message(agent_anna: User) -> None:
    response = Client().get("/api/v1/conversations")

    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]


def test_wrong_token_is_401(agent_anna: User) -> None:
    client = Client(headers={"Authorization": "Bearer wc_not-a-token"})

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert "not valid" in response.json()["error"]


def test_other_scheme_is_401(agent_anna: User) -> None:
    client = Client(headers={"Authorization": "Basic YW5uYTpzZWNyZXQ="})

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]


def test_token_of_inactive_user_is_401(account: Account) -> None:
    former = UserFactory(username="former", account=account, is_active=False)

    assert bearer_client(former).get("/api/v1/me").status_code == 401


def test_token_from_the_cli_authenticates(agent_anna: User) -> None:
    out = StringIO()
    call_command("token", "create", "anna", stdout=out)
    client = Client(headers={"Authorization": f"Bearer {out.getvalue().strip()}"})

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["user"] == {"id": agent_anna.pk, "username": "anna", "name": "Anna"}


def test_me_lists_memberships_with_roles(account: Account) -> None:
    other = AccountFactory(name="Fietsenstalling Oost")
    lars = UserFactory(username="lars", first_name="Lars", account=account, role=Role.LEAD)
    do_add_user("lars", other, Role.ADMIN, "")

    response = bearer_client(lars).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["memberships"] == [
        {"account": {"id": other.pk, "name": "Fietsenstalling Oost"}, "role": "admin"},
        {"account": {"id": account.pk, "name": "Parkeergarage Centraal"}, "role": "lead"},
    ]


def test_inboxes_lists_only_own_accounts(
    anna_api: Client, api_inbox: Inbox, x_inbox: Inbox
) -> None:
    InboxFactory(account=AccountFactory(name="Fietsenstalling Oost"), name="Oost API")

    response = anna_api.get("/api/v1/inboxes")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": x_inbox.pk,
            "kind": "x",
            "name": "@ParkeerCentraal",
            "handle": "ParkeerCentraal",
            "account": x_inbox.account_id,
        },
        {
            "id": api_inbox.pk,
            "kind": "api",
            "name": "Website API",
            "handle": "",
            "account": api_inbox.account_id,
        },
    ]
    assert "secret" not in response.content.decode()
    assert api_inbox.token not in response.content.decode()


def test_inboxes_of_a_foreign_account_is_404(anna_api: Client) -> None:
    other = AccountFactory(name="Fietsenstalling Oost")
    InboxFactory(account=other)

    response = anna_api.get(f"/api/v1/inboxes?account={other.pk}")

    assert response.status_code == 404
    assert response.json()["error"]


def test_openapi_lists_paths_and_bearer_scheme(db: None) -> None:
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) >= {
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/replies",
        "/api/v1/conversations/{conversation_id}/assignment",
        "/api/v1/conversations/{conversation_id}/status",
        "/api/v1/conversations/{conversation_id}/priority",
        "/api/v1/conversations/{conversation_id}/labels",
        "/api/v1/conversations/{conversation_id}/labels/{name}",
        "/api/v1/conversations/{conversation_id}/notes",
        "/api/v1/conversations/{conversation_id}/draft",
        "/api/v1/messages/{message_id}/retry",
        "/api/v1/messages/{message_id}/mark-sent",
        "/api/v1/me",
        "/api/v1/inboxes",
    }
    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"TokenAuth": []}]


@pytest.mark.usefixtures("transactional_db")
def test_docs_page_loads_without_external_urls(webcare_server: str) -> None:
    page = httpx.get(f"{webcare_server}/api/docs", timeout=10)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)

    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text
    assert "://" not in page.text
    # Swagger UI's validator badge would fetch from validator.swagger.io on a non-local host.
    assert '"validatorUrl": null' in page.text
    assert len(assets) >= 4
    assert [httpx.get(f"{webcare_server}{a}", timeout=10).status_code for a in assets] == [
        200
    ] * len(assets)


def operation_count() -> int:
    paths = api.get_openapi_schema()["paths"].values()
    return sum(1 for operations in paths for method in operations if method in HTTP_METHODS)


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_docs_render_in_a_browser_without_leaving_the_server(webcare_server: str) -> None:
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{webcare_server}/api/docs")
        # Every operation of the OpenAPI document; the number grows with the API.
        expected = operation_count()
        page.locator(".opblock").nth(expected - 1).wait_for()
        operations = page.locator(".opblock").count()
        title = page.locator(".info .title").inner_text()
        browser.close()

    assert operations == expected
    assert "Webcare API" in title
    assert [url for url in requested if not url.startswith(webcare_server)] == []
