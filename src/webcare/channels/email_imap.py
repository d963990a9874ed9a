"""Reading e-mail inboxes by IMAP, so that no mail is missed and none is read twice.

The pattern of ../shared/docs/platforms.md §4.2: IDLE (RFC 2177) for speed, re-issued well
before the 29 minutes a server may wait, and a catch-up by UID after every (re)connect:
`UID SEARCH UID <last+1>:*` from the cursor in the inbox's ConnectorState. Every mail is
stored (channels.actions.ingest, keyed by the SHA-256 of its bytes) before the cursor moves
past it, so a crash or a cut connection re-reads at most one batch, and the store recognises
what it already has. Without IDLE the folder is polled every WEBCARE_POLL_SECONDS.

The cursor holds the folder's UIDVALIDITY. When the server changes it (the folder was
rebuilt, all UIDs are new), the mails since the last one seen (less a day's margin, IMAP
SEARCH counts in days) are read again; the store dedupes them by content.

One reader thread per inbox, under a lease on the ConnectorState row that it renews while it
idles: of N workers exactly one reads an inbox, and when it dies another takes over within
a lease.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from webcare.channels.actions import ingest
from webcare.channels.adapters import email
from webcare.channels.adapters.base import ChannelError
from webcare.channels.models import ConnectorState
from webcare.inboxes.models import Inbox, InboxKind

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
FETCH_BATCH = 50
# A reader that cannot connect waits this long, doubling up to the maximum.
RECONNECT_FIRST = 1.0
RECONNECT_MAX = 60.0
# How far back a changed UIDVALIDITY re-reads, beyond the last mail seen.
UIDVALIDITY_MARGIN = timedelta(days=1)


def readable_inboxes() -> list[Inbox]:
    """E-mail inboxes with an IMAP server to read."""
    return [
        inbox
        for inbox in Inbox.objects.filter(kind=InboxKind.EMAIL).select_related("account")
        if inbox.setting("imap_host") and inbox.setting("read", True) is not False
    ]


class LeaseLost(Exception):
    """Another worker holds the inbox now (ours ran out): stop reading it."""


class MailboxReader:
    """Reads one inbox's folder until `stop` is set; run it in a thread of its own.

    `fetched` counts the mails fetched from the server, so a test can tell that none was
    fetched twice; `on_idle` is called whenever the reader waits in IDLE (tests use it to know
    when to cut the connection).
    """

    def __init__(
        self,
        inbox_id: int,
        stop: threading.Event,
        *,
        reconnect_first: float = RECONNECT_FIRST,
        check_seconds: float = 5.0,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self.inbox_id = inbox_id
        self.stop = stop
        self.reconnect_first = reconnect_first
        self.check_seconds = check_seconds
        self.on_idle = on_idle
        self.fetched = 0
        self.sessions = 0
        self._lease_until: datetime | None = None

    # The lease ---------------------------------------------------------------------------------

    def _take_lease(self) -> bool:
        inbox = Inbox.objects.get(pk=self.inbox_id)
        ConnectorState.objects.get_or_create(inbox=inbox)
        now = timezone.now()
        until = now + LEASE
        taken = (
            ConnectorState.objects.filter(inbox_id=self.inbox_id, lease_until__isnull=True).update(
                lease_until=until
            )
            or ConnectorState.objects.filter(inbox_id=self.inbox_id, lease_until__lt=now).update(
                lease_until=until
            )
            or (
                self._lease_until is not None
                and ConnectorState.objects.filter(
                    inbox_id=self.inbox_id, lease_until=self._lease_until
                ).update(lease_until=until)
            )
        )
        self._lease_until = until if taken else None
        return bool(taken)

    def _renew(self) -> None:
        """Compare-and-set on the lease's end: only its holder knows the value."""
        until = timezone.now() + LEASE
        renewed = ConnectorState.objects.filter(
            inbox_id=self.inbox_id, lease_until=self._lease_until
        ).update(lease_until=until, last_polled_at=timezone.now())
        if not renewed:
            self._lease_until = None
            raise LeaseLost
        self._lease_until = until

    def _release(self) -> None:
        if self._lease_until is not None:
            ConnectorState.objects.filter(
                inbox_id=self.inbox_id, lease_until=self._lease_until
            ).update(lease_until=None)
            self._lease_until = None

    def _record_error(self, reason: str) -> None:
        ConnectorState.objects.filter(inbox_id=self.inbox_id).update(
            last_error=reason, last_error_at=timezone.now()
        )
        logger.warning("email.read_failed", extra={"inbox_id": self.inbox_id, "reason": reason})

    # The loop ----------------------------------------------------------------------------------

    def run(self) -> None:
        """Connect, catch up, idle; reconnect with backoff after any failure. The broad except
        is the thread's boundary: a reader that died would leave the inbox unread, silently."""
        wait = self.reconnect_first
        try:
            while not self.stop.is_set():
                close_old_connections()
                try:
                    if not self._take_lease():
                        self.stop.wait(LEASE.total_seconds() / 4)
                        continue
                    self._session()
                    wait = self.reconnect_first
                except LeaseLost:
                    continue
                except Inbox.DoesNotExist:
                    return
                except (IMAPClientError, OSError, ChannelError) as exc:
                    self._record_error(f"IMAP: {type(exc).__name__}: {exc}")
                except Exception:
                    logger.exception("email.reader_error", extra={"inbox_id": self.inbox_id})
                    connection.close()
                self.stop.wait(wait)
                wait = min(wait * 2, RECONNECT_MAX)
        finally:
            try:
                self._release()
            finally:
                connection.close()

    def _session(self) -> None:
        inbox = Inbox.objects.get(pk=self.inbox_id)
        if not inbox.setting("imap_host"):
            self.stop.wait(LEASE.total_seconds() / 4)
            return
        config = email.imap_settings(inbox)
        client = email.imap_connect(config)
        self.sessions += 1
        try:
            selected = client.select_folder(config["folder"], readonly=True)
            uidvalidity = int(selected[b"UIDVALIDITY"])
            uidnext = int(selected.get(b"UIDNEXT", 0))
            ConnectorState.objects.filter(inbox_id=self.inbox_id).update(last_error="")
            self._catch_up_fully(inbox, client, uidvalidity, uidnext)
            idles = b"IDLE" in client.capabilities()
            while not self.stop.is_set():
                if idles:
                    self._idle(client)
                else:
                    self._pause_polling()
                    client.noop()
                if self._settings_changed(inbox):
                    return
                self._catch_up_fully(inbox, client, uidvalidity, uidnext)
        finally:
            email.imap_close(client)

    def _settings_changed(self, inbox: Inbox) -> bool:
        fresh = Inbox.objects.filter(pk=self.inbox_id).values_list("settings", flat=True).first()
        return fresh != inbox.settings

    def _idle(self, client: IMAPClient) -> None:
        """Wait in IDLE until the folder changes or it is time to re-issue it.

        IDLE is ended and issued again every `check_seconds`: dovecot (and others) announce a
        mail that arrived between our last command and the IDLE only when the IDLE ends, so
        that is as late as such a mail is noticed. The lease is renewed on the way.
        """
        started = time.monotonic()
        while not self.stop.is_set():
            client.idle()
            if self.on_idle is not None:
                self.on_idle()
            try:
                responses = client.idle_check(timeout=self.check_seconds)
            finally:
                _text, ending = client.idle_done()
            self._renew()
            seen = [*responses, *ending]
            trouble = [response for response in seen if _is_trouble(response)]
            if trouble:
                # BYE: the server ends the session. An untagged NO during IDLE: the folder
                # went away under us (dovecot, when it is deleted and made again). Either
                # way: reconnect, select again, and catch up (a new UIDVALIDITY rereads).
                raise ConnectionResetError(f"the server interrupted the session: {trouble[0]!r}")
            if any(_is_change(response) for response in seen):
                return
            if time.monotonic() - started > settings.WEBCARE_IMAP_IDLE_SECONDS:
                return

    def _pause_polling(self) -> None:
        deadline = time.monotonic() + settings.WEBCARE_POLL_SECONDS
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.stop.wait(min(self.check_seconds, max(0.0, deadline - time.monotonic())))
            self._renew()

    # Catching up -------------------------------------------------------------------------------

    def _catch_up_fully(
        self, inbox: Inbox, client: IMAPClient, uidvalidity: int, uidnext: int
    ) -> None:
        """Catch up until a search finds nothing new and the server announced nothing new.

        Servers (dovecot does) run a command on the folder as it was when the command began,
        and announce mail that arrived meanwhile (`* n EXISTS`) at its end, once. imaplib
        keeps such announcements aside; if there was one, we search again. After a quiet
        search, anything newer is announced in the IDLE that follows, or when it ends.
        """
        while not self.stop.is_set():
            found = self._catch_up(inbox, client, uidvalidity, uidnext)
            if not found and not _announced(client):
                return

    def _catch_up(self, inbox: Inbox, client: IMAPClient, uidvalidity: int, uidnext: int) -> int:
        """Fetch and store what is new since the cursor; returns how many mails."""
        state = ConnectorState.objects.get(inbox_id=self.inbox_id)
        cursor: dict[str, Any] = dict(state.cursor or {})
        if cursor.get("uidvalidity") == uidvalidity:
            last = int(cursor.get("last_uid", 0))
            uids = [uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last]
        else:
            if cursor.get("uidvalidity") is not None:
                logger.warning(
                    "email.uidvalidity_changed",
                    extra={
                        "inbox_id": self.inbox_id,
                        "from": cursor.get("uidvalidity"),
                        "to": uidvalidity,
                    },
                )
            since = _since(cursor, inbox)
            uids = list(client.search(["SINCE", since]))
            cursor = {"uidvalidity": uidvalidity, "last_uid": max(uids, default=uidnext - 1)}
            if not uids:
                self._save_cursor(cursor, stored_any=False)
        address = email.address(inbox)
        for start in range(0, len(uids), FETCH_BATCH):
            batch = sorted(uids)[start : start + FETCH_BATCH]
            self._renew()
            fetched = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            last_date = cursor.get("last_date")
            for uid in batch:
                data = fetched.get(uid)
                if data is None:  # expunged between SEARCH and FETCH
                    continue
                self.fetched += 1
                raw = data[b"BODY[]"]
                item = email.stored_mail(raw, address, uid=uid, uidvalidity=uidvalidity)
                ingest(inbox, email.SOURCE, item.dedupe_key, item.payload)
                arrived = data.get(b"INTERNALDATE")
                if isinstance(arrived, datetime):
                    last_date = arrived.date().isoformat()
            # Only now, with every mail of the batch stored, does the cursor move past it.
            cursor = {
                "uidvalidity": uidvalidity,
                "last_uid": max(batch),
                **({"last_date": last_date} if last_date else {}),
            }
            self._save_cursor(cursor, stored_any=True)
        return len(uids)

    def _save_cursor(self, cursor: dict[str, Any], *, stored_any: bool) -> None:
        fields: dict[str, Any] = {"cursor": cursor}
        if stored_any:
            fields["last_event_at"] = timezone.now()
        ConnectorState.objects.filter(inbox_id=self.inbox_id).update(**fields)


def _is_change(response: object) -> bool:
    return (
        isinstance(response, tuple)
        and len(response) >= 2
        and response[1]
        in (
            b"EXISTS",
            b"RECENT",
        )
    )


def _announced(client: IMAPClient) -> bool:
    """Whether the server announced new mail in the answer to an earlier command (kept by
    imaplib in `untagged_responses`, which IMAPClient does not look at); clears it."""
    pending = client._imap.untagged_responses
    exists = pending.pop("EXISTS", None)
    pending.pop("RECENT", None)
    return bool(exists)


def _is_trouble(response: object) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] in (b"BYE", b"NO")


def _since(cursor: dict[str, Any], inbox: Inbox) -> Any:
    """From when to read after a UIDVALIDITY change, or on an inbox's first connection."""
    last_date = cursor.get("last_date")
    if last_date:
        return datetime.fromisoformat(last_date).date() - UIDVALIDITY_MARGIN
    return timezone.localtime(inbox.created_at).date()


# The worker's part -----------------------------------------------------------------------------

_readers: dict[int, threading.Thread] = {}
_readers_lock = threading.Lock()


def start_readers(stop: threading.Event) -> int:
    """A reader thread for every readable inbox that has none; returns how many started."""
    started = 0
    for inbox in readable_inboxes():
        with _readers_lock:
            running = _readers.get(inbox.pk)
            if running is not None and running.is_alive():
                continue
            reader = MailboxReader(inbox.pk, stop)
            thread = threading.Thread(
                target=reader.run, name=f"imap-reader-{inbox.pk}", daemon=True
            )
            _readers[inbox.pk] = thread
        thread.start()
        started += 1
    return started
