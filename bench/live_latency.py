"""Webhook-to-websocket latency: how long until an open inbox hears of a customer's message.

Starts real `webcare serve` processes (embedded: one process, SQLite, the in-memory channel
layer; or with --pg-url and --redis-url, PostgreSQL and Redis, and --processes N web processes
taking the webhooks in turn), logs one agent in, holds one websocket on the last process, and
posts signed webhooks on a steady schedule (default 200 messages/s for 20 s) over a fixed set
of connections (--concurrency, as a platform delivers), each from a new customer, so each
makes a conversation of its own and exactly one event.

Per message: latency (p50_ms, p99_ms) = arrival of its event on the websocket - start of its
POST, both on this process's monotonic clock. Also reported: latency from the scheduled send
time (which includes waiting for a free connection when the server falls behind, so it shows
saturation), how long the POST itself took, and the event's arrival relative to the POST's
response (negative: the event came first; it is sent on commit, before the response).
`rate` is the rate achieved: messages over the time until the last one was answered.
The last line printed is JSON: {"p50_ms", "p99_ms", "sent", "received", "rate", ...}.

The load generator shares the machine with the servers, so on a small machine these are
upper bounds.
"""

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench-live"
BIN = Path(sys.executable).parent
ACCOUNT = "Bench Live"
PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway user in a throwaway database)
POST_TIMEOUT_SECONDS = 600.0  # a saturated server queues; we measure that, not give up on it
WAIT_FOR_EVENTS_SECONDS = 60.0


@dataclass(frozen=True)
class Posted:
    scheduled: float  # when the platform would have sent it
    started: float  # when our POST began (later, if every sender was busy)
    ended: float
    message_id: int | None  # None: refused or failed


# --- Setting up: a fresh database with one account, one agent and one API inbox. ---------


def _env(args: argparse.Namespace) -> dict[str, str]:
    data_dir = VAR / ("postgresql" if args.pg_url else "sqlite")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "WEBCARE_ENV": "development",
        "DEBUG": "0",
        "WEBCARE_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        # One key for all processes: a session made by one is valid on the others.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": _fresh_database(args.pg_url, data_dir),
    }
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
        redis.Redis.from_url(args.redis_url).flushdb()
    return env


def _fresh_database(pg_url: str, data_dir: Path) -> str:
    if pg_url:
        base = pg_url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "webcare_bench_live" WITH (FORCE)')
            conn.execute('CREATE DATABASE "webcare_bench_live"')
        return f"{base}/webcare_bench_live"
    path = data_dir / "live.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _setup(env: dict[str, str]) -> dict[str, str]:
    """Through the CLI an operator would use; returns the inbox's webhook token and secret."""
    webcare = str(BIN / "webcare")
    _run([webcare, "migrate", "-v0"], env)
    _run(
        [webcare, "user", "add", "bench", "--account", ACCOUNT, "--role", "agent"],
        env,
        stdin=PASSWORD + "\n",
    )
    inbox = json.loads(
        _run([webcare, "inbox", "add", "api", "Bench webhooks", "--account", ACCOUNT], env)
    )
    return {"token": inbox["webhook_url"].rsplit("/", 1)[-1], "secret": inbox["secret"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_servers(env: dict[str, str], processes: int) -> list[tuple[subprocess.Popen, str]]:
    """One embedded server (with its worker), or N web processes without one."""
    extra = [] if processes == 1 else ["--no-worker"]
    servers = []
    for n in range(processes):
        port = _free_port()
        log = Path(env["WEBCARE_DATA_DIR"]) / f"server-{n}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(BIN / "webcare"), "serve", "--no-migrate", *extra, "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        servers.append((process, f"http://127.0.0.1:{port}"))
    for process, base in servers:
        _wait_until_up(process, base)
    return servers


def _wait_until_up(process: subprocess.Popen, base: str) -> None:
    for _ in range(150):
        try:
            httpx.get(f"{base}/login/", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("bench: webcare serve did not start")


def _log_in(base: str) -> tuple[str, str]:
    """The agent's session id, and their account's id (from where the login lands)."""
    with httpx.Client(base_url=base, follow_redirects=True) as client:
        client.get("/login/")
        landed = client.post(
            "/login/",
            data={
                "username": "bench",
                "password": PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
        )
        if "sessionid" not in client.cookies:
            raise SystemExit("bench: logging in as 'bench' failed")
        return client.cookies["sessionid"], landed.url.path.split("/")[2]


# --- Measuring ------------------------------------------------------------------------------


def _signed(secret: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    """The signature the generic API channel checks (channels/adapters/api.py)."""
    body = json.dumps(payload).encode()
    return body, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _payload(run: str, i: int) -> dict[str, Any]:
    return {
        "id": f"{run}-{i}",
        "author": {"id": f"{run}-c{i}", "handle": f"klant{i}", "name": f"Klant {i}"},
        "text": "De slagboom bij P2 gaat niet open.",
        "in_reply_to": None,
        "created_at": "2026-11-23T09:00:00+01:00",
        "public": False,
    }


async def _listen(ws: ClientConnection, arrivals: dict[int, float], expected: int) -> None:
    async for raw in ws:
        event = json.loads(raw)
        if event.get("type") == "conversation" and event.get("what") == "message":
            arrivals.setdefault(event["conversation_id"], time.perf_counter())
            if len(arrivals) >= expected:
                return


async def _post(
    client: httpx.AsyncClient, url: str, secret: str, payload: dict[str, Any], scheduled: float
) -> Posted:
    body, signature = _signed(secret, payload)
    started = time.perf_counter()
    try:
        response = await client.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", "X-Webcare-Signature": signature},
        )
    except httpx.HTTPError:
        return Posted(scheduled, started, time.perf_counter(), None)
    ended = time.perf_counter()
    if response.status_code != 200:
        return Posted(scheduled, started, ended, None)
    return Posted(scheduled, started, ended, response.json()["messages"][0])


async def _sender(
    client: httpx.AsyncClient, queue: asyncio.Queue, secret: str, posted: list[Posted]
) -> None:
    """One of a fixed set of senders, as a platform delivers webhooks over a few connections.

    A fixed set keeps the load generator itself cheap (thousands of requests waiting in one
    connection pool cost more CPU than the server under test).
    """
    while True:
        item = await queue.get()
        if item is None:
            return
        url, payload, scheduled = item
        posted.append(await _post(client, url, secret, payload, scheduled))


async def _measure(
    bases: list[str], setup: dict[str, str], session: str, args: argparse.Namespace
) -> tuple[list[Posted], dict[int, float], float]:
    rate = args.rate
    total = int(rate * args.seconds)
    hooks = itertools.cycle(f"{base}/hooks/api/{setup['token']}" for base in bases)
    run = secrets.token_hex(4)
    arrivals: dict[int, float] = {}
    async with connect(
        bases[-1].replace("http://", "ws://") + f"/ws/a/{setup['account']}/",
        origin=bases[-1],  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={session}"},
        proxy=None,
        max_queue=None,
        # A saturated server may answer a ping late; that is what we measure, not a reason
        # to drop the socket (a browser would reconnect and refresh, losing the timing).
        ping_interval=None,
    ) as ws:
        await ws.send(json.dumps({"type": "presence", "state": "hello"}))
        await ws.recv()  # our hello back: the socket is in its group
        listener = asyncio.create_task(_listen(ws, arrivals, total))
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        posted: list[Posted] = []
        queue: asyncio.Queue = asyncio.Queue()
        async with httpx.AsyncClient(timeout=POST_TIMEOUT_SECONDS, limits=limits) as client:
            senders = [
                asyncio.create_task(_sender(client, queue, setup["secret"], posted))
                for _ in range(args.concurrency)
            ]
            start = time.perf_counter()
            for i in range(total):
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                queue.put_nowait((next(hooks), _payload(run, i), scheduled))
            for _ in senders:
                queue.put_nowait(None)
            await asyncio.gather(*senders)
            send_seconds = time.perf_counter() - start
        try:
            await asyncio.wait_for(listener, WAIT_FOR_EVENTS_SECONDS)
        except TimeoutError:
            listener.cancel()
    return posted, arrivals, send_seconds


def _conversations_of(database_url: str) -> dict[int, int]:
    """message id -> conversation id, read straight from the bench database."""
    query = "SELECT id, conversation_id FROM conversations_message"
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return dict(conn.execute(query).fetchall())
    with psycopg.connect(database_url) as conn:
        return dict(conn.execute(query).fetchall())


def _percentile(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[int(fraction * (len(ordered) - 1))], 1)


def _report(
    posted: list[Posted],
    arrivals: dict[int, float],
    send_seconds: float,
    database_url: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    conversation_of = _conversations_of(database_url)
    accepted = [p for p in posted if p.message_id is not None]
    heard = [
        (p, arrivals[conversation_of[p.message_id]])
        for p in accepted
        if conversation_of.get(p.message_id) in arrivals  # type: ignore[arg-type]
    ]
    latency = [1000 * (arrived - p.started) for p, arrived in heard]
    from_schedule = [1000 * (arrived - p.scheduled) for p, arrived in heard]
    after_response = [1000 * (arrived - p.ended) for p, arrived in heard]
    post = [1000 * (p.ended - p.started) for p in accepted]
    return {
        "p50_ms": _percentile(latency, 0.5),
        "p99_ms": _percentile(latency, 0.99),
        "max_ms": _percentile(latency, 1.0),
        "from_schedule_p50_ms": _percentile(from_schedule, 0.5),
        "from_schedule_p99_ms": _percentile(from_schedule, 0.99),
        "post_p50_ms": _percentile(post, 0.5),
        "post_p99_ms": _percentile(post, 0.99),
        "event_after_response_p50_ms": _percentile(after_response, 0.5),
        "event_after_response_p99_ms": _percentile(after_response, 0.99),
        "sent": len(posted),
        "accepted": len(accepted),
        "received": len(heard),
        # Achieved: all sent and answered over the time that took (below target: saturated).
        "rate": round(len(posted) / send_seconds, 1),
        "target_rate": args.rate,
        "seconds": args.seconds,
        "processes": args.processes,
        "concurrency": args.concurrency,
        "database": "postgresql" if args.pg_url else "sqlite",
        "channel_layer": "redis" if args.redis_url else "in-memory",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pg-url", default="", help="e.g. postgres://postgres@127.0.0.1:5432/x")
    parser.add_argument("--redis-url", default="", help="e.g. redis://127.0.0.1:6379/7")
    parser.add_argument("--processes", type=int, default=1, help="web processes (needs Redis)")
    parser.add_argument("--concurrency", type=int, default=32, help="webhook connections")
    args = parser.parse_args()
    if args.processes > 1 and not (args.redis_url and args.pg_url):
        parser.error("--processes above 1 needs --pg-url and --redis-url")

    env = _env(args)
    setup = _setup(env)
    servers = _start_servers(env, args.processes)
    bases = [base for _, base in servers]
    try:
        session, setup["account"] = _log_in(bases[-1])
        posted, arrivals, send_seconds = asyncio.run(_measure(bases, setup, session, args))
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(timeout=10)
    print(json.dumps(_report(posted, arrivals, send_seconds, env["DATABASE_URL"], args)))


if __name__ == "__main__":
    main()
