"""A mail server pair on 127.0.0.1: Debian's dovecot for IMAP, aiosmtpd for SMTP.

Webcare reads the brand's mailbox from dovecot, a real IMAP server (IDLE, UIDVALIDITY,
everything a provider's server does), and sends through the SMTP server, which plays the
Internet: a mail for the brand's domain is delivered into the brand's mailbox by IMAP APPEND,
as a mail server's local delivery would; any other mail is kept as "arrived at the
customer", so tests and the sandbox's console see exactly what Webcare sent. A mail to an
address at `bounce.invalid` is accepted and then returned to its sender as a delivery status
notification (RFC 3464), as a real mail server returns a mail it cannot deliver.

dovecot runs unprivileged-style from a configuration in a temporary directory, with one
passwd-file user and its own ports, whatever else runs on the machine. As root it uses the
package's `dovecot` and `dovenull` users for its processes and mail (dovecot refuses root
there); as anyone else, that user. `dovecot_path()` is None when dovecot is not installed
(`apt-get install dovecot-imapd`).

Like the other stand-ins it imports nothing of Webcare's.
"""

import contextlib
import ctypes
import ctypes.util
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

BRAND_ADDRESS = "support@parkeergarage.test"
PASSWORD = "sandbox-mail-secret"
BOUNCE_DOMAIN = "bounce.invalid"
START_TIMEOUT = 20.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def dovecot_path() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _service_users() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid) for this process."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    dovecot = pwd.getpwnam("dovecot")
    login = "dovenull" if _has_user("dovenull") else "dovecot"
    return "dovecot", login, dovecot.pw_uid, dovecot.pw_gid


def _die_with_parent() -> None:
    """In the child, before exec: Linux sends dovecot SIGTERM when the process (strictly: the
    thread) that started it ends, however it ends, so no dovecot outlives its sandbox or
    test, even one that was killed."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = webcare-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service auth-worker {{
  user = {auth_user}
}}
"""


class Dovecot:
    """A private dovecot serving one mailbox; start() and stop(), or use as a context."""

    def __init__(self, address: str = BRAND_ADDRESS, password: str = PASSWORD) -> None:
        binary = dovecot_path()
        if binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        self.binary = binary
        self.address = address
        self.password = password
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="webcare-dovecot-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Dovecot":
        internal, login, uid, gid = _service_users()
        self.root.chmod(0o755)
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir()
        home = self.root / "mail" / "brand"
        home.mkdir()
        os.chown(home, uid, gid)
        (self.root / "users").write_text(
            f"{self.address}:{{PLAIN}}{self.password}:{uid}:{gid}::{home}\n"
        )
        group = pwd.getpwuid(uid).pw_name if os.geteuid() == 0 else internal
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                internal=internal,
                group=group,
                login=login,
                auth_user="root" if os.geteuid() == 0 else internal,
            )
        )
        self.process = subprocess.Popen(  # noqa: S603 (our own binary and config)
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (only prctl, before exec)
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.connect().logout()
                return self
            except (OSError, imaplib.IMAP4.error):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.log()
                    self.stop()
                    raise RuntimeError(f"dovecot did not start:\n{log}") from None
                time.sleep(0.1)

    def log(self) -> str:
        parts = [self.root / "dovecot.log", self.root / "stderr.log"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Dovecot":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.address, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver one mail into the mailbox, as the mail server's local delivery does."""
        client = self.connect()
        try:
            status, data = client.append(folder, None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def append_many(self, raws: list[bytes], folder: str = "INBOX") -> None:
        client = self.connect()
        try:
            for raw in raws:
                status, data = client.append(folder, None, None, raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def recreate(self, folder: str) -> None:
        """Delete and create `folder` again: a new UIDVALIDITY, every UID starts over."""
        client = self.connect()
        try:
            client.delete(folder)
            client.create(folder)
        finally:
            client.logout()

    def create(self, folder: str) -> None:
        client = self.connect()
        try:
            client.create(folder)
        finally:
            client.logout()


@dataclass(frozen=True)
class Arrived:
    """A mail the SMTP server took for a recipient outside the brand's domain."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)


@dataclass
class _Handler:
    server: "MailServer"

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        self.server.take(str(envelope.mail_from or ""), list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    """SMTP on `smtp_port` and (when dovecot is installed) IMAP on `imap_port`."""

    address: str = BRAND_ADDRESS
    password: str = PASSWORD
    imap: Dovecot | None = None
    smtp_port: int = 0
    arrived: list[Arrived] = field(default_factory=list)
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def domain(self) -> str:
        return self.address.partition("@")[2]

    @property
    def imap_port(self) -> int | None:
        return self.imap.port if self.imap is not None else None

    def start(self, *, with_imap: bool = True) -> "MailServer":
        if with_imap and dovecot_path() is not None:
            self.imap = Dovecot(self.address, self.password).start()
        self.smtp_port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.smtp_port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self.imap is not None:
            self.imap.stop()
            self.imap = None

    def take(self, mail_from: str, recipients: list[str], raw: bytes) -> None:
        """What the SMTP server does with a mail it accepted."""
        local = [r for r in recipients if r.lower().endswith("@" + self.domain)]
        others = tuple(r for r in recipients if r not in local)
        if local and self.imap is not None:
            self.imap.append(raw)
        if others:
            with self._lock:
                self.arrived.append(Arrived(mail_from, others, raw))
        bounced = [r for r in others if r.lower().endswith("@" + BOUNCE_DOMAIN)]
        if bounced and mail_from and self.imap is not None:
            self.imap.append(delivery_status_notification(raw, mail_from, bounced[0]))

    def to(self, recipient: str) -> list[EmailMessage]:
        """The mails that arrived for `recipient`, oldest first."""
        with self._lock:
            return [
                a.message for a in self.arrived if recipient.lower() in map(str.lower, a.recipients)
            ]

    def wait_for(self, recipient: str, count: int = 1, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.to(recipient)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@contextlib.contextmanager
def running_mail(*, with_imap: bool = True) -> Iterator[MailServer]:
    server = MailServer().start(with_imap=with_imap)
    try:
        yield server
    finally:
        server.stop()


# Mails as customers and their mail servers write them -----------------------------------------


def customer_mail(
    sender: str,
    text: str,
    *,
    to: str = BRAND_ADDRESS,
    subject: str = "Vraag over mijn abonnement",
    name: str = "",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> tuple[str, bytes]:
    """A mail as a customer's mail program writes it: (its Message-ID, its bytes)."""
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = f"{name} <{sender}>" if name else sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(_now())
    mail["Message-ID"] = message_id or make_msgid(domain=sender.partition("@")[2] or "mail.test")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = " ".join(references)
    for key, value in (headers or {}).items():
        mail[key] = value
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for filename, mime_type, content in attachments or []:
        major, _slash, minor = mime_type.partition("/")
        mail.add_attachment(content, maintype=major, subtype=minor, filename=filename)
    return str(mail["Message-ID"]), mail.as_bytes()


def delivery_status_notification(original: bytes, to: str, recipient: str) -> bytes:
    """The report a mail server sends back for a mail it could not deliver (RFC 3464)."""
    returned = BytesParser(policy=policy.default).parsebytes(original)
    report = EmailMessage(policy=policy.SMTP)
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.bounce.invalid>"
    report["To"] = to
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = format_datetime(_now())
    report["Message-ID"] = make_msgid(domain="mx.bounce.invalid")
    report["Auto-Submitted"] = "auto-replied"
    report.set_content(
        f"This is the mail system.\n\nYour message could not be delivered to {recipient}.\n"
    )
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    status = EmailMessage()
    status.set_type("message/delivery-status")
    status.set_payload(
        [
            _block({"Reporting-MTA": "dns; mx.bounce.invalid"}),
            _block(
                {
                    "Final-Recipient": f"rfc822; {recipient}",
                    "Action": "failed",
                    "Status": "5.1.1",
                    "Diagnostic-Code": "smtp; 550 5.1.1 <" + recipient + ">: mailbox unknown",
                }
            ),
        ]
    )
    report.attach(status)
    headers = EmailMessage()
    headers.set_type("text/rfc822-headers")
    headers.set_payload(
        "".join(f"{key}: {value}\r\n" for key, value in returned.items() if key != "Bcc")
    )
    report.attach(headers)
    return report.as_bytes()


def _block(fields: dict[str, str]) -> EmailMessage:
    block = EmailMessage(policy=policy.compat32)
    for key, value in fields.items():
        block[key] = value
    return block


def _now() -> datetime:
    return datetime.now(UTC)
