"""Crash test: nothing doubles and nothing is lost while processes die at random moments.

`webcare serve` (with its embedded worker) and a separate `webcare worker` run as real
processes on the test database with the durable task backend. Signed webhook events flow in
(about 10% redelivered, shuffled so replies often arrive before their parents), agents'
replies go in through the REST API and out to the stand-in integrator, which misbehaves now
and then (500, 429 with a reset, slow answers, a dropped connection after accepting). Both
processes are SIGKILLed at random moments, several times, and restarted.

At the end, counted on the database's side for what came in and on the stand-in's side for
what went out: every distinct event is stored once and processed, every reply reached the
stand-in once (by idempotency key), and no reply is left queued or sending.

Sizes: WEBCARE_CRASH_EVENTS (default 10,000) and WEBCARE_CRASH_REPLIES (default 1,000);
WEBCARE_CRASH_KILL_EVERY="15-30" is the range of seconds between kills ("0": no kills, to
measure the undisturbed rate).
"""

import json
import os
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection, connections

from tests.conftest import _free_port
from tests.delivery.processes import Process, durable_env, wait_for_server
from tests.factories import AccountFactory, InboxFactory, UserFactory
from webcare.accounts.actions import create_token
from webcare.channels.adapters.api import SIGNATURE_HEADER, sign
from webcare.channels.models import EventState, RawInboundEvent
from webcare.conversations.models import DeliveryStatus, Direction, Message, MessageKind
from webcare.inboxes.actions import do_update_settings
from webcare.sandbox.standins.callback import Chaos, running_callback_standin

EVENTS = int(os.environ.get("WEBCARE_CRASH_EVENTS", "10000"))
REPLIES = int(os.environ.get("WEBCARE_CRASH_REPLIES", "1000"))
REDELIVERED = 0.10
KILL_EVERY = [float(s) for s in os.environ.get("WEBCARE_CRASH_KILL_EVERY", "15-30").split("-")]
THREAD_LENGTH = 4  # a customer post and three follow-ups, each answering the one before
INBOUND_DRIVERS = 4
REPLY_DRIVERS = 2
# Generous: they end a broken run, they measure nothing.
RUN_TIMEOUT = 1800.0
SETTLE_TIMEOUT = 300.0
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


@dataclass
class Run:
    """What the drivers share: the server's address, progress, and what they created."""

    base_url: str
    token: str
    webhook_url: str
    secret: str
    events_total: int
    events_done: int = 0
    replies_done: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)

    def progress(self) -> float:
        with self.lock:
            return self.events_done / self.events_total

    def count(self, what: str) -> None:
        with self.lock:
            self.answers[what] += 1


def inbound_events(total: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[bytes]]:
    """`total` distinct customer messages in threads, then a shuffled delivery order with
    about 10% of them delivered twice."""
    events = []
    for number in range(total):
        thread, position = divmod(number, THREAD_LENGTH)
        public = thread % 5 != 0  # one thread in five is a private conversation
        events.append(
            {
                "id": f"ev-{thread}-{position}",
                "author": {"id": f"cust-{thread % 1500}", "handle": f"klant{thread % 1500}"},
                "text": f"Bericht {position} over de slagboom (draad {thread})",
                "in_reply_to": f"ev-{thread}-{position - 1}" if position else None,
                "created_at": f"2026-11-23T{8 + position}:{thread % 60:02d}:00+01:00",
                "public": public,
            }
        )
    bodies = [json.dumps(event).encode() for event in events]
    order = bodies + rng.sample(bodies, int(total * REDELIVERED))
    rng.shuffle(order)
    return events, order


def post_until_stored(client: httpx.Client, run: Run, body: bytes) -> None:
    """Deliver one event as a platform does: again and again until it is acknowledged."""
    headers = {SIGNATURE_HEADER: sign(run.secret, body), "Content-Type": "application/json"}
    while not run.stop.is_set():
        try:
            response = client.post(run.webhook_url, content=body, headers=headers)
        except httpx.HTTPError:
            run.count("inbound: no answer")
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return
        run.count(f"inbound: {response.status_code}")
        if response.status_code not in (202, 500, 502, 503):
            run.errors.append(f"event refused: {response.status_code} {response.text[:200]}")
            return
        time.sleep(0.2)


def drive_inbound(run: Run, work: "queue.Queue[bytes]") -> None:
    with httpx.Client(timeout=60) as client:
        while not run.stop.is_set():
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            post_until_stored(client, run, body)
            with run.lock:
                run.events_done += 1


def reply_text(number: int) -> str:
    return f"Antwoord {number}: we openen de slagboom op afstand."


def api(client: httpx.Client, run: Run, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One REST call, retried while the server is down (a connection error or a 5xx)."""
    while not run.stop.is_set():
        try:
            response = client.request(method, run.base_url + path, **kwargs)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if response.status_code < 500:
            return response
        time.sleep(0.2)
    raise RuntimeError("stopped")


def reply_exists(number: int) -> bool:
    """Did a POST that got no answer create the reply? Asked of the database, as an agent
    would look at the conversation before sending again."""
    return Message.objects.filter(direction=Direction.OUTBOUND, text=reply_text(number)).exists()


@dataclass
class Candidates:
    """One reply driver's view of the open conversations, listed again every few replies.

    Listing 200 conversations before every reply made the list endpoint a third of the
    server's work, which measures the API, not crash safety.
    """

    ids: list[int] = field(default_factory=list)
    uses: int = 0

    def pick(self, client: httpx.Client, run: Run, rng: random.Random) -> int | None:
        if not self.ids or self.uses >= 25:
            listed = api(client, run, "GET", "/api/v1/conversations?view=all&limit=200").json()
            self.ids = [item["id"] for item in listed["items"] if item["status"] != "resolved"]
            self.uses = 0
        self.uses += 1
        return rng.choice(self.ids) if self.ids else None

    def forget(self, conversation: int) -> None:
        if conversation in self.ids:
            self.ids.remove(conversation)


def send_reply(
    client: httpx.Client, run: Run, number: int, rng: random.Random, candidates: Candidates
) -> None:
    """Reply `number` to a random conversation, once, whatever happens to the server."""
    while not run.stop.is_set():
        conversation = candidates.pick(client, run, rng)
        if conversation is None:
            time.sleep(0.5)
            continue
        detail = api(client, run, "GET", f"/api/v1/conversations/{conversation}")
        if detail.status_code != 200 or not detail.json()["messages"]:
            candidates.forget(conversation)
            continue  # merged into another meanwhile: its messages moved there
        newest = detail.json()["messages"][-1]["id"]
        body = {
            "text": reply_text(number),
            "expected_last_message_id": newest,
            "send_anyway": True,
        }
        try:
            response = client.post(
                f"{run.base_url}/api/v1/conversations/{conversation}/replies", json=body
            )
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 201:
            return
        if response is not None and response.status_code in (400, 409):
            candidates.forget(conversation)
            continue  # merged or moved meanwhile: pick another conversation
        # No answer: the server may have died before or after committing the reply.
        api(client, run, "GET", "/api/v1/me")
        if reply_exists(number):
            return
        run.count("reply: resent after no answer")


def drive_replies(run: Run, numbers: list[int], seed: int) -> None:
    rng = random.Random(seed)
    candidates = Candidates()
    headers = {"Authorization": f"Bearer {run.token}"}
    try:
        with httpx.Client(timeout=60, headers=headers) as client:
            for number in numbers:
                # Spread the replies over the inbound flow.
                while run.progress() < number / REPLIES * 0.95 and not run.stop.is_set():
                    time.sleep(0.1)
                send_reply(client, run, number, rng, candidates)
                with run.lock:
                    run.replies_done += 1
    finally:
        connections.close_all()  # this thread's database connection (reply_exists)


def kill_at_random(run: Run, server: Process, worker: Process, rng: random.Random) -> None:
    """SIGKILL the server, the worker or both at random moments, and start them again."""
    if KILL_EVERY == [0.0]:
        return
    while not run.stop.wait(rng.uniform(*KILL_EVERY)):
        victims = rng.choice([[server], [worker], [server, worker]])
        for victim in victims:
            victim.kill()
        run.stop.wait(rng.uniform(0.3, 2))
        for victim in victims:
            victim.start()


@dataclass
class Processes:
    server: Process
    worker: Process
    base_url: str


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """`webcare serve` with its embedded worker, and a `webcare worker` beside it."""
    chaos_env = durable_env(tmp_path)
    port = _free_port()
    server = Process(
        "serve", ["serve", "--no-migrate", "--port", str(port)], chaos_env, tmp_path / "serve.log"
    )
    worker = Process("worker", ["worker", "--interval", "0.2"], chaos_env, tmp_path / "worker.log")
    try:
        yield Processes(server, worker, f"http://127.0.0.1:{port}")
    finally:
        server.stop()
        worker.stop()


def settled() -> bool:
    return not Message.objects.filter(
        delivery_status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]
    ).exists()


def test_nothing_doubles_and_nothing_is_lost_when_processes_die(
    processes: Processes, tmp_path: Path
) -> None:
    server, worker = processes.server, processes.worker
    rng = random.Random(20261123)
    account = AccountFactory(name="Parkeergarage Centraal")
    agent = UserFactory(username="anna", account=account)
    events, deliveries = inbound_events(EVENTS, rng)

    with running_callback_standin() as stand_in:
        inbox = InboxFactory(account=account, kind="api", name="Website API")
        inbox = do_update_settings(inbox, {"callback_url": stand_in.url})
        stand_in.secret = inbox.secret
        stand_in.chaos = Chaos(error=0.03, rate_limit=0.01, drop=0.02, slow=0.01)
        run = Run(
            base_url=processes.base_url,
            token=create_token(agent),
            webhook_url=f"{processes.base_url}/hooks/api/{inbox.token}",
            secret=inbox.secret,
            events_total=len(deliveries),
        )
        server.start()
        worker.start()
        wait_for_server(run.base_url, server)

        started = time.monotonic()
        work: queue.Queue[bytes] = queue.Queue()
        for body in deliveries:
            work.put(body)
        drivers = [
            threading.Thread(target=drive_inbound, args=(run, work)) for _ in range(INBOUND_DRIVERS)
        ] + [
            threading.Thread(target=drive_replies, args=(run, list(range(i, REPLIES, 2)), i))
            for i in range(REPLY_DRIVERS)
        ]
        killer = threading.Thread(target=kill_at_random, args=(run, server, worker, rng))
        for thread in [*drivers, killer]:
            thread.start()
        for thread in drivers:
            thread.join(timeout=max(1.0, RUN_TIMEOUT - (time.monotonic() - started)))
        flowing = time.monotonic() - started
        run.stop.set()
        killer.join()
        for process in (server, worker):
            if not process.running():
                process.start()
        wait_for_server(run.base_url, server)

        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.5)
        settled_after = time.monotonic() - started
        stand_in.chaos = Chaos()

        summary = {
            "database": connection.vendor,
            "events": EVENTS,
            "deliveries": len(deliveries),
            "replies": REPLIES,
            "kills": {"serve": server.kills, "worker": worker.kills},
            "flow_seconds": round(flowing, 1),
            "settled_seconds": round(settled_after, 1),
            "inbound_per_s": round(len(deliveries) / flowing, 1),
            "answers": dict(run.answers),
            "standin_redeliveries": stand_in.redeliveries(),
            "standin_posts": sum(stand_in.posts.values()),
            "standin_cut_off": stand_in.incomplete,
        }
        # Kept beside the screenshots, where a person (and CI's log) can read it afterwards.
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"crash-{connection.vendor}.json").write_text(json.dumps(summary, indent=2))
        print("\ncrash test:", json.dumps(summary))  # noqa: T201
        logs = f"serve:\n{server.tail()}\nworker:\n{worker.tail()}"

        assert not [t for t in drivers if t.is_alive()], f"drivers did not finish\n{logs}"
        assert run.errors == [], logs
        assert run.events_done == len(deliveries)
        assert run.replies_done == REPLIES
        assert server.kills + worker.kills >= (3 if KILL_EVERY != [0.0] else 0)
        assert settled(), f"replies still queued or sending\n{logs}"

        # In: every distinct event stored once, processed, and one message each.
        assert RawInboundEvent.objects.count() == EVENTS
        assert not RawInboundEvent.objects.exclude(state=EventState.PROCESSED).exists()
        inbound = Message.objects.filter(direction=Direction.INBOUND)
        assert sorted(inbound.values_list("external_id", flat=True)) == sorted(
            event["id"] for event in events
        )

        # Out: every reply once in the database, and once at the stand-in, by its key.
        replies = Message.objects.filter(
            direction=Direction.OUTBOUND, kind=MessageKind.MESSAGE, sender_user=agent
        )
        texts = Counter(replies.values_list("text", flat=True))
        assert texts == Counter({reply_text(number): 1 for number in range(REPLIES)})
        statuses = Counter(replies.values_list("delivery_status", flat=True))
        assert statuses == {DeliveryStatus.DELIVERED: REPLIES}, logs
        keys = {str(key): text for key, text in replies.values_list("idempotency_key", "text")}
        assert set(stand_in.accepted) == set(keys)
        assert {key: a.body["text"] for key, a in stand_in.accepted.items()} == keys
        assert len({a.external_id for a in stand_in.accepted.values()}) == REPLIES
        assert stand_in.rejected_signatures == 0
