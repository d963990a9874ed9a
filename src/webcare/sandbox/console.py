"""The customer console of `webcare sandbox`: a page where a newcomer plays the customer.

Whatever is typed there is posted on a platform's stand-in (a mention on X, a comment on the
Facebook Page, a WhatsApp message, ...) and delivered to Webcare as that platform delivers
it: the same JSON, signed with the app's secret, to the inbox's webhook URL. The page also
lists what Webcare posted on each stand-in, so the round trip is visible from both ends:
the customer writes, an agent answers in Webcare, the answer lands on the "platform".

WhatsApp reports what became of a message it took (sent, delivered, read) in status webhooks;
the console sends those for every reply the WhatsApp stand-in accepted, as the platform would.

Served with the standard library's HTTP server: it is a development tool on 127.0.0.1, and it
must not depend on the Webcare server it talks to.
"""

import hashlib
import html
import json
import re
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

import httpx

from webcare.sandbox.desk import StandIns
from webcare.sandbox.standins.mail import customer_mail
from webcare.sandbox.standins.serving import serve_in_thread
from webcare.sandbox.standins.x import XStandIn

WEBHOOK_TIMEOUT = 30.0
STATUS_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Channel:
    """One way a customer can reach the brand, as the console offers it."""

    key: str
    label: str
    kind: str  # the inbox kind whose webhook receives it
    public: bool


CHANNELS = (
    Channel("x-mention", "X: a public post that mentions the brand", "x", True),
    Channel("x-dm", "X: a direct message", "x", False),
    Channel("facebook-comment", "Facebook: a comment on the Page", "facebook", True),
    Channel("facebook-messenger", "Facebook: a Messenger message", "facebook", False),
    Channel("instagram-comment", "Instagram: a comment", "instagram", True),
    Channel("instagram-dm", "Instagram: a direct message", "instagram", False),
    Channel("whatsapp", "WhatsApp: a message", "whatsapp", False),
    Channel("email", "E-mail: a mail to the brand's address", "email", False),
)
CHANNEL_BY_KEY = {channel.key: channel for channel in CHANNELS}


class ConsoleError(ValueError):
    """What the person typed cannot be posted; the message says why."""


@dataclass(frozen=True)
class Posted:
    """What the console did for one customer message."""

    channel: str
    customer: str
    text: str
    external_id: str
    webhook_status: int
    webhook_answer: str
    at: float


@dataclass(frozen=True)
class Arrived:
    """Something Webcare posted on a stand-in: a reply, a DM, a private reply."""

    platform: str
    what: str
    to: str
    text: str


def _number(name: str, digits: int) -> str:
    """A stable platform id for a customer's name, so a follow-up comes from the same person."""
    value = int(hashlib.sha256(name.strip().lower().encode()).hexdigest(), 16)
    return str(value % 10**digits).rjust(digits, "1")


def _x_text(channel: Channel, standin: XStandIn, text: str) -> str:
    """A mention names the brand; add the handle when the customer left it out."""
    handle = f"@{standin.username}"
    if channel.key == "x-mention" and handle.lower() not in text.lower():
        return f"{handle} {text}"
    return text


@dataclass
class Console:
    """Posts customer messages on the stand-ins and delivers them to Webcare's webhooks."""

    standins: StandIns
    webhooks: dict[str, str]  # inbox kind -> webhook URL
    # The demo site: the chat inbox whose widget it embeds, the e-mail inbox's contact form.
    chat_token: str = ""
    form_url: str = ""
    posted: list[Posted] = field(default_factory=list)
    # A platform's id for a customer -> the name typed for them, to show who an answer reached.
    names: dict[str, str] = field(default_factory=dict)
    # (channel, customer) -> the id of their last public post, which a follow-up answers.
    _threads: dict[tuple[str, str], str] = field(default_factory=dict)
    _statuses_sent: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, channel_key: str, customer: str, text: str) -> Posted:
        """Post `text` as `customer` on the channel's stand-in and deliver it to Webcare."""
        channel = CHANNEL_BY_KEY.get(channel_key)
        if channel is None:
            raise ConsoleError(
                f"Unknown channel {channel_key!r}; use one of {', '.join(CHANNEL_BY_KEY)}."
            )
        customer = customer.strip()
        text = text.strip()
        if not customer:
            raise ConsoleError("Give the customer a name.")
        if not text:
            raise ConsoleError("Write a message.")
        if channel.kind == "email":
            return self._email(channel, customer, text)
        with self._lock:
            external_id, body, headers = self._build(channel, customer, text)
        try:
            response = httpx.post(
                self.webhooks[channel.kind], content=body, headers=headers, timeout=WEBHOOK_TIMEOUT
            )
            status, answer = response.status_code, response.text[:300]
        except httpx.HTTPError as exc:
            status, answer = 0, f"Webcare did not answer: {exc}"
        posted = Posted(channel.key, customer, text, external_id, status, answer, time.time())
        with self._lock:
            self.posted.append(posted)
        return posted

    def _email(self, channel: Channel, customer: str, text: str) -> Posted:
        """A mail from the customer, through the SMTP server into the brand's mailbox; a
        follow-up answers Webcare's last mail to them (or their own last one)."""
        mail = self.standins.mail
        address = re.sub(r"[^a-z0-9.]+", ".", customer.lower()).strip(".") + "@example.nl"
        self.names[address] = customer
        answered = mail.to(address)
        parent = answered[-1] if answered else None
        with self._lock:
            own = self._threads.get((channel.key, customer))
        chain = (
            [*str(parent["References"] or "").split(), str(parent["Message-ID"])] if parent else []
        )
        if parent is None and own:
            chain = [own]
        message_id, raw = customer_mail(
            address,
            text,
            to=mail.address,
            name=customer,
            subject=str(parent["Subject"]) if parent else "Vraag aan de klantenservice",
            in_reply_to=chain[-1] if chain else None,
            references=chain or None,
        )
        try:
            with smtplib.SMTP("127.0.0.1", mail.smtp_port, timeout=WEBHOOK_TIMEOUT) as smtp:
                smtp.sendmail(address, [mail.address], raw)
            status, answer = 200, "accepted by the mail server"
        except (OSError, smtplib.SMTPException) as exc:
            status, answer = 0, f"The mail server did not take it: {exc}"
        posted = Posted(channel.key, customer, text, message_id, status, answer, time.time())
        with self._lock:
            if not own:
                self._threads[(channel.key, customer)] = message_id
            self.posted.append(posted)
        return posted

    def _build(self, channel: Channel, customer: str, text: str) -> tuple[str, bytes, dict]:
        """The stand-in's event for this message: (its id, the webhook body, headers)."""
        builders: dict[str, Callable[[Channel, str, str], tuple[str, bytes, dict]]] = {
            "x": self._x,
            "facebook": self._facebook,
            "instagram": self._instagram,
            "whatsapp": self._whatsapp,
        }
        return builders[channel.kind](channel, customer, text)

    def _follow_up(self, channel: Channel, customer: str) -> str | None:
        return self._threads.get((channel.key, customer)) if channel.public else None

    def _x(self, channel: Channel, customer: str, text: str) -> tuple[str, bytes, dict]:
        x = self.standins.x
        author = _number(customer, 15)
        x.user(author, customer.replace(" ", "_").lower()[:15], customer)
        self.names[author] = customer
        if channel.public:
            post = x.mention(
                author, _x_text(channel, x, text), in_reply_to=self._follow_up(channel, customer)
            )
            self._threads[(channel.key, customer)] = post["id"]
            body, external_id = x.account_activity_body(post), post["id"]
        else:
            event = x.dm_from(author, text)
            body, external_id = x.dm_body(event), event["id"]
        return external_id, body, {"x-twitter-webhooks-signature": x.signature(body)}

    def _facebook(self, channel: Channel, customer: str, text: str) -> tuple[str, bytes, dict]:
        facebook = self.standins.facebook
        person = (_number(customer, 16), customer)
        self.names[person[0]] = customer
        if channel.public:
            parent = self._follow_up(channel, customer)
            post_id = facebook.comments[parent]["post"] if parent else None
            value = facebook.comment(person, text, post_id=post_id, parent_id=parent)
            self._threads[(channel.key, customer)] = value["comment_id"]
            body, external_id = facebook.feed_body(value), value["comment_id"]
        else:
            event = facebook.messenger_text(person[0], text)
            body, external_id = facebook.messaging_body(event), event["message"]["mid"]
        return external_id, body, {"X-Hub-Signature-256": facebook.signature(body)}

    def _instagram(self, channel: Channel, customer: str, text: str) -> tuple[str, bytes, dict]:
        instagram = self.standins.instagram
        person = (_number(customer, 17), customer.replace(" ", ".").lower())
        self.names[person[0]] = customer
        if channel.public:
            value = instagram.comment(person, text, parent_id=self._follow_up(channel, customer))
            self._threads[(channel.key, customer)] = value["id"]
            body, external_id = instagram.comments_body(value), value["id"]
        else:
            event = instagram.dm(person[0], text)
            body, external_id = instagram.messaging_body(event), event["message"]["mid"]
        return external_id, body, {"X-Hub-Signature-256": instagram.signature(body)}

    def _whatsapp(self, channel: Channel, customer: str, text: str) -> tuple[str, bytes, dict]:
        whatsapp = self.standins.whatsapp
        wa_id = "316" + _number(customer, 8)
        self.names[wa_id] = customer
        message = whatsapp.text(wa_id, text, name=customer)
        body = whatsapp.messages_body(message)
        return message["id"], body, {"X-Hub-Signature-256": whatsapp.signature(body)}

    # What Webcare posted -----------------------------------------------------------------------

    def arrived(self) -> list[Arrived]:
        """Everything Webcare posted on the stand-ins, per platform in the order it came."""
        x = self.standins.x
        items = [Arrived("X", "reply", _x_parent(post), post["text"]) for post in x.replies()]
        items += [
            Arrived(
                "X",
                "direct message",
                event["message_create"]["target"]["recipient_id"],
                event["message_create"]["message_data"]["text"],
            )
            for event in x.sent_dms()
        ]
        for platform, standin in (
            ("Facebook", self.standins.facebook),
            ("Instagram", self.standins.instagram),
        ):
            items += [_graph_arrival(platform, sent) for sent in list(standin.sent)]
        items += [
            Arrived("WhatsApp", "message", sent["to"], sent["body"]["text"]["body"])
            if sent["body"].get("type", "text") == "text"
            else Arrived("WhatsApp", "template", sent["to"], self.standins.whatsapp.rendered(sent))
            for sent in list(self.standins.whatsapp.sent)
            if sent["body"].get("type", "text") in {"text", "template"}
        ]
        for arrival in list(self.standins.mail.arrived):
            mail = arrival.message
            body = mail.get_body(("plain",))
            text = body.get_content().strip() if body is not None else ""
            items += [Arrived("E-mail", "mail", to, text) for to in arrival.recipients]
        return items

    # WhatsApp's status webhooks ----------------------------------------------------------------

    def send_whatsapp_statuses(self) -> int:
        """Report sent, delivered and read for each reply the stand-in took; returns how many
        replies were reported on."""
        whatsapp = self.standins.whatsapp
        fresh = [
            sent["id"] for sent in list(whatsapp.sent) if sent["id"] not in self._statuses_sent
        ]
        for wamid in fresh:
            body = whatsapp.statuses_body(*whatsapp.status_sequence(wamid))
            try:
                httpx.post(
                    self.webhooks["whatsapp"],
                    content=body,
                    headers={"X-Hub-Signature-256": whatsapp.signature(body)},
                    timeout=WEBHOOK_TIMEOUT,
                )
            except httpx.HTTPError:
                continue  # Webcare is not up (yet): tried again on the next round
            self._statuses_sent.add(wamid)
        return len(fresh)


def _x_parent(post: dict[str, Any]) -> str:
    replied = [r["id"] for r in post.get("referenced_tweets", []) if r["type"] == "replied_to"]
    return f"post {replied[0]}" if replied else "(new post)"


def _graph_arrival(platform: str, sent: dict[str, Any]) -> Arrived:
    """A Graph stand-in's record: a public comment reply, or a message (DM, private reply)."""
    if "parent" in sent:
        return Arrived(platform, "public reply", f"comment {sent['parent']}", sent["text"])
    body = sent["body"]
    recipient = body.get("recipient") or {}
    if "comment_id" in recipient or "post_id" in recipient:
        target = recipient.get("comment_id") or recipient.get("post_id")
        return Arrived(platform, "private reply", f"comment {target}", body["message"]["text"])
    return Arrived(platform, "direct message", sent["to"], body["message"]["text"])


# The page -------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Webcare sandbox: play the customer</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem;
  padding: 1.5rem; color: #1f2937; }}
h1 {{ font-size: 1.5rem; margin-bottom: .25rem; }}
.lead {{ color: #4b5563; margin-top: 0; }}
form {{ display: grid; gap: .75rem; background: #f3f4f6; padding: 1rem; border-radius: .5rem; }}
label {{ display: grid; gap: .25rem; font-weight: 600; }}
select, input, textarea, button {{ font: inherit; padding: .5rem; border: 1px solid #9ca3af;
  border-radius: .375rem; }}
button {{ background: #1d4ed8; color: white; border-color: #1d4ed8; justify-self: start;
  padding: .5rem 1.25rem; cursor: pointer; }}
button:focus-visible, select:focus-visible, input:focus-visible, textarea:focus-visible {{
  outline: 3px solid #f59e0b; outline-offset: 1px; }}
.error {{ background: #fee2e2; color: #991b1b; padding: .5rem 1rem; border-radius: .375rem; }}
.ok {{ background: #dcfce7; color: #166534; padding: .5rem 1rem; border-radius: .375rem; }}
table {{ border-collapse: collapse; width: 100%; margin-top: .5rem; }}
th, td {{ text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e5e7eb;
  vertical-align: top; }}
th {{ font-size: .875rem; color: #4b5563; }}
.empty {{ color: #6b7280; font-style: italic; }}
</style>
</head>
<body>
<h1>Webcare sandbox: play the customer</h1>
<p class="lead">Post as a customer on a stand-in of X, Facebook, Instagram or WhatsApp, or send
an e-mail. It reaches Webcare the way the platform delivers it. Answer it in Webcare at
<a href="{webcare}">{webcare}</a>; the answer shows up below. To chat, or to use the contact
form, visit the brand's <a href="/site/">demo website</a>.</p>
{notice}
<form method="post" action="/post">
<label>Where the customer writes
<select name="channel">{options}</select></label>
<label>Customer's name <input name="customer" value="{customer}" required autocomplete="off">
</label>
<label>Message <textarea name="text" rows="3" required></textarea></label>
<button type="submit">Post as the customer</button>
</form>
<h2>What Webcare posted on the platforms</h2>
{arrived}
<h2>What you posted</h2>
{posted}
</body>
</html>
"""


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{html.escape(empty)}</p>'
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _webhook_outcome(posted: Posted) -> str:
    if posted.webhook_status == 200:
        return "200: taken in"
    if posted.webhook_status == 0:
        return posted.webhook_answer
    return f"{posted.webhook_status}: {posted.webhook_answer[:120]}"


def render_page(console: Console, webcare_url: str, notice: str = "", error: str = "") -> str:
    last = console.posted[-1] if console.posted else None
    options = "".join(
        f'<option value="{c.key}"{" selected" if last and last.channel == c.key else ""}>'
        f"{html.escape(c.label)}</option>"
        for c in CHANNELS
    )
    arrived = _table(
        ("platform", "what", "to", "text"),
        [
            (a.platform, a.what, console.names.get(a.to.lstrip("+"), a.to), a.text)
            for a in reversed(console.arrived())
        ],
        "Nothing yet: answer a customer in Webcare.",
    )
    posted = _table(
        ("channel", "customer", "text", "Webcare answered"),
        [
            (
                CHANNEL_BY_KEY[p.channel].label,
                p.customer,
                p.text,
                _webhook_outcome(p),
            )
            for p in reversed(console.posted)
        ],
        "Nothing yet.",
    )
    if error:
        banner = f'<p class="error" role="alert">{html.escape(error)}</p>'
    elif notice:
        banner = f'<p class="ok" role="status">{html.escape(notice)}</p>'
    else:
        banner = ""
    return PAGE.format(
        webcare=html.escape(webcare_url),
        notice=banner,
        options=options,
        customer=html.escape(last.customer if last else "Jan de Vries"),
        arrived=arrived,
        posted=posted,
    )


def _handler(console: Console, webcare_url: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, json.dumps(payload), "application/json")

        def do_GET(self) -> None:
            if self.path == "/api/arrived":
                self._json(200, [a.__dict__ for a in console.arrived()])
            elif self.path == "/api/channels":
                self._json(200, [c.__dict__ for c in CHANNELS])
            elif self.path == "/site/":
                self._send(200, render_site(console, webcare_url), "text/html")
            elif self.path in ("/", "/?posted=1"):
                notice = "Posted. Open Webcare to answer it." if "posted" in self.path else ""
                self._send(200, render_page(console, webcare_url, notice=notice), "text/html")
            else:
                self._json(404, {"error": f"No page at {self.path}."})

        def do_POST(self) -> None:
            if self.path not in ("/post", "/api/post"):
                self._json(404, {"error": f"No page at {self.path}."})
                return
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            as_json = self.path == "/api/post"
            try:
                fields = json.loads(raw) if as_json else dict(parse_qsl(raw.decode()))
                if not isinstance(fields, dict):
                    raise ConsoleError("Send a JSON object: {channel, customer, text}.")
                posted = console.post(
                    str(fields.get("channel", "")),
                    str(fields.get("customer", "")),
                    str(fields.get("text", "")),
                )
            except (ConsoleError, ValueError) as exc:
                if as_json:
                    self._json(400, {"error": str(exc)})
                else:
                    self._send(400, render_page(console, webcare_url, error=str(exc)), "text/html")
                return
            if as_json:
                self._json(200, posted.__dict__)
            else:
                self.send_response(303)
                self.send_header("Location", "/?posted=1")
                self.send_header("Content-Length", "0")
                self.end_headers()

    return Handler


SITE = """<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parkeergarage Centraal: parkeren in het centrum</title>
<style>
body {{ font: 17px/1.55 Georgia, "DejaVu Serif", serif; margin: 0; color: #1c1917;
  background: #fafaf9; }}
header {{ background: #0f766e; color: white; padding: 1.25rem 2rem; }}
header h1 {{ margin: 0; font-size: 1.6rem; }}
main {{ max-width: 46rem; padding: 1.5rem 2rem 6rem; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .3rem 1rem .3rem 0; text-align: left; }}
a {{ color: #0f766e; }}
</style>
</head>
<body>
<header><h1>Parkeergarage Centraal</h1>
<p>Parkeren in het hart van de stad, 24 uur per dag.</p></header>
<main>
<h2>Tarieven</h2>
<table><tr><th scope="row">Per uur</th><td>&euro; 2,50</td></tr>
<tr><th scope="row">Dagkaart</th><td>&euro; 18,00</td></tr>
<tr><th scope="row">Abonnement</th><td>&euro; 140 per maand</td></tr></table>
<h2>Vragen?</h2>
<p>Chat met ons via de knop rechtsonder, of stuur ons een bericht via het
<a href="{form}">contactformulier</a>.</p>
</main>
<script src="{webcare}/static/webchat/widget.js" data-inbox="{token}" async></script>
</body>
</html>
"""


def render_site(console: Console, webcare_url: str) -> str:
    """The brand's own website, with the one script tag that embeds the chat."""
    return SITE.format(
        webcare=html.escape(webcare_url),
        token=html.escape(console.chat_token),
        form=html.escape(console.form_url),
    )


@contextmanager
def running_console(console: Console, webcare_url: str, port: int) -> Iterator[str]:
    """Serve the console on `port` of 127.0.0.1, and send WhatsApp's status webhooks, for
    the duration of the block; yields the console's URL."""
    stop = threading.Event()

    def report_statuses() -> None:
        while not stop.wait(STATUS_POLL_SECONDS):
            console.send_whatsapp_statuses()

    reporter = threading.Thread(target=report_statuses, name="sandbox-statuses", daemon=True)
    with serve_in_thread(_handler(console, webcare_url), port) as url:
        reporter.start()
        try:
            yield url
        finally:
            stop.set()
            reporter.join()
