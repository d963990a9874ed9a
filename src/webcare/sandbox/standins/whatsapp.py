"""A stand-in for the WhatsApp Business Cloud API over real HTTP (../shared/docs/platforms.md §3).

What it holds to, because the real API does:

- `POST /{version}/{phone-number-id}/messages` with `Authorization: Bearer` (401 in Graph's
  error envelope otherwise); a text message needs `messaging_product: "whatsapp"`, `to`,
  `type: "text"` and `text.body` of at most 4096 characters (else 400, code 100); free text
  more than 24 hours after the customer's last message is refused with 131047 ("Re-engagement
  message"); `{"status": "read", "message_id"}` is a read receipt, `{"success": true}`;
- template messages (`type: "template"`, `template.name`, `template.language.code`, body
  `components[].parameters[]`): taken at any time, also outside the window, but only for a
  template the stand-in holds as APPROVED in that language (else 132001, "Template name does
  not exist in the translation") and with as many body parameters as it has placeholders
  (else 132000, "Number of parameters does not match the expected number of params");
- `GET /{version}/{media-id}` for a file a customer sent: `{url, mime_type, sha256,
  file_size, id}`, the url valid for five minutes and only with the Bearer token;
- `GET /{version}/{waba-id}/message_templates`: the business account's templates as Meta's
  Graph reference lists them (`data[]` of name, language, status, category, id and
  components with the BODY text; `paging.cursors`, and `paging.next` while more follow,
  `limit` per page);
- the documented answer, `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages":
  [{"id": "wamid..."}]}`;
- webhook bodies as Meta sends them: escaped-unicode JSON, signed `X-Hub-Signature-256:
  sha256=<hex HMAC-SHA256(app secret, raw bytes)>`, for customer messages (text, image) and
  for status sequences (sent, delivered, read, and failed with 131047).

It records every request, and tests can make the next requests fail with 500 or 429.
"""

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from webcare.sandbox.standins.serving import serve_in_thread

MAX_TEXT = 4096
# "The URL is only valid for 5 minutes" (platforms.md §3.2).
MEDIA_URL_SECONDS = 300
WINDOW_SECONDS = 24 * 3600
RE_ENGAGEMENT_DETAILS = (
    "Message failed to send because more than 24 hours have passed since the customer last "
    "replied to this number."
)


@dataclass(frozen=True)
class Request:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass(frozen=True)
class Fault:
    """The answer to force on the next request; `regain_minutes` for a 429's usage header."""

    status: int
    regain_minutes: float = 0


def graph_error(
    code: int, message: str, *, error_type: str = "OAuthException", **extra: Any
) -> dict[str, Any]:
    """Meta's error envelope (platforms.md §2.6)."""
    trace = base64.b64encode(hashlib.sha256(f"{code}{time.time()}".encode()).digest()[:9])
    error = {"message": message, "type": error_type, "code": code, "fbtrace_id": trace.decode()}
    return {"error": error | extra}


PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass(frozen=True)
class Template:
    """A template of the business account, as Meta holds it."""

    name: str
    language: str
    body: str
    status: str = "APPROVED"
    category: str = "UTILITY"
    id: str = ""
    # More of Meta's listing (parameter_format, HEADER or BUTTONS components), merged in.
    listing: dict[str, Any] = field(default_factory=dict)

    @property
    def parameter_count(self) -> int:
        return max((int(n) for n in PLACEHOLDER.findall(self.body)), default=0)

    def listed(self) -> dict[str, Any]:
        """The template as `GET /{waba-id}/message_templates` lists it."""
        components = [*self.listing.get("components", []), {"type": "BODY", "text": self.body}]
        return {
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
            **self.listing,
            "components": components,
        }


def default_templates() -> list[Template]:
    return [
        Template(
            "follow_up",
            "nl",
            "Hallo {{1}}, we hebben uw vraag over {{2}} bekeken. Reageer op dit bericht, "
            "dan helpen we u verder.",
            id="1667192013751005",
        ),
        Template(
            "follow_up",
            "en_US",
            "Hi {{1}}, we looked into your question about {{2}}. Reply to this message and "
            "we will help you further.",
            id="1667192013751006",
        ),
        Template("still_there", "nl", "Bent u er nog? Stuur ons een bericht.", id="17"),
        Template(
            "promo_weekend",
            "nl",
            "Dit weekend 20% korting!",
            status="REJECTED",
            category="MARKETING",
            id="18",
        ),
    ]


@dataclass
class WhatsAppStandIn:
    phone_number_id: str = "106540352242922"
    display_phone_number: str = "15550783881"
    waba_id: str = "419561257915477"
    version: str = "v23.0"
    access_token: str = "stand-in-access-token"
    app_secret: str = "stand-in-app-secret"
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    read_receipts: list[str] = field(default_factory=list)
    # The customer's last message (epoch seconds) per wa_id: the 24-hour window.
    last_inbound: dict[str, float] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    templates: list[Template] = field(default_factory=default_templates)
    # Media the customers sent: media id -> (mime type, content); served by GET /{media-id}.
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # Media URLs handed out: token -> (media id, expiry, epoch seconds); files downloaded.
    media_urls: dict[str, tuple[str, float]] = field(default_factory=dict)
    media_downloads: list[str] = field(default_factory=list)
    serial: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_base(self) -> str:
        """What an inbox's `api_base` setting is, as https://graph.facebook.com/v23.0 is."""
        return f"{self.url}/{self.version}"

    def _wamid(self) -> str:
        with self._lock:
            self.serial += 1
            raw = f"{self.phone_number_id}:{self.serial}:{time.time_ns()}".encode()
        return "wamid." + base64.b64encode(hashlib.sha256(raw).digest()[:24]).decode()

    # What customers do -----------------------------------------------------------------------

    def customer_message(
        self,
        wa_id: str,
        kind: str,
        content: dict[str, Any],
        *,
        name: str = "Sheena Nelson",
        at: float | None = None,
        quoting: str | None = None,
    ) -> dict[str, Any]:
        """A customer writes; returns the message object as the webhook carries it."""
        moment = time.time() if at is None else at
        self.profiles[wa_id] = name
        self.last_inbound[wa_id] = max(self.last_inbound.get(wa_id, 0), moment)
        message: dict[str, Any] = {
            "from": wa_id,
            "id": self._wamid(),
            "timestamp": str(int(moment)),
            "type": kind,
            kind: content,
        }
        if quoting:
            message["context"] = {"from": self.display_phone_number, "id": quoting}
        return message

    def text(self, wa_id: str, body: str, **kwargs: Any) -> dict[str, Any]:
        return self.customer_message(wa_id, "text", {"body": body}, **kwargs)

    def image(
        self, wa_id: str, caption: str, content: bytes | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """A photo (a few bytes standing in for a JPEG unless `content` is given)."""
        data = content if content is not None else b"\xff\xd8\xff\xe0 JPEG " + caption.encode()
        return self.media_message(wa_id, "image", data, "image/jpeg", caption=caption, **kwargs)

    def media_message(
        self,
        wa_id: str,
        kind: str,
        content: bytes,
        mime_type: str,
        *,
        caption: str = "",
        filename: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A customer sends a file; the stand-in keeps it to serve at `GET /{media-id}`."""
        with self._lock:
            self.serial += 1
            media_id = str(1003383421387256 + self.serial)
        self.media[media_id] = (mime_type, content)
        body: dict[str, Any] = {
            "mime_type": mime_type,
            "sha256": hashlib.sha256(content).hexdigest(),
            "id": media_id,
        }
        if caption:
            body["caption"] = caption
        if filename:
            body["filename"] = filename
        return self.customer_message(wa_id, kind, body, **kwargs)

    # Webhook bodies, as Meta sends them ------------------------------------------------------

    def _envelope(self, value: dict[str, Any], phone_number_id: str | None) -> bytes:
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": self.display_phone_number,
                "phone_number_id": phone_number_id or self.phone_number_id,
            },
            **value,
        }
        body = {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [{"field": "messages", "value": value}]}],
        }
        # Meta signs escaped-unicode JSON; so does the stand-in (platforms.md §2.1).
        return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode()

    def messages_body(self, *messages: dict[str, Any], phone_number_id: str | None = None) -> bytes:
        senders = dict.fromkeys(m["from"] for m in messages)
        contacts = [{"profile": {"name": self.profiles[w]}, "wa_id": w} for w in senders]
        return self._envelope({"contacts": contacts, "messages": list(messages)}, phone_number_id)

    def status(self, wamid: str, status: str, *, error_code: int | None = None) -> dict[str, Any]:
        """One status of a message we sent; `failed` carries WhatsApp's error."""
        sent = next((m for m in self.sent if m["id"] == wamid), {"to": "16505551234"})
        item: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": sent["to"].lstrip("+"),
        }
        if status in {"sent", "delivered"}:
            item["conversation"] = {
                "id": hashlib.md5(sent["to"].encode()).hexdigest(),  # noqa: S324
                "origin": {"type": "service"},
            }
            item["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service"}
        if status == "failed":
            item["errors"] = [self._error_detail(error_code or 131047)]
        return item

    def _error_detail(self, code: int) -> dict[str, Any]:
        title = "Re-engagement message" if code == 131047 else "Message undeliverable"
        return {
            "code": code,
            "title": title,
            "message": title,
            "error_data": {"details": RE_ENGAGEMENT_DETAILS if code == 131047 else title},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }

    def status_sequence(self, wamid: str) -> list[dict[str, Any]]:
        return [self.status(wamid, s) for s in ("sent", "delivered", "read")]

    def statuses_body(self, *statuses: dict[str, Any], phone_number_id: str | None = None) -> bytes:
        return self._envelope({"statuses": list(statuses)}, phone_number_id)

    def signature(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    # Test controls ---------------------------------------------------------------------------

    def rendered(self, sent: dict[str, Any]) -> str:
        """What the customer reads of a template message we took: its body, filled in."""
        template = sent["body"]["template"]
        known = next(
            t
            for t in self.templates
            if t.name == template["name"] and t.language == template["language"]["code"]
        )
        values = [
            str(parameter.get("text") or "")
            for component in template.get("components") or []
            for parameter in component.get("parameters") or []
        ]
        return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], known.body)

    def fail_next(self, status: int, times: int = 1, regain_minutes: float = 0) -> None:
        """Answer the next `times` requests with `status` (500, or 429 with a usage header)."""
        self.faults.extend([Fault(status, regain_minutes)] * times)

    def calls(self, method: str = "POST") -> list[Request]:
        return [r for r in self.requests if r.method == method]

    # Serving ---------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, body: Any, auth: str, query: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Returns (status, JSON body, extra headers)."""
        refused = self._refusal(method, path, auth)
        if refused is not None:
            return *refused, {}
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            return self._fault(fault)
        if method == "GET":
            return self._get(path, query or {})
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return 400, graph_error(100, "(#100) The parameter messaging_product is required."), {}
        if body.get("status") == "read":
            return self._read(body)
        return self._send(body)

    def _refusal(self, method: str, path: str, auth: str) -> tuple[int, dict[str, Any]] | None:
        """Route, token and object checks, before anything else, as Graph does."""
        if method == "POST":
            match = re.fullmatch(r"/(v\d+\.\d+)/(\d+)/messages", path)
            known = {self.phone_number_id}
        elif method == "GET":
            match = re.fullmatch(r"/(v\d+\.\d+)/(\d+)(?:/message_templates)?", path)
            known = {self.waba_id} if path.endswith("/message_templates") else set(self.media)
        else:
            match, known = None, set()
        if match is None:
            message = f"Unsupported {method} request."
            return 400, graph_error(100, message, error_type="GraphMethodException")
        if auth != f"Bearer {self.access_token}":
            return 401, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if match.group(2) not in known:
            return 400, graph_error(100, f"Object with ID '{match.group(2)}' does not exist")
        return None

    def _get(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if path.endswith("/message_templates"):
            return self._templates(path, query)
        media_id = path.rsplit("/", 1)[1]
        mime_type, content = self.media[media_id]
        with self._lock:
            self.serial += 1
            token = hashlib.sha256(f"{media_id}:{self.serial}".encode()).hexdigest()[:32]
            self.media_urls[token] = (media_id, time.time() + MEDIA_URL_SECONDS)
        return (
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/whatsapp_business/attachments/?mid={media_id}&token={token}",
                "mime_type": mime_type,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
            },
            {},
        )

    def download(self, query: dict[str, str], auth: str) -> tuple[int, bytes, dict[str, str]]:
        """A media URL: the file, with the Bearer token, while the URL has not expired."""
        if auth != f"Bearer {self.access_token}":
            return 401, b"", {"Content-Type": "text/plain"}
        issued = self.media_urls.get(query.get("token", ""))
        if issued is None or issued[0] != query.get("mid") or time.time() > issued[1]:
            return 404, b"", {"Content-Type": "text/plain"}
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            return fault.status, b"", {"Content-Type": "text/plain"}
        mime_type, content = self.media[issued[0]]
        self.media_downloads.append(issued[0])
        return 200, content, {"Content-Type": mime_type}

    def _templates(
        self, path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """One page of templates; the cursors are plain offsets, opaque to the client."""
        limit = int(query.get("limit") or 25)
        start = int(base64.b64decode(query["after"]).decode()) if query.get("after") else 0
        page = self.templates[start : start + limit]
        end = start + len(page)
        cursors = {
            "before": base64.b64encode(str(start).encode()).decode(),
            "after": base64.b64encode(str(end).encode()).decode(),
        }
        paging: dict[str, Any] = {"cursors": cursors}
        if end < len(self.templates):
            paging["next"] = f"{self.url}{path}?limit={limit}&after={cursors['after']}"
        return 200, {"data": [t.listed() for t in page], "paging": paging}, {}

    def _fault(self, fault: Fault) -> tuple[int, dict[str, Any], dict[str, str]]:
        if fault.status == 429:
            usage = {
                self.waba_id: [
                    {
                        "type": "whatsapp",
                        "call_count": 100,
                        "total_cputime": 30,
                        "total_time": 30,
                        "estimated_time_to_regain_access": fault.regain_minutes,
                    }
                ]
            }
            return (
                429,
                graph_error(130429, "(#130429) Rate limit hit"),
                {"X-Business-Use-Case-Usage": json.dumps(usage)},
            )
        message = "An unexpected error has occurred. Please retry your request later."
        return fault.status, graph_error(2, message, is_transient=True), {}

    def _read(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not body.get("message_id"):
            return 400, graph_error(100, "(#100) The parameter message_id is required."), {}
        self.read_receipts.append(str(body["message_id"]))
        return 200, {"success": True}, {}

    def _send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if body.get("type") == "template":
            refused = self._template_problem(body)
            if refused is not None:
                return *refused, {}
            return self._accepted(body)
        problem = _text_problem(body)
        if problem:
            return 400, graph_error(100, problem), {}
        to = str(body["to"])
        wa_id = to.lstrip("+")
        if time.time() - self.last_inbound.get(wa_id, 0) > WINDOW_SECONDS:
            details = {"messaging_product": "whatsapp", "details": RE_ENGAGEMENT_DETAILS}
            return (
                400,
                graph_error(131047, "(#131047) Re-engagement message", error_data=details),
                {},
            )
        return self._accepted(body)

    def _template_problem(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """Why WhatsApp would refuse this template message; None when it takes it."""
        template = body.get("template")
        if not body.get("to"):
            return 400, graph_error(100, "(#100) The parameter to is required.")
        if not isinstance(template, dict) or not template.get("name"):
            return 400, graph_error(100, "(#100) The parameter template['name'] is required.")
        language = (template.get("language") or {}).get("code")
        if not language:
            return 400, graph_error(100, "(#100) The parameter template['language'] is required.")
        known = next(
            (
                t
                for t in self.templates
                if t.name == template["name"] and t.language == language and t.status == "APPROVED"
            ),
            None,
        )
        if known is None:
            details = f"template name ({template['name']}) does not exist in {language}"
            return 404, graph_error(
                132001,
                "(#132001) Template name does not exist in the translation",
                error_data={"messaging_product": "whatsapp", "details": details},
            )
        given = [
            parameter
            for component in template.get("components") or []
            if isinstance(component, dict) and component.get("type") == "body"
            for parameter in component.get("parameters") or []
        ]
        texts = [p.get("text") for p in given if isinstance(p, dict) and p.get("type") == "text"]
        if len(given) != known.parameter_count or not all(texts):
            details = (
                f"body: number of localizable_params ({len(given)}) does not match the expected "
                f"number of params ({known.parameter_count})"
            )
            return 400, graph_error(
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
                error_data={"messaging_product": "whatsapp", "details": details},
            )
        return None

    def _accepted(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        to = str(body["to"])
        wa_id = to.lstrip("+")
        wamid = self._wamid()
        self.sent.append({"id": wamid, "to": to, "body": body})
        return (
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": wa_id}],
                "messages": [{"id": wamid}],
            },
            {},
        )


def _text_problem(body: dict[str, Any]) -> str:
    """Why a text message is malformed, in Graph's words; "" when it is fine."""
    if not body.get("to"):
        return "(#100) The parameter to is required."
    if body.get("type", "text") != "text":
        return f"(#100) The stand-in only takes text messages, not {body.get('type')!r}."
    text = body.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"]:
        return "(#100) The parameter text['body'] is required."
    if len(text["body"]) > MAX_TEXT:
        return f"(#100) Param text['body'] must be at most {MAX_TEXT} characters long."
    return ""


def _handler_for(standin: WhatsAppStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = "<not json>"
            path, _sep, query = self.path.partition("?")
            auth = self.headers.get("Authorization", "")
            data: bytes
            if method == "GET" and path == "/whatsapp_business/attachments/":
                status, data, headers = standin.download(dict(parse_qsl(query)), auth)
            else:
                status, payload, headers = standin.handle(
                    method, path, body, auth, dict(parse_qsl(query))
                )
                data = json.dumps(payload).encode()
                headers = {"Content-Type": "application/json", **headers}
            standin.requests.append(
                Request(time.time(), method, path, dict(self.headers.items()), body, status)
            )
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


@contextmanager
def running_whatsapp(port: int = 0, **kwargs: Any) -> Iterator[WhatsAppStandIn]:
    """Serve a fresh stand-in on `port` of 127.0.0.1 (0: a free one) during the block."""
    standin = WhatsAppStandIn(**kwargs)
    with serve_in_thread(_handler_for(standin), port) as url:
        standin.url = url
        yield standin
