"""A stand-in for the X API v2 over real HTTP, following ../shared/docs/platforms.md §1.

What it holds to, because the real API does:

- Bearer auth on every call (401 otherwise); `x-rate-limit-limit/-remaining/-reset` on every
  response, and 429 while an endpoint's window is used up (tests set the window);
- the mentions timeline: newest first, `since_id`/`until_id` exclusive, `max_results` 5..100,
  `pagination_token` -> `meta.next_token`, `newest_id`/`oldest_id`, only the 800 most recent
  mentions, and only `id` and `text` unless `tweet.fields` or `post.fields` asks for more;
- recent search (`query=@handle`), which has no 800 cap;
- `POST /2/tweets` refuses unknown top-level keys (`additionalProperties: false`) and text over
  280 weighted characters; `POST /2/dm_conversations/with/{id}/messages`, 10,000 characters;
- signed webhook deliveries (`x-twitter-webhooks-signature`) and the CRC check, sent by tests.

It counts on its own side what it accepted, so tests judge by what arrived.
"""

import base64
import hashlib
import hmac
import json
import re
import shlex
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from twitter_text import parse_tweet

from webcare.sandbox.standins.serving import serve_in_thread

MENTIONS_CAP = 800
POST_KEYS = {
    "text",
    "reply",
    "quote_tweet_id",
    "media",
    "poll",
    "reply_settings",
    "for_super_followers_only",
    "direct_message_deep_link",
    "geo",
    "nullcast",
    "community_id",
    "card_uri",
    "made_with_ai",
    "paid_partnership",
    "share_with_followers",
    "edit_options",
}
ALL_POST_FIELDS = {
    "created_at",
    "author_id",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "lang",
}


@dataclass(frozen=True)
class Request:
    at: float
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int


@dataclass
class Window:
    """One endpoint's rate-limit window."""

    limit: int = 450
    remaining: int = 450
    reset: int = 0  # epoch seconds


@dataclass
class XStandIn:
    user_id: str = "2244994945"
    username: str = "ParkeerCentraal"
    bearer_token: str = "stand-in-token"
    consumer_secret: str = "stand-in-consumer-secret"
    url: str = ""
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    mention_ids: list[str] = field(default_factory=list)
    brand_post_ids: list[str] = field(default_factory=list)
    dm_events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    windows: dict[str, Window] = field(default_factory=dict)
    faults: list[tuple[str, int]] = field(default_factory=list)
    serial: int = 1860000000000000000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.user(self.user_id, self.username, "Parkeergarage Centraal", followers=5000)

    # What customers and the brand do ---------------------------------------------------------

    def _next_id(self) -> str:
        self.serial += 1
        return str(self.serial)

    def user(self, user_id: str, username: str, name: str = "", followers: int = 10) -> None:
        self.users[user_id] = {
            "id": user_id,
            "username": username,
            "name": name or username,
            "verified": False,
            "public_metrics": {"followers_count": followers},
        }

    def mention(
        self,
        author_id: str,
        text: str,
        *,
        in_reply_to: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A customer posts `text` naming the brand; returns the full v2 post."""
        if author_id not in self.users:
            self.user(author_id, f"klant{author_id}")
        with self._lock:
            post_id = self._next_id()
            parent = self.posts.get(in_reply_to or "")
            post = {
                "id": post_id,
                "text": text,
                "author_id": author_id,
                "created_at": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "conversation_id": parent["conversation_id"] if parent else post_id,
                "edit_history_tweet_ids": [post_id],
                "lang": "nl",
            }
            if in_reply_to:
                post["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
                post["in_reply_to_user_id"] = parent["author_id"] if parent else self.user_id
            self.posts[post_id] = post
            self.mention_ids.append(post_id)
            return post

    def brand_reply(self, text: str, in_reply_to: str) -> dict[str, Any]:
        """The brand answers from X's own app, outside Webcare; returns the post."""
        status, body = self._post_tweet(
            "/2/tweets", {}, {"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}}
        )
        assert status == 201, body
        return self.posts[body["data"]["id"]]

    def dm_from(self, author_id: str, text: str) -> dict[str, Any]:
        """A customer sends the brand a DM; returns the v1.1 event (as webhooks carry it)."""
        if author_id not in self.users:
            self.user(author_id, f"klant{author_id}")
        with self._lock:
            event_id = self._next_id()
            event = {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": str(int(time.time() * 1000)),
                "message_create": {
                    "target": {"recipient_id": self.user_id},
                    "sender_id": author_id,
                    "message_data": {"text": text, "entities": {}},
                },
            }
            self.dm_events.append(event)
            return event

    # Webhook bodies, as X sends them ---------------------------------------------------------

    def activity_body(self, post: dict[str, Any]) -> bytes:
        """X Activity API `post.mention.create`."""
        author = self.users[post["author_id"]]
        return json.dumps(
            {
                "data": {
                    "event_uuid": post["id"],
                    "filter": {"user_id": self.user_id},
                    "event_type": "post.mention.create",
                    "tag": "mentions",
                    "payload": post,
                    "includes": {"users": [author]},
                }
            }
        ).encode()

    def account_activity_body(self, *posts: dict[str, Any]) -> bytes:
        """Account Activity `tweet_create_events`, in v1.1 format (`id_str`, a numeric `id`)."""
        events = []
        for post in posts:
            author = self.users[post["author_id"]]
            created = datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%S.000Z").replace(
                tzinfo=UTC
            )
            replied = next(
                (r["id"] for r in post.get("referenced_tweets", []) if r["type"] == "replied_to"),
                None,
            )
            events.append(
                {
                    "created_at": created.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                    "id": int(post["id"]),
                    "id_str": post["id"],
                    "text": post["text"],
                    "truncated": False,
                    "in_reply_to_status_id_str": replied,
                    "user": {
                        "id_str": author["id"],
                        "screen_name": author["username"],
                        "name": author["name"],
                    },
                }
            )
        return json.dumps(
            {
                "for_user_id": self.user_id,
                "user_has_blocked": "false",
                "tweet_create_events": events,
            }
        ).encode()

    def dm_body(self, *events: dict[str, Any]) -> bytes:
        users = {
            uid: {"id": uid, "name": u["name"], "screen_name": u["username"]}
            for uid, u in self.users.items()
        }
        return json.dumps(
            {"for_user_id": self.user_id, "direct_message_events": list(events), "users": users}
        ).encode()

    def signature(self, body: bytes) -> str:
        digest = hmac.new(self.consumer_secret.encode(), body, hashlib.sha256).digest()
        return "sha256=" + base64.b64encode(digest).decode()

    def deliver(
        self, webhook_url: str, body: bytes, *, signature: str | None = "sign"
    ) -> httpx.Response:
        """POST a webhook delivery the way X does; `signature=None` leaves the header out."""
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["x-twitter-webhooks-signature"] = self.signature(body)
        elif signature is not None:
            headers["x-twitter-webhooks-signature"] = signature
        return httpx.post(webhook_url, content=body, headers=headers, timeout=30)

    def crc_check(self, webhook_url: str) -> bool:
        """X's challenge: is the response_token the HMAC of our token with the consumer secret?"""
        token = base64.urlsafe_b64encode(
            hashlib.sha256(str(time.time()).encode()).digest()
        ).decode()
        response = httpx.get(webhook_url, params={"crc_token": token}, timeout=10)
        digest = hmac.new(self.consumer_secret.encode(), token.encode(), hashlib.sha256).digest()
        expected = "sha256=" + base64.b64encode(digest).decode()
        return response.status_code == 200 and response.json().get("response_token") == expected

    # Test controls ---------------------------------------------------------------------------

    def exhaust(self, endpoint: str, reset_in: int) -> int:
        """Use up `endpoint`'s window until `reset_in` seconds from now; returns the reset."""
        reset = int(time.time()) + reset_in
        self.windows[endpoint] = Window(limit=450, remaining=0, reset=reset)
        return reset

    def fail_next(self, endpoint: str, status: int, times: int = 1) -> None:
        self.faults.extend([(endpoint, status)] * times)

    def calls(self, endpoint_path_part: str, method: str = "GET") -> list[Request]:
        return [r for r in self.requests if r.method == method and endpoint_path_part in r.path]

    def replies(self) -> list[dict[str, Any]]:
        return [self.posts[pid] for pid in self.brand_post_ids]

    # Serving ---------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, Any, str]:
        """Returns (status, JSON body, endpoint name)."""
        endpoint, handler = self._route(method, path)
        if handler is None:
            return 404, {"title": "Not Found Error", "detail": f"no route {method} {path}"}, "none"
        if auth != f"Bearer {self.bearer_token}":
            return 401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}, endpoint
        with self._lock:
            window = self.windows.setdefault(endpoint, Window(reset=int(time.time()) + 900))
            if window.remaining <= 0 and time.time() < window.reset:
                return (
                    429,
                    {
                        "title": "Too Many Requests",
                        "detail": "Too Many Requests",
                        "type": "about:blank",
                        "status": 429,
                    },
                    endpoint,
                )
            if window.remaining <= 0:
                window.remaining, window.reset = window.limit, int(time.time()) + 900
            window.remaining -= 1
            for index, (name, status) in enumerate(self.faults):
                if name == endpoint:
                    del self.faults[index]
                    return (
                        status,
                        {"title": "Service Unavailable", "detail": "stand-in fault"},
                        endpoint,
                    )
            status, payload = handler(path, query, body)
            return status, payload, endpoint

    def _route(self, method: str, path: str) -> tuple[str, Any]:
        """(endpoint name, handler) for a request; handler None when nothing matches."""
        routes = [
            ("GET", r"/2/users/\d+/mentions", "mentions", self._mentions),
            ("GET", r"/2/tweets/search/recent", "search", self._search),
            ("POST", r"/2/tweets", "post_tweet", self._post_tweet),
            ("GET", r"/2/users/\d+/tweets", "user_tweets", self._user_tweets),
            ("GET", r"/2/users/\d+", "user", self._user),
            ("POST", r"/2/dm_conversations/with/\d+/messages", "dm_send", self._dm_send),
            ("GET", r"/2/dm_conversations/with/\d+/dm_events", "dm_events", self._dm_conversation),
        ]
        for verb, pattern, name, handler in routes:
            if verb == method and re.fullmatch(pattern, path):
                return name, handler
        return "none", None

    def _fields(self, query: dict[str, str]) -> set[str]:
        asked = query.get("tweet.fields") or query.get("post.fields") or ""
        return {f for f in asked.split(",") if f in ALL_POST_FIELDS}

    def _shape(self, post: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        base = {
            "id": post["id"],
            "text": post["text"],
            "edit_history_tweet_ids": post.get("edit_history_tweet_ids", [post["id"]]),
        }
        return base | {k: v for k, v in post.items() if k in fields}

    def _page(
        self, ids: list[str], query: dict[str, str], token_param: str, low: int, high: int
    ) -> tuple[int, Any]:
        try:
            size = int(query.get("max_results", "10"))
        except ValueError:
            size = -1
        if not low <= size <= high:
            return 400, {
                "title": "Invalid Request",
                "detail": f"max_results must be between {low} and {high}",
            }
        since = int(query.get("since_id", "0") or 0)
        until = int(query["until_id"]) if query.get("until_id") else None
        start = query.get("start_time")
        token = query.get(token_param)
        before = int(base64.b32hexdecode(token).decode()) if token else None
        chosen = []
        for post_id in ids:
            number = int(post_id)
            post = self.posts[post_id]
            if number <= since or (until is not None and number >= until):
                continue
            if before is not None and number >= before:
                continue
            if start and post["created_at"] < start.replace("Z", ".000Z"):
                continue
            chosen.append(post_id)
        page, rest = chosen[:size], chosen[size:]
        fields = self._fields(query)
        data = [self._shape(self.posts[pid], fields) for pid in page]
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta["newest_id"], meta["oldest_id"] = page[0], page[-1]
        if rest and page:
            meta["next_token"] = base64.b32hexencode(page[-1].encode()).decode()
        body: dict[str, Any] = {"meta": meta}
        if data:
            body["data"] = data
            if "author_id" in query.get("expansions", ""):
                authors = {self.posts[pid]["author_id"] for pid in page}
                body["includes"] = {
                    "users": [self.users[a] for a in sorted(authors) if a in self.users]
                }
        return 200, body

    def _mentions(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        newest_first = sorted(self.mention_ids, key=int, reverse=True)[:MENTIONS_CAP]
        return self._page(newest_first, query, "pagination_token", 5, 100)

    def _search(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """A subset of X's query language: terms and "quoted phrases" joined by OR (any
        matches), and -term exclusions; case-insensitive."""
        text = query.get("query", "")
        if not text:
            return 400, {"title": "Invalid Request", "detail": "query is required"}
        tokens = [t for t in shlex.split(text) if t != "OR"]
        wanted = [t.lower() for t in tokens if not t.startswith("-")]
        unwanted = [t[1:].lower() for t in tokens if t.startswith("-")]
        matching = [
            pid
            for pid in sorted(self.posts, key=int, reverse=True)
            if any(w in self.posts[pid]["text"].lower() for w in wanted)
            and not any(u in self.posts[pid]["text"].lower() for u in unwanted)
        ]
        key = "next_token" if "next_token" in query else "pagination_token"
        return self._page(matching, query, key, 10, 100)

    def post(self, author_id: str, text: str) -> dict[str, Any]:
        """Someone posts without mentioning the brand (X does not list it as a mention)."""
        post = self.mention(author_id, text)
        self.mention_ids.remove(post["id"])
        return post

    def _post_tweet(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, {"title": "Invalid Request", "detail": "body must be a JSON object"}
        unknown = set(body) - POST_KEYS
        if unknown:
            return 400, {"title": "Invalid Request", "detail": f"unknown fields {sorted(unknown)}"}
        text = body.get("text", "")
        if not parse_tweet(text).valid:
            return 400, {"title": "Invalid Request", "detail": "Your Tweet text is too long."}
        reply = body.get("reply") or {}
        parent = reply.get("in_reply_to_tweet_id")
        if parent is not None and parent not in self.posts:
            return 400, {"title": "Invalid Request", "detail": f"post {parent} does not exist"}
        post_id = self._next_id()
        post = {
            "id": post_id,
            "text": text,
            "author_id": self.user_id,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conversation_id": self.posts[parent]["conversation_id"] if parent else post_id,
            "edit_history_tweet_ids": [post_id],
        }
        if parent:
            post["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
        self.posts[post_id] = post
        self.brand_post_ids.append(post_id)
        return 201, {"data": {"id": post_id, "text": text, "edit_history_post_ids": [post_id]}}

    def _user(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        user = self.users.get(path.rsplit("/", 1)[1])
        if user is None:
            return 200, {"errors": [{"title": "Not Found Error", "detail": "Could not find user"}]}
        return 200, {"data": {"id": user["id"], "username": user["username"], "name": user["name"]}}

    def _user_tweets(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        own = sorted(self.brand_post_ids, key=int, reverse=True)
        return self._page(own, query, "pagination_token", 5, 100)

    def _dm_send(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        participant = path.strip("/").split("/")[3]
        text = (body or {}).get("text") if isinstance(body, dict) else None
        if not text and not (body or {}).get("attachments"):
            return 400, {"title": "Invalid Request", "detail": "text or attachments is required"}
        if text and len(text) > 10000:
            return 400, {
                "title": "Invalid Request",
                "detail": "text is longer than 10000 characters",
            }
        event_id = self._next_id()
        self.dm_events.append(
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": str(int(time.time() * 1000)),
                "message_create": {
                    "target": {"recipient_id": participant},
                    "sender_id": self.user_id,
                    "message_data": {"text": text or ""},
                },
            }
        )
        pair = "-".join(sorted([participant, self.user_id], key=int))
        return 201, {"data": {"dm_conversation_id": pair, "dm_event_id": event_id}}

    def _dm_conversation(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        participant = path.strip("/").split("/")[3]
        events = [
            {
                "id": e["id"],
                "event_type": "MessageCreate",
                "text": e["message_create"]["message_data"]["text"],
                "sender_id": e["message_create"]["sender_id"],
            }
            for e in reversed(self.dm_events)
            if participant
            in (e["message_create"]["sender_id"], e["message_create"]["target"]["recipient_id"])
        ]
        return 200, {"data": events, "meta": {"result_count": len(events)}}

    def sent_dms(self) -> list[dict[str, Any]]:
        return [e for e in self.dm_events if e["message_create"]["sender_id"] == self.user_id]


def _handler_for(standin: XStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = "<not json>"
            status, payload, endpoint = standin.handle(
                method, parts.path, query, body, self.headers.get("Authorization", "")
            )
            standin.requests.append(Request(time.time(), method, parts.path, query, body, status))
            window = standin.windows.get(endpoint, Window(reset=int(time.time()) + 900))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-rate-limit-limit", str(window.limit))
            self.send_header("x-rate-limit-remaining", str(max(window.remaining, 0)))
            self.send_header("x-rate-limit-reset", str(window.reset))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


@contextmanager
def running_x(port: int = 0, **kwargs: Any) -> Iterator[XStandIn]:
    """Serve a fresh stand-in on `port` of 127.0.0.1 (0: a free one) during the block."""
    standin = XStandIn(**kwargs)
    with serve_in_thread(_handler_for(standin), port) as url:
        standin.url = url
        yield standin


def utc_minutes_ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
