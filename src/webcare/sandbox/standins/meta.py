"""What the Facebook and Instagram stand-ins share: a Graph API over real HTTP
(../shared/docs/platforms.md §2, §6).

- the token check, before anything else: the `access_token` query parameter (or a Bearer
  header), else Graph's error envelope with code 190;
- the Send API (`POST /{id}/messages`): `recipient.id`, `message.text` within the platform's
  limit, and the window: inside 24 hours of the customer's last message anything goes, up to
  7 days only with `messaging_type: MESSAGE_TAG` and `tag: HUMAN_AGENT`, else code 10 with
  subcode 2018278 (open question 4 in §6: what the wild reports; no source gave it);
- forced 500 and 429 answers, the 429 with Meta's `X-Business-Use-Case-Usage` header;
- every request recorded, with its query and its body (JSON or form);
- webhook bodies as Meta sends them: escaped-unicode JSON (`ensure_ascii=True`), signed
  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw bytes)>`.

The platform stand-ins add their routes (`routes`) and their webhook builders.
"""

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from webcare.sandbox.standins.serving import serve_in_thread
from webcare.sandbox.standins.whatsapp import Fault, graph_error

WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600
OUTSIDE_WINDOW = graph_error(
    10, "(#10) This message is sent outside of allowed window.", error_subcode=2018278
)

StandIn = TypeVar("StandIn", bound="GraphStandIn")
Answer = tuple[int, dict[str, Any], dict[str, str]]
Route = tuple[str, str, Callable[..., Answer]]


@dataclass(frozen=True)
class Request:
    at: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int


def ok(payload: dict[str, Any]) -> Answer:
    return 200, payload, {}


def bad(code: int, message: str, **extra: Any) -> Answer:
    return 400, graph_error(code, message, **extra), {}


def no_object(object_id: str) -> Answer:
    return bad(
        100,
        f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        error_type="GraphMethodException",
        error_subcode=33,
    )


@dataclass
class GraphStandIn:
    """The shared part; a subclass names its account (`account_id`) and its limits."""

    version: str = "v23.0"
    access_token: str = "stand-in-access-token"
    app_secret: str = "stand-in-app-secret"
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    # The customer's last message (epoch seconds) per PSID / IGSID: the messaging window.
    last_inbound: dict[str, float] = field(default_factory=dict)
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    # Comments and visitor posts that had their one private reply.
    private_replied: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    serial: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    account_id = ""
    max_dm = 0
    dm_unit = "characters"
    requires_messaging_type = True

    @property
    def api_base(self) -> str:
        """What an inbox's `api_base` setting is, as https://graph.facebook.com/v23.0 is."""
        return f"{self.url}/{self.version}"

    def next_id(self) -> int:
        with self._lock:
            self.serial += 1
            return 17800000000000000 + self.serial

    def mid(self) -> str:
        raw = f"{self.account_id}:{self.next_id()}:{time.time_ns()}".encode()
        return "m_" + hashlib.sha256(raw).hexdigest()[:40]

    def customer_wrote(self, user_id: str, at: float) -> None:
        self.last_inbound[user_id] = max(self.last_inbound.get(user_id, 0), at)

    # Webhook bodies --------------------------------------------------------------------------

    @staticmethod
    def encode(body: dict[str, Any]) -> bytes:
        # Meta signs escaped-unicode JSON; so does the stand-in (platforms.md §2.1).
        return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode()

    def signature(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def messaging_event(
        self, sender: str, recipient: str, text: str, at: float, **extra: Any
    ) -> dict[str, Any]:
        message = {"mid": self.mid(), "text": text, **extra}
        return {
            "sender": {"id": sender},
            "recipient": {"id": recipient},
            "timestamp": int(at * 1000),
            "message": message,
        }

    # Test controls ---------------------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1, regain_minutes: float = 0) -> None:
        """Answer the next `times` requests with `status` (500, or 429 with a usage header)."""
        self.faults.extend([Fault(status, regain_minutes)] * times)

    def calls(self, method: str = "POST") -> list[Request]:
        return [r for r in self.requests if r.method == method]

    # Serving ---------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, auth: str) -> Answer:
        for route_method, pattern, answer in self.routes():
            match = re.fullmatch(rf"/{self.version}/{pattern}", path)
            if match is None or method != route_method:
                continue
            if self.access_token not in {query.get("access_token"), auth.removeprefix("Bearer ")}:
                return bad(190, "Invalid OAuth access token - Cannot parse access token")
            with self._lock:
                fault = self.faults.pop(0) if self.faults else None
            if fault is not None:
                return self._fault(fault)
            return answer(*match.groups(), query=query, body=body)
        return bad(100, f"Unsupported {method} request.", error_type="GraphMethodException")

    def _fault(self, fault: Fault) -> Answer:
        if fault.status == 429:
            usage = {
                self.account_id: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 30,
                        "total_time": 30,
                        "estimated_time_to_regain_access": fault.regain_minutes,
                    }
                ]
            }
            return (
                429,
                graph_error(613, "(#613) Calls to this api have exceeded the rate limit."),
                {"X-Business-Use-Case-Usage": json.dumps(usage)},
            )
        message = "An unexpected error has occurred. Please retry your request later."
        return fault.status, graph_error(2, message, is_transient=True), {}

    def send_message(self, account: str, *, query: dict[str, str], body: Any) -> Answer:
        """The Send API: `POST /{page-id or ig-id}/messages`."""
        if account != self.account_id:
            return no_object(account)
        recipient = body.get("recipient") if isinstance(body, dict) else None
        if isinstance(recipient, dict) and ({"comment_id", "post_id"} & set(recipient)):
            return self._private_reply(recipient, body)
        problem = self._message_problem(body)
        if problem:
            return bad(100, problem)
        to = str(body["recipient"]["id"])
        age = time.time() - self.last_inbound.get(to, 0)
        tagged = body.get("messaging_type") == "MESSAGE_TAG"
        if age > (HUMAN_AGENT_SECONDS if tagged else WINDOW_SECONDS):
            return 400, OUTSIDE_WINDOW, {}
        mid = self.mid()
        self.sent.append({"id": mid, "to": to, "body": body})
        return ok({"recipient_id": to, "message_id": mid})

    def _private_reply(self, recipient: dict[str, Any], body: dict[str, Any]) -> Answer:
        """A private reply to a comment (or visitor post): one message per object, within
        7 days of it; a second one is error 10900 (platforms.md §2.6)."""
        target = str(recipient.get("comment_id") or recipient.get("post_id"))
        if target not in self.comments:
            return no_object(target)
        text = (body.get("message") or {}).get("text")
        if not isinstance(text, str) or not text:
            return bad(100, "(#100) The parameter message[text] is required")
        if self.dm_too_long(text):
            return bad(
                100, f"(#100) Length of param message[text] is over the limit ({self.max_dm})"
            )
        created = self.comments[target].get("at", time.time())
        if time.time() - created > HUMAN_AGENT_SECONDS:
            return bad(10900, "(#10900) The comment is too old for a private reply")
        if target in self.private_replied:
            return bad(10900, "(#10900) Activity already replied to")
        self.private_replied.add(target)
        mid = self.mid()
        self.sent.append({"id": mid, "to": target, "body": body})
        return ok({"recipient_id": f"psid-of-{target}", "message_id": mid})

    def _message_problem(self, body: Any) -> str:
        """Why a text message is malformed, in Graph's words; "" when it is fine."""
        if not isinstance(body, dict) or not (body.get("recipient") or {}).get("id"):
            return "(#100) The parameter recipient is required"
        text = (body.get("message") or {}).get("text")
        if not isinstance(text, str) or not text:
            return "(#100) The parameter message[text] is required"
        if self.dm_too_long(text):
            return f"(#100) Length of param message[text] is over the limit ({self.max_dm})"
        return self._labels_problem(body)

    def _labels_problem(self, body: dict[str, Any]) -> str:
        """`messaging_type`, and a HUMAN_AGENT `tag` exactly when it is MESSAGE_TAG."""
        kind = body.get("messaging_type")
        if kind is None and self.requires_messaging_type:
            return "(#100) The parameter messaging_type is required"
        if kind not in {None, "RESPONSE", "UPDATE", "MESSAGE_TAG"}:
            return f"(#100) Param messaging_type must be RESPONSE, UPDATE or MESSAGE_TAG: {kind}"
        tagged = kind == "MESSAGE_TAG"
        if tagged != ("tag" in body) or body.get("tag", "HUMAN_AGENT") != "HUMAN_AGENT":
            return "(#100) A tag (HUMAN_AGENT) goes with messaging_type MESSAGE_TAG, and only then"
        return ""

    def dm_too_long(self, text: str) -> bool:
        raise NotImplementedError

    def set_hidden(self, comment: str, value: Any) -> Answer:
        """Hide or show a comment; `value` must be Graph's "true" or "false"."""
        if comment not in self.comments:
            return no_object(comment)
        if value not in {"true", "false"}:
            return bad(100, "(#100) Param is_hidden must be a boolean")
        self.comments[comment]["hidden"] = value == "true"
        return ok({"success": True})

    def delete_comment(self, comment: str, *, query: dict[str, str], body: Any) -> Answer:
        if comment not in self.comments:
            return no_object(comment)
        del self.comments[comment]
        self.deleted.append(comment)
        return ok({"success": True})

    def comment_reply(self, parent: str, text: Any, maximum: int) -> Answer:
        """A public reply under a known comment (or post): the new comment's id."""
        if parent not in self.comments:
            return no_object(parent)
        if not isinstance(text, str) or not text:
            return bad(100, "(#100) The parameter message is required")
        if len(text) > maximum:
            return bad(100, f"(#100) The message is longer than {maximum} characters")
        new_id = f"{parent.rsplit('_', maxsplit=1)[-1]}_{self.next_id()}"
        self.comments[new_id] = {"id": new_id, "parent": parent, "text": text}
        self.sent.append({"id": new_id, "parent": parent, "text": text})
        return ok({"id": new_id})


def _read_body(headers: Any, raw: bytes) -> Any:
    if not raw:
        return None
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    try:
        return json.loads(raw)
    except ValueError:
        return "<not json>"


def _handler_for(standin: GraphStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = _read_body(self.headers, self.rfile.read(length) if length else b"")
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            status, payload, headers = standin.handle(
                method, url.path, query, body, self.headers.get("Authorization", "")
            )
            standin.requests.append(
                Request(
                    time.time(), method, url.path, query, dict(self.headers.items()), body, status
                )
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler


@contextmanager
def serving(standin: StandIn, port: int = 0) -> Iterator[StandIn]:
    """Serve `standin` on `port` of 127.0.0.1 (0: a free one) for the duration of the block."""
    with serve_in_thread(_handler_for(standin), port) as url:
        standin.url = url
        yield standin
