"""Sustained reply throughput: replies per second from the REST API to the integrator.

The full path of a reply, on the database DATABASE_URL names (migrated and empty, as
bench/run.py prepares it): agents POST replies to `/api/v1/conversations/{id}/replies` of a
real `webcare serve`; the outbox worker (a separate `webcare worker`, or the embedded one with
--embedded) sends each, signed, to a stand-in integrator (webcare.sandbox.standins.callback) on
127.0.0.1. The clock runs from the first POST until the stand-in has accepted every reply, so
it measures what the system sustains end to end, not how fast replies are queued.

`--latency` makes the stand-in answer that many seconds late, as a real platform does (X and
Meta take 100s of milliseconds); the worker's sender threads are what keep the rate up then.
`--drain` measures the worker alone: all replies are queued first, with no worker running,
then `webcare worker` starts, and the clock runs from the first reply the stand-in accepts to
the last.

Prints details, then as the last line a JSON object {"replies", "seconds", "per_s"}.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import django
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webcare.config.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from webcare.accounts.actions import create_token, do_add_user, get_or_create_account  # noqa: E402
from webcare.accounts.models import Role  # noqa: E402
from webcare.channels.adapters.base import Author, InboundMessage  # noqa: E402
from webcare.conversations.actions import receive_message  # noqa: E402
from webcare.inboxes.models import Inbox, InboxKind  # noqa: E402
from webcare.sandbox.standins.callback import CallbackStandIn, Chaos, running_callback_standin  # noqa: E402

WARMUP = 20


def seed(conversations: int, callback_url: str) -> tuple[str, Inbox, list[tuple[int, int]]]:
    """An agent with a token, an API inbox replying to `callback_url`, and conversations
    (id, newest message id) received through the real ingest action."""
    account = get_or_create_account("Reply bench")
    user = do_add_user("replybench", account, Role.AGENT, "bench-password-1")
    inbox = Inbox.objects.create(
        account=account,
        kind=InboxKind.API,
        name="Reply bench API",
        settings={"callback_url": callback_url},
    )
    targets = []
    for number in range(conversations):
        message, _ = receive_message(
            inbox,
            InboundMessage(
                external_id=f"bench-{number}",
                author=Author(external_id=f"klant-{number}", handle=f"klant{number}"),
                text="Waarom gaat de slagboom niet open?",
                created_at=timezone.now(),
                public=number % 4 != 0,
            ),
        )
        targets.append((message.conversation_id, message.pk))
    return create_token(user), inbox, targets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "webcare", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_until_up(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(f"{url}/login/", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"webcare serve did not start at {url}")


def post_replies(
    url: str, token: str, targets: list[tuple[int, int]], numbers: range, clients: int
) -> None:
    """POST one reply per number, round-robin over the conversations, from `clients` threads."""

    def client_thread(offset: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for number in numbers[offset::clients]:
                conversation, newest = targets[number % len(targets)]
                response = client.post(
                    f"/api/v1/conversations/{conversation}/replies",
                    json={
                        "text": f"Antwoord {number}: we openen de slagboom op afstand.",
                        "expected_last_message_id": newest,
                        "send_anyway": True,
                    },
                )
                response.raise_for_status()

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_for_accepted(stand_in: CallbackStandIn, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while stand_in.accepted_count() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {stand_in.accepted_count()} of {count} replies arrived")
        time.sleep(0.02)


@dataclass
class Bench:
    url: str
    token: str
    targets: list[tuple[int, int]]
    args: argparse.Namespace
    stand_in: CallbackStandIn
    processes: list[subprocess.Popen[bytes]]
    data_dir: Path


def sustain(bench: Bench) -> tuple[float, float]:
    """Post while the worker sends; seconds from the first POST to the last acceptance."""
    args = bench.args
    post_replies(bench.url, bench.token, bench.targets, range(WARMUP), args.clients)
    wait_for_accepted(bench.stand_in, WARMUP, 120)
    started = time.perf_counter()
    numbers = range(WARMUP, WARMUP + args.replies)
    post_replies(bench.url, bench.token, bench.targets, numbers, args.clients)
    posted = time.perf_counter() - started
    wait_for_accepted(bench.stand_in, WARMUP + args.replies, 600)
    return posted, time.perf_counter() - started


def drain(bench: Bench) -> tuple[float, float]:
    """Queue everything with no worker running, then time the worker from the first reply the
    stand-in accepts to the last."""
    args = bench.args
    started = time.perf_counter()
    post_replies(bench.url, bench.token, bench.targets, range(args.replies), args.clients)
    posted = time.perf_counter() - started
    bench.processes.append(start(["worker"], bench.data_dir / "reply-worker.log"))
    wait_for_accepted(bench.stand_in, args.replies, 600)
    moments = [accepted.at for accepted in bench.stand_in.accepted.values()]
    return posted, max(moments) - min(moments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, help="agents posting at once")
    parser.add_argument("--latency", type=float, default=0.0, help="stand-in answer delay, s")
    parser.add_argument(
        "--embedded", action="store_true", help="one `webcare serve` with its embedded worker"
    )
    parser.add_argument(
        "--drain", action="store_true", help="queue every reply first, then time the worker"
    )
    args = parser.parse_args()
    data_dir = Path(os.environ.get("WEBCARE_DATA_DIR", ROOT / "var" / "bench"))
    data_dir.mkdir(parents=True, exist_ok=True)

    with running_callback_standin() as stand_in:
        if args.latency:
            stand_in.chaos = Chaos(slow=1.0, slow_seconds=args.latency)
        token, inbox, targets = seed(args.conversations, stand_in.url)
        stand_in.secret = inbox.secret
        connection.close()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = ["serve", "--no-migrate", "--port", str(port)]
        processes = [
            start(
                [*serve] if args.embedded else [*serve, "--no-worker"], data_dir / "reply-serve.log"
            )
        ]
        if not args.embedded and not args.drain:
            processes.append(start(["worker"], data_dir / "reply-worker.log"))
        try:
            wait_until_up(url)
            bench = Bench(url, token, targets, args, stand_in, processes, data_dir)
            posted, seconds = drain(bench) if args.drain else sustain(bench)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        duplicates = stand_in.redeliveries()

    print(
        json.dumps(
            {
                "database": connection.vendor,
                "worker": "embedded" if args.embedded else "separate",
                "measured": "worker alone (queued first)" if args.drain else "API to platform",
                "sender_threads": int(os.environ.get("WEBCARE_DELIVERY_SENDERS", "4")),
                "clients": args.clients,
                "latency_s": args.latency,
                "api_replies_per_s": round(args.replies / posted, 1),
                "standin_duplicate_posts": duplicates,
            }
        )
    )
    print(
        json.dumps(
            {
                "replies": args.replies,
                "seconds": round(seconds, 2),
                "per_s": round(args.replies / seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
