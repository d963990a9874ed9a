"""`make bench`: the numbers docs/benchmarks.md records, on SQLite and on PostgreSQL.

1. TWCS import throughput: ../shared/data/twcs/twcs_sample.csv through the real ingest path
   into an empty database, messages per second (median of runs).
2. Needs-reply latency with 100,000 conversations: a real `webcare serve` answers the API list
   and the inbox page; p50/p95 over repeated requests, against the login page measured in the
   same run as the baseline (so a noisy machine shows up in both).
3. Promises on that desk: due-time arithmetic in business hours, and the worker's sweep over
   33,000 overdue conversations (a backlog pass, and a quiet pass once caught up).
4. Webhook-to-websocket latency (bench/live_latency.py): signed webhooks at 20 and at 200
   messages/s; embedded on SQLite, and on PostgreSQL + Redis with two web processes (the
   websocket held on the other one). p50/p99, and the rate reached.
5. Sustained reply throughput (bench/reply_throughput.py): 1,000 replies from the REST API to a
   stand-in integrator, with the platform answering at once and after 200 ms.

Each phase runs in its own process with its own DATABASE_URL, as production would.
"""

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
TWCS = ROOT.parent / "shared" / "data" / "twcs" / "twcs_sample.csv"
BIN = Path(sys.executable).parent
PHASES = ("import", "inbox", "promises", "live", "replies")


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "WEBCARE_ENV": "development",
        "DEBUG": "0",
        "DATABASE_URL": database_url,
        "WEBCARE_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
    }


def _fresh_postgres(pg_url: str, name: str) -> str:
    base = pg_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _fresh_sqlite(name: str) -> str:
    path = VAR / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _migrate(env: dict[str, str]) -> None:
    _run([str(BIN / "webcare"), "migrate", "-v0"], env)


def bench_import(env: dict[str, str], runs: int) -> dict[str, float]:
    """Median messages/s of a full import of the TWCS sample into an empty database."""
    rates = []
    messages = 0
    for _ in range(runs):
        _migrate(env)
        out = _run([sys.executable, str(ROOT / "bench" / "import_twcs.py"), str(TWCS)], env)
        result = json.loads(out.strip().splitlines()[-1])
        messages = result["messages"]
        rates.append(result["messages"] / result["seconds"])
        _run([str(BIN / "webcare"), "flush", "--no-input"], env)
    return {"messages": messages, "messages_per_s": statistics.median(rates), "runs": runs}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
    }


def bench_twcs(backend: str, pg_url: str, runs: int) -> dict[str, float] | str:
    """The TWCS import into an empty database of its own, when the shared data is here."""
    if not TWCS.exists():
        return f"skipped: {TWCS} is absent"
    url = (
        _fresh_sqlite("import")
        if backend == "sqlite"
        else _fresh_postgres(pg_url, "webcare_bench_import")
    )
    return bench_import(_env(url, VAR / backend), runs)


def _time(client: httpx.Client, url: str, n: int, headers: dict[str, str]) -> list[float]:
    for _ in range(5):
        client.get(url, headers=headers).raise_for_status()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url, headers=headers).raise_for_status()
        samples.append(time.perf_counter() - started)
    return samples


def bench_inbox(env: dict[str, str], conversations: int, requests: int) -> dict[str, object]:
    _migrate(env)
    out = _run(
        [sys.executable, str(ROOT / "bench" / "seed_conversations.py"), "--n", str(conversations)],
        env,
    )
    fields = dict(part.split("=", 1) for part in out.strip().splitlines()[-1].split())
    account, token = fields["account"], fields["token"]
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "webcare"), "serve", "--no-migrate", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with (
            httpx.Client(base_url=base, timeout=30) as client,
            httpx.Client(base_url=base, timeout=30) as anonymous,
        ):
            for _ in range(150):
                try:
                    client.get("/login/")
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            api = {"Authorization": f"Bearer {token}"}
            first = client.get("/api/v1/conversations?view=needs_reply&limit=50", headers=api)
            first.raise_for_status()
            body = first.json()
            client.post(
                "/login/",
                data={"username": "bench", "password": "bench-password-1"},
                headers={"X-CSRFToken": client.cookies.get("csrftoken", "")},
            )
            if "sessionid" not in client.cookies:
                raise SystemExit("bench: logging in as 'bench' failed; the page timings need it")
            page_url = f"/a/{account}/conversations/?view=needs_reply"
            return {
                "needs_reply_count": body["count"],
                "baseline_login_page": _percentiles(_time(anonymous, "/login/", requests, {})),
                "api_needs_reply": _percentiles(
                    _time(client, "/api/v1/conversations?view=needs_reply&limit=50", requests, api)
                ),
                "api_needs_reply_page_2": _percentiles(
                    _time(
                        client,
                        f"/api/v1/conversations?view=needs_reply&limit=50&cursor={body['next']}",
                        requests,
                        api,
                    )
                ),
                "page_needs_reply": _percentiles(_time(client, page_url, requests, {})),
            }
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_promises(env: dict[str, str]) -> dict[str, object]:
    """Due-time arithmetic and the promises sweep, on the database bench_inbox seeded."""
    out = _run([sys.executable, str(ROOT / "bench" / "sweep_promises.py")], env)
    return json.loads(out.strip().splitlines()[-1])


def _last_json(out: str) -> dict[str, object]:
    return json.loads(out.strip().splitlines()[-1])


def bench_live(backend: str, env: dict[str, str], pg_url: str, seconds: float) -> list[object]:
    """Webhook-to-websocket latency at a modest and at the target rate."""
    script = [sys.executable, str(ROOT / "bench" / "live_latency.py"), "--seconds", str(seconds)]
    if backend == "postgresql":
        # live_latency.py makes its own fresh database next to this one, and flushes Redis 9.
        script += ["--pg-url", pg_url, "--redis-url", "redis://127.0.0.1:6379/9"]
        script += ["--processes", "2"]
    return [_last_json(_run([*script, "--rate", str(rate)], env)) for rate in (20, 200)]


def bench_replies(backend: str, pg_url: str, replies: int) -> list[object]:
    """Replies per second, API to platform, with an instant and a 200 ms platform."""
    rows = []
    for latency in (0.0, 0.2):
        url = (
            _fresh_sqlite("replies")
            if backend == "sqlite"
            else _fresh_postgres(pg_url, "webcare_bench_replies")
        )
        env = _env(url, VAR / backend)
        _migrate(env)
        script = [sys.executable, str(ROOT / "bench" / "reply_throughput.py")]
        script += ["--replies", str(replies), "--latency", str(latency)]
        if backend == "sqlite":
            script.append("--embedded")
        out = _run(script, env)
        details, totals = (json.loads(line) for line in out.strip().splitlines()[-2:])
        rows.append({**details, **totals})
    return rows


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.platform()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {system}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/webcare")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--live-seconds", type=float, default=20.0)
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=VAR / "results.json")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="comma-separated subset of %(default)s; promises runs on the inbox phase's desk",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    if unknown := phases - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    if "promises" in phases and "inbox" not in phases:
        parser.error("promises needs the inbox phase: it sweeps the desk that phase seeds")

    results: dict[str, object] = {"machine": machine(), "date": datetime.now(UTC).isoformat()}
    for backend in args.backends.split(","):
        row: dict[str, object] = {}
        if "import" in phases:
            row["twcs_import"] = bench_twcs(backend, args.pg_url, args.import_runs)
        url = (
            _fresh_sqlite("inbox")
            if backend == "sqlite"
            else _fresh_postgres(args.pg_url, "webcare_bench_inbox")
        )
        env = _env(url, VAR / backend)
        if "inbox" in phases:
            row["inbox"] = bench_inbox(env, args.conversations, args.requests)
        if "promises" in phases:
            row["promises"] = bench_promises(env)
        if "live" in phases:
            row["live"] = bench_live(backend, env, args.pg_url, args.live_seconds)
        if "replies" in phases:
            row["replies"] = bench_replies(backend, args.pg_url, args.replies)
        results[backend] = row
        print(json.dumps({backend: row}, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
