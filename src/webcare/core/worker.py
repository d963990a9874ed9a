"""Background work: the reply outbox, the durable task queue, a sweep for inbound events a
crash left unprocessed (and for promises), the poller of channels read by polling (X), and
triage of new customer messages (webcare.triage.actions.triage_pending).

`webcare worker` runs this in the foreground; `webcare serve` runs it in threads inside the web
process, so the embedded install needs one process only. Reply senders poll the outbox
(replies/outbox.py), which also finds replies whose claim a crash interrupted, so no sweep is
needed for them; in the embedded install a reply queued by the web threads wakes them at once.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from webcare.channels import email_imap, whatsapp_media, whatsapp_templates, x_polling
from webcare.channels.actions import retry_pending
from webcare.conversations import escalation
from webcare.replies import outbox
from webcare.replies.delivery import deliver_next
from webcare.triage import actions as triage
from webcare.triage import storms

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 30.0
# How often a worker looks for customer messages that other processes stored; messages stored
# in this process wake the triage thread at once.
TRIAGE_INTERVAL_SECONDS = 1.0
# After an unexpected error a sender thread pauses this long, so a broken database does not
# turn into a busy loop of tracebacks.
SENDER_ERROR_PAUSE_SECONDS = 5.0


def task_worker(interval: float) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident()}"[:64],
        excluded_queue_names=[],
    )


def sweep_once() -> None:
    """Process events stored before a crash (pending, never lost), fetch customers' files
    whose download failed or was left behind (WhatsApp media), then keep the promises:
    warnings before a response target passes, escalation when it has, the skipped alarm;
    watch for storms (many negative messages about one topic at once); and last, sync the
    WhatsApp templates that are due."""
    count = retry_pending()
    if count:
        logger.info("ingest.swept_pending", extra={"count": count})
    fetched = whatsapp_media.retry_due()
    if fetched:
        logger.info("media.swept_due", extra={"count": fetched})
    escalation.sweep()
    storms.sweep()
    # Last: talking to Meta must never hold up the promises above.
    whatsapp_templates.sync_due()


def sweep_forever(stop: threading.Event, interval: float = SWEEP_INTERVAL_SECONDS) -> None:
    """Sweep every `interval` seconds. The broad except is the thread's boundary: a sweeper
    that died would leave escalations unsent with nobody noticing."""
    while not stop.is_set():
        close_old_connections()
        try:
            sweep_once()
        except Exception:
            logger.exception("sweep.error")
            connection.close()
        close_old_connections()
        stop.wait(interval)


def poll_forever(stop: threading.Event, interval: float) -> None:
    """Poll the platforms that are read by polling (X mentions) every `interval` seconds, and
    start an IMAP reader for every e-mail inbox that has none (channels/email_imap.py).

    Each inbox's poll holds a lease (channels/x_polling.py), so N workers poll each inbox once
    per round between them; each mailbox is read by the one reader that holds its lease. The
    broad except is the thread's boundary, as in sweep_forever.
    """
    while not stop.is_set():
        close_old_connections()
        for step in (x_polling.poll_all, lambda: email_imap.start_readers(stop)):
            try:
                step()
            except Exception:
                logger.exception("poll.error")
                connection.close()
        close_old_connections()
        stop.wait(interval)


def triage_forever(stop: threading.Event, interval: float = TRIAGE_INTERVAL_SECONDS) -> None:
    """Triage new customer messages, a batch at a time, until none is left; then wait.

    The broad except is the thread's boundary, as in sweep_forever: a triage thread that died
    would leave the inbox unordered with nobody noticing. What it did not triage stays in the
    untriaged index, so carrying on loses nothing.
    """
    while not stop.is_set():
        close_old_connections()
        try:
            while not stop.is_set() and triage.triage_pending():
                pass
        except Exception:
            logger.exception("triage.error")
            connection.close()
            stop.wait(SENDER_ERROR_PAUSE_SECONDS)
        triage.wait_for_work(interval)


def start_sweepers(stop: threading.Event) -> None:
    threading.Thread(target=sweep_forever, args=(stop,), daemon=True, name="sweeper").start()
    threading.Thread(target=triage_forever, args=(stop,), daemon=True, name="triage").start()
    threading.Thread(
        target=poll_forever,
        args=(stop, settings.WEBCARE_POLL_SECONDS),
        daemon=True,
        name="poller",
    ).start()


def send_replies_forever(stop: threading.Event, interval: float) -> None:
    """One sender thread: deliver due replies until none is due, then wait for more.

    The broad except is the thread's boundary: a sender thread that died would leave replies
    queued with nobody sending them. The reply it held stays `sending` and is taken over when
    its lease runs out, so nothing is lost by carrying on.

    The thread keeps its database connection between polls (close_old_connections would,
    with CONN_MAX_AGE 0, open a new PostgreSQL connection several times a second) and drops
    it only after an error, in case the connection is what broke.
    """
    try:
        while not stop.is_set():
            try:
                while not stop.is_set() and deliver_next():
                    pass
            except Exception:
                logger.exception("reply.sender_error")
                connection.close()
                stop.wait(SENDER_ERROR_PAUSE_SECONDS)
            outbox.wait_for_work(interval)
    finally:
        connection.close()


_senders: list[threading.Thread] = []


def start_senders(stop: threading.Event, interval: float) -> None:
    for number in range(settings.WEBCARE_DELIVERY_SENDERS):
        thread = threading.Thread(
            target=send_replies_forever,
            args=(stop, interval),
            name=f"reply-sender-{number}",
            daemon=True,
        )
        thread.start()
        _senders.append(thread)


def finish_sends() -> None:
    """On shutdown (after `stop` is set), let each sender finish the reply it is sending.

    A reply cut off mid-send is only taken over when its lease runs out, and on a channel that
    cannot be asked it is parked for a person: a deploy should not cause that.
    """
    outbox.wake()
    for thread in _senders:
        thread.join(timeout=4 * settings.WEBCARE_HTTP_TIMEOUT)


def uses_task_queue() -> bool:
    """False when tasks run inline (the test backend): then there is no queue to poll."""
    return isinstance(task_backends["default"], DatabaseBackend)


def start_embedded(interval: float = 0.2) -> threading.Event:
    """Start the task worker and the sweeper as daemon threads; set the event to stop them."""
    stop = threading.Event()
    start_sweepers(stop)
    start_senders(stop, interval)
    if uses_task_queue():
        worker = task_worker(interval)

        def watch() -> None:
            stop.wait()
            worker.running = False

        threading.Thread(target=worker.run, daemon=True).start()
        threading.Thread(target=watch, daemon=True).start()
    return stop


def run_foreground(interval: float) -> None:
    stop = threading.Event()
    start_sweepers(stop)
    start_senders(stop, interval)
    worker = task_worker(interval)
    worker.configure_signals()
    try:
        worker.run()
    finally:
        stop.set()
        finish_sends()
