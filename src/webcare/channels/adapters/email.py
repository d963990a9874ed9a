"""E-mail: mail read by IMAP in, replies by SMTP out (../shared/docs/platforms.md §4).

Inbound: channels/email_imap.py reads the inbox's folder by UID (IDLE for speed, a catch-up
after every reconnect for safety) and stores every mail verbatim as one item keyed by the
SHA-256 of its bytes, so a mail read twice (a crash before the cursor moved, a UIDVALIDITY
reset) is stored once. `parse` turns a stored mail into a message:

- threading (RFC 5322 §3.6.4): In-Reply-To and References name earlier Message-IDs, which are
  the external ids of the messages we stored or sent; the root of References is the thread
  key; a reply address `<local>+<token>@<domain>` names the conversation when the headers
  are gone (conversations/reply_tokens.py);
- loop protection (RFC 3834 and what Zammad checks): Auto-Submitted other than `no`,
  Precedence bulk/list/junk/auto_reply, X-Loop, X-Auto-Response-Suppress, List-Id, a null
  or mailer-daemon sender: the mail is kept, marked automated, settled as needing no reply,
  and never acknowledged;
- a delivery status notification (RFC 3464, multipart/report) that says `failed` names the
  Message-ID of the mail it returns: that reply is marked failed with the server's reason;
- HTML is sanitised with nh3 (no scripts, styles, images or event handlers; links open in a
  new tab without a referrer) and shown instead of the text; attachments are stored.

Outbound: a reply is a multipart/alternative mail, plain text first and the same text as
HTML second, from the inbox address with a Reply-To that carries the conversation, a
Message-ID made from the reply's idempotency key, and In-Reply-To and References built from
the customer's mail, so it lands in the customer's thread.
"""

import base64
import binascii
import hashlib
import html
import json
import re
import smtplib
import ssl
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, HeaderParser
from email.utils import format_datetime, formataddr, getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

import nh3
from django.conf import settings
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from webcare.channels.adapters.base import (
    Author,
    ChannelError,
    InboundAttachment,
    InboundMessage,
    Item,
    Lookup,
    PayloadError,
    SendResult,
)
from webcare.conversations import reply_tokens
from webcare.conversations.models import Direction, Message, MessageKind
from webcare.inboxes.models import Inbox

SOURCE = "email"
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_EXTERNAL_ID = 200
# References grow with every reply; keep the root and the most recent ones (RFC 5322 allows
# trimming, and the root is what threads).
MAX_REFERENCES = 20
AUTO_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}
NULL_SENDERS = ("mailer-daemon", "postmaster")
# What survives of an HTML mail: structure and links, no images (tracking pixels), no
# styles or scripts (nh3 drops their content too).
# Seconds an IMAP read may block (IDLE waits are bounded by the reader, in shorter steps).
IMAP_TIMEOUT = 60.0
HTML_TAGS = (nh3.ALLOWED_TAGS - {"img"}) | {"font", "center"}
HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}


# Stored items ----------------------------------------------------------------------------------


def stored_mail(raw: bytes, address: str, **context: Any) -> Item:
    """One mail as it is stored: its bytes verbatim (as text when they are UTF-8, else
    base64), keyed by their SHA-256, with the inbox address its reply token is read from."""
    key = f"mail:{hashlib.sha256(raw).hexdigest()}"
    try:
        body: dict[str, Any] = {"raw": raw.decode("utf-8")}
    except UnicodeDecodeError:
        body = {"raw_b64": base64.b64encode(raw).decode()}
    payload = {"kind": "mail", "address": address, **context, **body}
    return Item(key, json.dumps(payload, separators=(",", ":"), ensure_ascii=False))


def raw_of(item: dict[str, Any]) -> bytes:
    if "raw" in item:
        return str(item["raw"]).encode("utf-8")
    try:
        return base64.b64decode(str(item.get("raw_b64", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError("raw_b64", f"is not base64 ({exc})") from exc


# Reading one mail ------------------------------------------------------------------------------


def message_ids(value: object) -> list[str]:
    return MESSAGE_ID.findall(str(value or ""))


def _header(mail: EmailMessage, name: str) -> str:
    try:
        value = mail.get(name)
    except (ValueError, IndexError, TypeError):
        # A header the policy cannot parse: fall back to its raw text.
        value = mail.get_all(name, failobj=[""])[0] if mail.get_all(name) else ""
    return str(value or "").strip()


def _addresses(mail: EmailMessage, *names: str) -> list[str]:
    values = []
    for name in names:
        values += [str(v) for v in mail.get_all(name) or []]
    return [address.lower() for _name, address in getaddresses(values) if "@" in address]


def automated_reason(mail: EmailMessage) -> str:
    """Why this mail was sent by a machine, or "" when a person wrote it."""
    auto_submitted = _header(mail, "Auto-Submitted").lower()
    precedence = _header(mail, "Precedence").lower()
    suppress = _header(mail, "X-Auto-Response-Suppress").lower()
    sender = parseaddr(_header(mail, "From"))[1].lower()
    checks = (
        (
            bool(auto_submitted) and auto_submitted.split(";")[0].strip() != "no",
            f"Auto-Submitted: {auto_submitted}",
        ),
        (precedence in AUTO_PRECEDENCE, f"Precedence: {precedence}"),
        (bool(_header(mail, "X-Loop")), f"X-Loop: {_header(mail, 'X-Loop')}"),
        (
            any(word in suppress for word in ("all", "oof", "autoreply")),
            f"X-Auto-Response-Suppress: {suppress}",
        ),
        (
            bool(_header(mail, "List-Id") or _header(mail, "List-Unsubscribe")),
            "a mailing list (List-Id)",
        ),
        (
            mail.get_content_type() == "multipart/report",
            f"a report ({mail.get_param('report-type') or 'multipart/report'})",
        ),
        (
            _header(mail, "Return-Path").replace(" ", "") == "<>",
            "a null sender (Return-Path: <>)",
        ),
        (sender.split("@")[0] in NULL_SENDERS, f"sent by {sender}"),
    )
    return next((reason for matched, reason in checks if matched), "")


def _text_of(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, ValueError, KeyError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def sanitise_html(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    ).strip()


def html_to_text(markup: str) -> str:
    """The words of an HTML part, for a mail that has no plain-text part."""
    blocks = re.sub(r"(?i)<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", "\n", markup)
    text = html.unescape(nh3.clean(blocks, tags=set()))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _bodies(mail: EmailMessage) -> tuple[str, str]:
    plain = mail.get_body(preferencelist=("plain",))
    rich = mail.get_body(preferencelist=("html",))
    markup = sanitise_html(_text_of(rich)) if rich is not None else ""
    if plain is not None:
        text = _text_of(plain).strip()
    elif rich is not None:
        text = html_to_text(_text_of(rich))
    else:
        text = ""
    return text, markup


def _attachments(mail: EmailMessage) -> tuple[InboundAttachment, ...]:
    found = []
    for number, part in enumerate(mail.iter_attachments(), start=1):
        content_type = part.get_content_type()
        if part.get_content_maintype() == "message":
            inner = part.get_payload(0) if part.is_multipart() else None
            content = inner.as_bytes() if inner is not None else b""
            default_name = f"message-{number}.eml"
        else:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            default_name = f"attachment-{number}"
        found.append(InboundAttachment(part.get_filename() or default_name, content_type, content))
    return tuple(found)


def _created_at(mail: EmailMessage) -> datetime:
    now = timezone.now()
    try:
        moment = parsedate_to_datetime(_header(mail, "Date"))
    except (TypeError, ValueError, IndexError):
        return now
    if moment is None or moment.tzinfo is None:
        return now
    # A sender's clock far in the future would put the mail above everything that follows.
    return min(moment, now + timedelta(minutes=5))


def _bounce(mail: EmailMessage) -> tuple[str, str]:
    """(the Message-ID of the mail that failed, the reason) from a DSN; ("", "") otherwise."""
    if mail.get_content_type() != "multipart/report":
        return "", ""
    if str(mail.get_param("report-type") or "").lower() != "delivery-status":
        return "", ""
    failed, reasons, original = False, [], ""
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload():
                if not hasattr(block, "get"):
                    continue
                if str(block.get("Action", "")).strip().lower() == "failed":
                    failed = True
                    recipient = str(block.get("Final-Recipient", "")).split(";")[-1].strip()
                    why = str(block.get("Diagnostic-Code", "")).split(";")[-1].strip()
                    status = str(block.get("Status", "")).strip()
                    reasons.append(f"{why or status}" + (f" ({recipient})" if recipient else ""))
        elif kind == "message/rfc822" and not original:
            inner = part.get_payload(0) if part.is_multipart() else None
            original = (message_ids(inner.get("Message-ID")) or [""])[0] if inner else ""
        elif kind == "text/rfc822-headers" and not original:
            headers = HeaderParser(policy=policy.default).parsestr(_text_of(part))
            original = (message_ids(headers.get("Message-ID")) or [""])[0]
    if not failed or not original:
        return "", ""
    return original, "; ".join(reasons)


def reply_token_in(mail: EmailMessage, address: str) -> str:
    """The token of a plus-address `<local>+<token>@<domain>` of the inbox's address."""
    local, _at, domain = address.lower().partition("@")
    if not local or not domain:
        return ""
    prefix = f"{local}+"
    for recipient in _addresses(mail, "To", "Cc", "Delivered-To", "X-Original-To"):
        name, _at, where = recipient.partition("@")
        if where == domain and name.startswith(prefix):
            return name[len(prefix) :]
    return ""


def _external_id(mail: EmailMessage, raw: bytes) -> str:
    found = message_ids(_header(mail, "Message-ID"))
    if found and len(found[0]) <= MAX_EXTERNAL_ID:
        return found[0]
    # No Message-ID (it happens, e.g. some bounces) or an absurd one: the content names it.
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.webcare>"


def read_mail(raw: bytes, address: str) -> InboundMessage:
    """One mail as a message; raise PayloadError naming what cannot be read."""
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    sender_name, sender = parseaddr(_header(mail, "From"))
    if "@" not in sender:
        raise PayloadError("From", "has no e-mail address, so nobody could be answered")
    external_id = _external_id(mail, raw)
    in_reply_to = (message_ids(_header(mail, "In-Reply-To")) or [None])[0]
    references = tuple(message_ids(_header(mail, "References")))
    bounce_of, bounce_reason = _bounce(mail)
    text, markup = _bodies(mail)
    sender = sender.lower()
    # Sent from the brand's own address (a colleague in a mail program, a copy of ours):
    # recorded as the brand's reply, as the other channels record the brand's own posts.
    from_brand = bool(address) and sender == address.lower()
    return InboundMessage(
        external_id=external_id,
        author=Author(external_id=sender, handle=sender, name=sender_name.strip()),
        text=text,
        created_at=_created_at(mail),
        public=False,
        in_reply_to=in_reply_to,
        # The root of the thread: the first reference, else the parent, else this mail.
        thread_id=(references[0] if references else in_reply_to) or external_id,
        from_brand=from_brand,
        subject=_header(mail, "Subject"),
        html=markup,
        references=references,
        reply_token=reply_token_in(mail, address),
        automated=automated_reason(mail),
        bounce_of=bounce_of,
        bounce_reason=bounce_reason,
        headers={
            "from": sender,
            "to": _addresses(mail, "To"),
            "cc": _addresses(mail, "Cc"),
            "references": list(references),
        },
        attachments=_attachments(mail),
    )


def parse(body: bytes) -> list[InboundMessage]:
    try:
        item = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(item, dict) or item.get("kind") != "mail":
        raise PayloadError("kind", "is not 'mail': not an item stored by the e-mail connector")
    return [read_mail(raw_of(item), str(item.get("address") or ""))]


# Settings --------------------------------------------------------------------------------------


def address(inbox: Inbox) -> str:
    value = str(inbox.setting("address") or "").strip()
    if "@" not in value:
        raise ChannelError(
            f"E-mail inbox {inbox.name} has no address; set it with "
            f"`webcare inbox set {inbox.pk} address=support@example.com`.",
            permanent=True,
        )
    return value


def reply_address(inbox: Inbox, conversation_token: str) -> str:
    """Where the customer's answer goes: the address with the conversation's token, unless
    the mail server does not deliver plus-addresses (`plus_addressing=false`)."""
    own = address(inbox)
    if not conversation_token or inbox.setting("plus_addressing", True) is False:
        return own
    local, _at, domain = own.partition("@")
    return f"{local}+{conversation_token}@{domain}"


def _security(inbox: Inbox, prefix: str, port: int) -> str:
    """`ssl`, `starttls` or `none`; by default what the port is for (993/465: ssl)."""
    value = str(inbox.setting(f"{prefix}_security") or "").lower()
    if value in {"ssl", "starttls", "none"}:
        return value
    return "ssl" if port in (993, 465) else "starttls"


def _port(inbox: Inbox, name: str, default: int) -> int:
    try:
        return int(str(inbox.setting(name) or default))
    except ValueError:
        raise ChannelError(f"{name} must be a port number.", permanent=True) from None


def imap_settings(inbox: Inbox) -> dict[str, Any]:
    host = str(inbox.setting("imap_host") or "")
    port = _port(inbox, "imap_port", 993)
    return {
        "host": host,
        "port": port,
        "security": _security(inbox, "imap", port),
        "username": str(inbox.setting("username") or address(inbox)),
        "password": str(inbox.setting("password") or ""),
        "folder": str(inbox.setting("imap_folder") or "INBOX"),
    }


# IMAP ------------------------------------------------------------------------------------------


def imap_connect(config: dict[str, Any]) -> IMAPClient:
    """A logged-in IMAP connection (TLS as the inbox says: ssl, starttls or none)."""
    context = ssl.create_default_context()
    client = IMAPClient(
        config["host"],
        port=config["port"],
        ssl=config["security"] == "ssl",
        ssl_context=context,
        timeout=IMAP_TIMEOUT,
    )
    try:
        if config["security"] == "starttls":
            client.starttls(context)
        client.login(config["username"], config["password"])
    except (IMAPClientError, OSError):
        imap_close(client)
        raise
    return client


def imap_close(client: IMAPClient) -> None:
    """Log out; a connection that is already gone is simply dropped."""
    try:
        client.logout()
    except (IMAPClientError, OSError):
        try:
            client.shutdown()
        except (IMAPClientError, OSError):
            return


# Sending ---------------------------------------------------------------------------------------


def _domain(own: str) -> str:
    return own.partition("@")[2] or "webcare.invalid"


def outbound_message_id(inbox: Inbox, message: Message) -> str:
    """Made from the idempotency key: a resend of the same reply carries the same id."""
    key = message.idempotency_key.hex if message.idempotency_key else f"m{message.pk}"
    return f"<webcare.{key}@{_domain(address(inbox))}>"


def _answered_mail(message: Message) -> Message | None:
    """The customer's mail this reply answers: the newest one a person wrote."""
    return (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            direction=Direction.INBOUND,
            kind=MessageKind.MESSAGE,
            automated="",
            pk__lt=message.pk,
        )
        .select_related("sender_identity")
        .order_by("-created_at", "-pk")
        .first()
    )


def _subject(message: Message) -> str:
    first = (
        Message.objects.filter(conversation_id=message.conversation_id, kind=MessageKind.MESSAGE)
        .exclude(subject="")
        .order_by("created_at", "pk")
        .values_list("subject", flat=True)
        .first()
    )
    subject = (first or "").strip() or f"#{message.conversation.display_id}"
    return subject if subject.lower().startswith(("re:", "aw:", "antw:")) else f"Re: {subject}"


def _references(parent: Message | None) -> list[str]:
    if parent is None or not MESSAGE_ID.fullmatch(parent.external_id or ""):
        return []
    earlier = [str(ref) for ref in (parent.mail_headers or {}).get("references", [])]
    chain = [*earlier, parent.external_id]
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain


def recipient_of(message: Message, parent: Message | None) -> str:
    identity = parent.sender_identity if parent is not None else None
    if identity is None:
        identity = message.conversation.contact.identities.filter(inbox_id=message.inbox_id).first()
    recipient = identity.external_id if identity is not None else ""
    if "@" not in recipient:
        raise ChannelError(
            "This customer has no e-mail address in this inbox, so the reply cannot be sent.",
            permanent=True,
        )
    return recipient


def html_version(text: str) -> str:
    paragraphs = [html.escape(block).replace("\n", "<br>\n") for block in text.split("\n\n")]
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs if paragraph.strip())
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif; line-height: 1.5">\n{body}\n</body></html>\n'
    )


def compose(
    inbox: Inbox,
    message: Message,
    text: str,
    *,
    automatic: bool = False,
    parent: Message | None = None,
) -> tuple[EmailMessage, str]:
    """The mail for a reply (or, `automatic`, an acknowledgement) and its recipient."""
    own = address(inbox)
    parent = parent if parent is not None else _answered_mail(message)
    recipient = recipient_of(message, parent)
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = formataddr((str(inbox.setting("from_name") or inbox.name), own))
    mail["To"] = recipient
    mail["Reply-To"] = reply_address(inbox, reply_tokens.token_for(message.conversation))
    mail["Subject"] = _subject(message)
    mail["Date"] = format_datetime(timezone.now())
    chain = _references(parent)
    if chain:
        mail["In-Reply-To"] = chain[-1]
        mail["References"] = " ".join(chain)
    if automatic:
        # RFC 3834: say it is automatic, so other robots do not answer it in turn.
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Loop"] = own
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(text)
    mail.add_alternative(html_version(text), subtype="html")
    return mail, recipient


def _smtp(inbox: Inbox) -> smtplib.SMTP:
    host = str(inbox.setting("smtp_host") or "")
    if not host:
        raise ChannelError(
            f"E-mail inbox {inbox.name} has no smtp_host; set it with "
            f"`webcare inbox set {inbox.pk} smtp_host=... smtp_port=587`.",
            permanent=True,
        )
    port = _port(inbox, "smtp_port", 587)
    security = _security(inbox, "smtp", port)
    timeout = settings.WEBCARE_HTTP_TIMEOUT
    context = ssl.create_default_context()
    if security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            client.starttls(context=context)
    username = str(inbox.setting("username") or "")
    password = str(inbox.setting("password") or "")
    if username and password and client.has_extn("auth"):
        client.login(username, password)
    return client


def _refused(exc: smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused) -> ChannelError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reason = next(iter(exc.recipients.values()))
    else:
        code, reason = exc.smtp_code, exc.smtp_error
    words = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    return ChannelError(
        f"The mail server refused the mail ({code} {words})", permanent=500 <= code < 600
    )


def send_mail(inbox: Inbox, mail: EmailMessage, recipient: str) -> None:
    """Hand one mail to the inbox's SMTP server; refusals and failures as ChannelError."""
    sent_data = False
    try:
        client = _smtp(inbox)
        try:
            sent_data = True
            client.send_message(mail, from_addr=address(inbox), to_addrs=[recipient])
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                client.close()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
        raise _refused(exc) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelError(f"The mail server refused the login ({exc})", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        # Before the data went out nothing can have been delivered; after, it may have been.
        raise ChannelError(
            f"Could not reach the mail server ({type(exc).__name__}: {exc})",
            permanent=False,
            maybe_sent=sent_data and isinstance(exc, smtplib.SMTPServerDisconnected | TimeoutError),
        ) from exc


class EmailSender:
    """SMTP has no idempotency key and cannot be asked what it delivered, so an interrupted
    send is parked for a person. (The resent mail would carry the same Message-ID, which
    some mail clients use to hide the copy, but not all of them do.)"""

    resend_is_safe = False

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        return Lookup.cannot_tell()

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        mail, recipient = compose(inbox, message, message.text)
        message_id = outbound_message_id(inbox, message)
        mail["Message-ID"] = message_id
        send_mail(inbox, mail, recipient)
        # Handed to the mail server: sent, not yet known delivered (a bounce may follow).
        return SendResult(external_id=message_id, delivered=False)


def send_acknowledgement(inbox: Inbox, received: Message, text: str) -> str:
    """Confirm receipt of a customer's first mail; returns the acknowledgement's Message-ID."""
    mail, recipient = compose(inbox, received, text, automatic=True, parent=received)
    message_id = f"<webcare.ack.{received.pk}.{hashlib.sha256(text.encode()).hexdigest()[:8]}@"
    message_id += f"{_domain(address(inbox))}>"
    mail["Message-ID"] = message_id
    send_mail(inbox, mail, recipient)
    return message_id


def check_smtp(inbox: Inbox) -> str:
    """Log in to the SMTP server; say what was found."""
    try:
        client = _smtp(inbox)
        client.noop()
        client.quit()
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"SMTP: {type(exc).__name__}: {exc}", permanent=False) from exc
    return f"SMTP {inbox.setting('smtp_host')} accepted the connection."


def check_connection(inbox: Inbox) -> str:
    """The connection page's test: log in to IMAP and SMTP and say what was found."""
    config = imap_settings(inbox)
    try:
        client = imap_connect(config)
        try:
            selected = client.select_folder(config["folder"], readonly=True)
            idles = b"IDLE" in client.capabilities()
        finally:
            imap_close(client)
    except (IMAPClientError, OSError) as exc:
        raise ChannelError(f"IMAP: {type(exc).__name__}: {exc}", permanent=False) from exc
    found = (
        f"IMAP {config['host']}: logged in as {config['username']}; {config['folder']} holds "
        f"{int(selected.get(b'EXISTS', 0))} mails; "
        + ("IDLE is supported." if idles else "no IDLE, so the folder is polled.")
    )
    return f"{found} {check_smtp(inbox)}"
