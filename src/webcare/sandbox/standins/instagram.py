"""A stand-in for an Instagram professional account on the Graph API (graph.instagram.com)
over real HTTP (platforms.md §2.5, §2.6).

Besides what every Graph stand-in does (src/webcare/sandbox/standins/meta.py), it holds to:

- `POST /{version}/{ig-comment-id}/replies?message=...`, at most 2200 characters, under a
  comment it knows, answering `{"id": "<new comment id>"}`;
- `POST /{version}/{ig-user-id}/messages`: `{"recipient": {"id"}, "message": {"text"}}`, the
  text "1000 bytes or less" (UTF-8), `messaging_type` optional; the 24-hour window, and the
  HUMAN_AGENT tag up to 7 days;
- `GET /{version}/{ig-user-id}?fields=username` for the connection check;
- webhook bodies (object `instagram`): `comments` changes (in `entry[].changes[]`, or with
  `field`/`value` directly under the entry as Meta's example prints them) and `messaging`
  events for DMs and the account's echoes.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from webcare.sandbox.standins.meta import Answer, GraphStandIn, Route, no_object, ok, serving

MAX_COMMENT = 2200
MAX_DM_BYTES = 1000


@dataclass
class InstagramStandIn(GraphStandIn):
    ig_user_id: str = "17841405793187218"
    username: str = "parkeergarage.centraal"
    max_dm = MAX_DM_BYTES
    dm_unit = "bytes"
    requires_messaging_type = False

    @property
    def account_id(self) -> str:  # type: ignore[override]
        return self.ig_user_id

    def dm_too_long(self, text: str) -> bool:
        return len(text.encode("utf-8")) > MAX_DM_BYTES

    def routes(self) -> list[Route]:
        return [
            ("POST", r"(\d+)/messages", self.send_message),
            ("POST", r"(\d+)/replies", self._reply_to_comment),
            ("GET", r"(\d+)", self._account),
            ("POST", r"(\d+)", self._hide),
            ("DELETE", r"(\d+)", self.delete_comment),
        ]

    def _hide(self, comment: str, *, query: dict[str, str], body: Any) -> Answer:
        """`POST /{ig-comment-id}?hide=true|false`: the parameter is `hide`."""
        return self.set_hidden(comment, query.get("hide"))

    def _reply_to_comment(self, parent: str, *, query: dict[str, str], body: Any) -> Answer:
        return self.comment_reply(parent, query.get("message"), MAX_COMMENT)

    def _account(self, account: str, *, query: dict[str, str], body: Any) -> Answer:
        if account != self.ig_user_id:
            return no_object(account)
        fields = query.get("fields", "id,username").split(",")
        known = {"id": self.ig_user_id, "username": self.username}
        return ok({key: known[key] for key in fields if key in known} | {"id": self.ig_user_id})

    # What people do on the account -----------------------------------------------------------

    def media(self) -> str:
        return str(self.next_id())

    def comment(
        self,
        author: tuple[str, str],
        text: str,
        *,
        media_id: str | None = None,
        parent_id: str | None = None,
    ) -> dict[str, Any]:
        """A comment (or, with `parent_id`, a reply to one) as the `comments` change's value."""
        comment_id = str(self.next_id())
        self.comments[comment_id] = {"id": comment_id, "at": time.time()}
        value: dict[str, Any] = {
            "id": comment_id,
            "text": text,
            "from": {"id": author[0], "username": author[1]},
            "media": {"id": media_id or self.media(), "media_product_type": "FEED"},
        }
        if parent_id:
            value["parent_id"] = parent_id
        return value

    def comments_body(
        self, *values: dict[str, Any], ig_user_id: str | None = None, flat: bool = False
    ) -> bytes:
        """`flat`: `field`/`value` directly under each entry, as Meta's example prints it."""
        entry_id = ig_user_id or self.ig_user_id
        changes = [{"field": "comments", "value": value} for value in values]
        if flat:
            entries = [{"id": entry_id, "time": int(time.time())} | c for c in changes]
        else:
            entries = [{"id": entry_id, "time": int(time.time()), "changes": changes}]
        return self.encode({"object": "instagram", "entry": entries})

    def dm(self, igsid: str, text: str, *, at: float | None = None) -> dict[str, Any]:
        """A customer's DM, which opens (or renews) the 24-hour window."""
        moment = time.time() if at is None else at
        self.customer_wrote(igsid, moment)
        return self.messaging_event(igsid, self.ig_user_id, text, moment)

    def echo(self, igsid: str, text: str, *, mid: str | None = None) -> dict[str, Any]:
        """The account's own DM coming back: sender and recipient swapped."""
        event = self.messaging_event(self.ig_user_id, igsid, text, time.time(), is_echo=True)
        if mid:
            event["message"]["mid"] = mid
        return event

    def messaging_body(self, *events: dict[str, Any], ig_user_id: str | None = None) -> bytes:
        entry = {"id": ig_user_id or self.ig_user_id, "time": int(time.time() * 1000)}
        return self.encode({"object": "instagram", "entry": [entry | {"messaging": list(events)}]})


@contextmanager
def running_instagram(port: int = 0, **kwargs: Any) -> Iterator[InstagramStandIn]:
    with serving(InstagramStandIn(**kwargs), port) as standin:
        yield standin
