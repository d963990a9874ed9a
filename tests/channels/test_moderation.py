"""Hiding and deleting customers' public comments on Facebook and Instagram, audited.

Against the Meta stand-ins: a hidden comment is hidden there, a deleted one gone, and nothing
is recorded here unless the platform took it.
"""

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect, sync_playwright

from tests.api.conftest import bearer_client
from tests.browser import launch_chromium, log_in, shoot
from tests.channels import connected, test_facebook, test_instagram
from tests.conftest import logged_in
from webcare.accounts.models import Account, User
from webcare.conversations.models import Conversation, Message, ReplyState
from webcare.conversations.moderation import check_moderate
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.facebook import FacebookStandIn, running_facebook
from webcare.sandbox.standins.instagram import InstagramStandIn, running_instagram


@pytest.fixture
def fb() -> Iterator[FacebookStandIn]:
    with running_facebook() as running:
        yield running


@pytest.fixture
def fb_inbox(account: Account, fb: FacebookStandIn) -> Inbox:
    return connected.facebook_inbox(account, fb)


@pytest.fixture
def ig() -> Iterator[InstagramStandIn]:
    with running_instagram() as running:
        yield running


@pytest.fixture
def ig_inbox(account: Account, ig: InstagramStandIn) -> Inbox:
    return connected.instagram_inbox(account, ig)


def fb_comment(fb: FacebookStandIn, inbox: Inbox, text: str = "Koop goedkope volgers!") -> Message:
    value = fb.comment(test_facebook.JANE, text)
    test_facebook.comments(fb, inbox, value)
    return Message.objects.get(external_id=value["comment_id"])


def activity(conversation: Conversation) -> list[dict]:
    return [m.activity for m in conversation.messages.filter(kind="activity").order_by("pk")]


def test_hiding_a_facebook_comment_is_the_documented_call_and_audited(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    comment = fb_comment(fb, fb_inbox, "Mijn kenteken is 12-ABC-3, waarom werkt het niet?")

    check_moderate(agent_anna, comment, "hide", "personal_data")

    (call,) = fb.calls("POST")
    assert call.path.endswith(f"/{comment.external_id}") and call.body == {"is_hidden": "true"}
    assert fb.comments[comment.external_id]["hidden"] is True
    comment.refresh_from_db()
    assert (comment.moderation, comment.moderation_reason) == ("hidden", "personal_data")
    # Personal data: the customer still deserves an answer (privately).
    assert comment.reply_state == ReplyState.WAITING
    assert activity(comment.conversation)[-1] == {
        "verb": "comment_hide",
        "message": comment.pk,
        "reason": "personal_data",
    }


def test_spam_is_hidden_then_deleted_and_needs_no_reply(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    comment = fb_comment(fb, fb_inbox)

    check_moderate(agent_anna, comment, "hide", "spam")
    check_moderate(agent_anna, comment, "delete", "spam")

    assert fb.deleted == [comment.external_id]
    assert [c.method for c in fb.requests] == ["POST", "DELETE"]
    comment.refresh_from_db()
    assert comment.moderation == "deleted"
    assert (comment.reply_state, comment.no_reply_reason) == ("no_reply_needed", "spam")
    verbs = [entry["verb"] for entry in activity(comment.conversation)]
    assert verbs[-2:] == ["comment_hide", "comment_delete"]
    with pytest.raises(ActionError):
        check_moderate(agent_anna, comment, "hide", "spam")


def test_showing_a_hidden_comment_again(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    comment = fb_comment(fb, fb_inbox)
    check_moderate(agent_anna, comment, "hide", "off_topic")

    check_moderate(agent_anna, comment, "unhide")

    assert fb.requests[-1].body == {"is_hidden": "false"}
    comment.refresh_from_db()
    assert (comment.moderation, comment.moderation_reason) == ("", "")


def test_nothing_is_recorded_when_the_platform_refuses(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    comment = fb_comment(fb, fb_inbox)
    fb.fail_next(500)

    with pytest.raises(ActionError) as refused:
        check_moderate(agent_anna, comment, "hide", "spam")

    assert refused.value.status == 502
    comment.refresh_from_db()
    assert comment.moderation == "" and comment.reply_state == ReplyState.WAITING
    assert activity(comment.conversation) == []


def test_an_instagram_comment_is_hidden_with_the_hide_parameter(
    agent_anna: User, ig_inbox: Inbox, ig: InstagramStandIn
) -> None:
    value = ig.comment(test_instagram.JANE, "Slechtste garage ooit, idioten")
    test_instagram.delivered(ig, ig_inbox, ig.comments_body(value))
    comment = Message.objects.get(external_id=value["id"])

    check_moderate(agent_anna, comment, "hide", "abuse")
    check_moderate(agent_anna, comment, "delete", "abuse")

    hide, delete = ig.requests
    assert (hide.method, hide.query["hide"]) == ("POST", "true")
    assert delete.method == "DELETE" and delete.path.endswith(f"/{value['id']}")


def test_a_reason_is_required_and_dms_cannot_be_moderated(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    comment = fb_comment(fb, fb_inbox)
    dm = test_facebook.customer_messages(fb, fb_inbox).messages.get()

    with pytest.raises(ActionError, match="Give a reason"):
        check_moderate(agent_anna, comment, "hide", "")
    with translation.override("en"), pytest.raises(ActionError, match="public comment"):
        check_moderate(agent_anna, dm, "hide", "spam")
    assert fb.requests == []


def test_the_api_hides_and_the_timeline_shows_it(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    comment = fb_comment(fb, fb_inbox)
    api = bearer_client(agent_anna)

    response = api.post(
        f"/api/v1/messages/{comment.pk}/hide", {"reason": "spam"}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["moderation"], response.json()["moderation_reason"]) == (
        "hidden",
        "spam",
    )


def test_the_web_offers_hide_first_then_delete(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn
) -> None:
    comment = fb_comment(fb, fb_inbox)
    web: Client = logged_in(agent_anna)
    conversation = comment.conversation
    page_url = reverse("web:conversation", args=[conversation.account_id, conversation.display_id])
    action = reverse(
        "web:moderate", args=[conversation.account_id, conversation.display_id, comment.pk]
    )

    before = web.get(page_url).content.decode()
    web.post(action, {"action": "hide", "reason": "spam"})
    after = web.get(page_url).content.decode()

    assert "Hide comment…" in before and "Delete permanently…" not in before
    assert "Delete permanently…" in after and "Show again" in after
    assert "Hidden on the platform: Spam" in after
    assert "Anna hid a comment on the platform: Spam" in after


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_hiding_in_the_browser(
    agent_anna: User, fb_inbox: Inbox, fb: FacebookStandIn, webcare_server: str
) -> None:
    comment = fb_comment(fb, fb_inbox, "Mijn kenteken is 12-ABC-3, waarom opent de slagboom niet?")
    conversation = comment.conversation
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        log_in(page, webcare_server, "anna")
        page.goto(f"{webcare_server}/a/{conversation.account_id}/c/{conversation.display_id}/")
        page.get_by_text("Hide comment…").click()
        page.get_by_role("button", name="Personal data in public").click()
        expect(page.locator(".moderation")).to_contain_text("Hidden on the platform")
        page.get_by_text("Delete permanently…").click()
        shoot(page, "comment-hidden")
        browser.close()
    assert fb.comments[comment.external_id]["hidden"] is True
