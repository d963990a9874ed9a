"""A stand-in for a Facebook Page on the Graph API over real HTTP (platforms.md §2.3, §2.4, §2.6).

Besides what every Graph stand-in does (src/webcare/sandbox/standins/meta.py), it holds to:

- `POST /{version}/{comment-id}/comments` with a form field `message` of at most 8000
  characters, under a comment (or post) it knows, answering `{"id": "<new comment id>"}`;
- `POST /{version}/{page-id}/messages`, the Send API: Messenger text "less than 2000
  characters", `messaging_type` required, the 24-hour window and HUMAN_AGENT up to 7 days;
  answering `{"recipient_id", "message_id"}`;
- `GET /{version}/{page-id}?fields=name` for the connection check;
- webhook bodies (object `page`): `feed` changes for comments, replies and visitor posts, in
  the shape of the captured delivery in platforms.md §2.3, and `messaging` events for
  Messenger messages and the Page's echoes.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from webcare.sandbox.standins.meta import Answer, GraphStandIn, Route, no_object, ok, serving

MAX_COMMENT = 8000
MAX_MESSENGER_TEXT = 2000  # "less than 2000 characters"
# The app id Meta gives replies typed in the Page inbox (platforms.md §2.4).
PAGE_INBOX_APP_ID = 263902037430900


@dataclass
class FacebookStandIn(GraphStandIn):
    page_id: str = "448242228374517"
    page_name: str = "Parkeergarage Centraal"
    max_dm = MAX_MESSENGER_TEXT

    @property
    def account_id(self) -> str:  # type: ignore[override]
        return self.page_id

    def dm_too_long(self, text: str) -> bool:
        return len(text) >= MAX_MESSENGER_TEXT

    def routes(self) -> list[Route]:
        return [
            ("POST", r"(\d+)/messages", self.send_message),
            ("POST", r"([\d_]+)/comments", self._reply_to_comment),
            ("GET", r"(\d+)", self._page),
            ("POST", r"(\d+_\d+)", self._hide),
            ("DELETE", r"(\d+_\d+)", self.delete_comment),
        ]

    def _hide(self, comment: str, *, query: dict[str, str], body: Any) -> Answer:
        """`POST /{comment-id}` with `is_hidden=true|false` (a form field)."""
        value = body.get("is_hidden") if isinstance(body, dict) else None
        return self.set_hidden(comment, value)

    def _reply_to_comment(self, parent: str, *, query: dict[str, str], body: Any) -> Answer:
        text = body.get("message") if isinstance(body, dict) else None
        return self.comment_reply(parent, text, MAX_COMMENT)

    def _page(self, page: str, *, query: dict[str, str], body: Any) -> Answer:
        if page != self.page_id:
            return no_object(page)
        fields = query.get("fields", "id,name").split(",")
        known = {"id": self.page_id, "name": self.page_name}
        return ok({key: known[key] for key in fields if key in known} | {"id": self.page_id})

    # What people do on the Page --------------------------------------------------------------

    def page_post(self) -> str:
        """A post by the Page itself, that customers comment on."""
        post_id = f"{self.page_id}_{self.next_id()}"
        self.comments[post_id] = {"id": post_id}
        return post_id

    def _feed_value(self, author: tuple[str, str], text: str, at: float | None) -> dict[str, Any]:
        return {
            "from": {"id": author[0], "name": author[1]},
            "message": text,
            "created_time": int(time.time() if at is None else at),
            "verb": "add",
        }

    def comment(
        self,
        author: tuple[str, str],
        text: str,
        *,
        post_id: str | None = None,
        parent_id: str | None = None,
        at: float | None = None,
        verb: str = "add",
    ) -> dict[str, Any]:
        """A comment (or, with `parent_id`, a reply to one) as the `feed` change's value."""
        post_id = post_id or self.page_post()
        comment_id = f"{post_id.split('_')[-1]}_{self.next_id()}"
        moment = time.time() if at is None else at
        self.comments[comment_id] = {"id": comment_id, "post": post_id, "at": moment}
        return self._feed_value(author, text, at) | {
            "post": {"status_type": "mobile_status_update", "is_published": True, "id": post_id},
            "post_id": post_id,
            "comment_id": comment_id,
            "item": "comment",
            "parent_id": parent_id or post_id,
            "verb": verb,
        }

    def visitor_post(
        self, author: tuple[str, str], text: str, *, at: float | None = None
    ) -> dict[str, Any]:
        """A post a visitor writes on the Page."""
        post_id = f"{self.page_id}_{self.next_id()}"
        self.comments[post_id] = {"id": post_id}
        return self._feed_value(author, text, at) | {
            "post_id": post_id,
            "item": "status",
            "published": 1,
        }

    def feed_body(self, *values: dict[str, Any], page_id: str | None = None) -> bytes:
        changes = [{"field": "feed", "value": value} for value in values]
        entry = {"id": page_id or self.page_id, "time": int(time.time()), "changes": changes}
        return self.encode({"object": "page", "entry": [entry]})

    def messenger_text(
        self, psid: str, text: str, *, at: float | None = None, reply_to: str | None = None
    ) -> dict[str, Any]:
        """A customer's Messenger message, which opens (or renews) the 24-hour window."""
        moment = time.time() if at is None else at
        self.customer_wrote(psid, moment)
        extra = {"reply_to": {"mid": reply_to, "is_self_reply": False}} if reply_to else {}
        return self.messaging_event(psid, self.page_id, text, moment, **extra)

    def echo(self, psid: str, text: str, *, mid: str | None = None) -> dict[str, Any]:
        """The Page's own message coming back, as typed in the Page inbox."""
        event = self.messaging_event(
            self.page_id, psid, text, time.time(), is_echo=True, app_id=PAGE_INBOX_APP_ID
        )
        if mid:
            event["message"]["mid"] = mid
        return event

    def messaging_body(self, *events: dict[str, Any], page_id: str | None = None) -> bytes:
        entry = {"id": page_id or self.page_id, "time": int(time.time() * 1000)}
        return self.encode({"object": "page", "entry": [entry | {"messaging": list(events)}]})


@contextmanager
def running_facebook(port: int = 0, **kwargs: Any) -> Iterator[FacebookStandIn]:
    with serving(FacebookStandIn(**kwargs), port) as standin:
        yield standin
