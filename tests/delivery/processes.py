"""Real Webcare processes for tests: started, SIGKILLed and started again, on the test database.

Tests that use them need `transactional_db`, so what the test writes is committed and visible
to the processes.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import _database_url


def durable_env(data_dir: Path) -> dict[str, str]:
    """The durable task backend, and delivery timings short enough for a test: a killed send
    is taken over after 8 s, retries come within 2 s."""
    return {
        **os.environ,
        "WEBCARE_ENV": "test",
        "DATABASE_URL": _database_url(),
        "WEBCARE_DATA_DIR": str(data_dir),
        "WEBCARE_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "WEBCARE_HTTP_TIMEOUT": "2",
        "WEBCARE_DELIVERY_LEASE": "8",
        "WEBCARE_DELIVERY_BACKOFF_BASE": "0.2",
        "WEBCARE_DELIVERY_BACKOFF_MAX": "2",
        "WEBCARE_DELIVERY_MAX_ATTEMPTS": "20",
        "LOG_LEVEL": "WARNING",
    }


class Process:
    """One Webcare process we can SIGKILL and start again, its output kept in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log = log
        self.popen: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "webcare", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        if self.running():
            assert self.popen is not None
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)
            self.kills += 1

    def stop(self) -> None:
        if self.running():
            assert self.popen is not None
            self.popen.kill()
            self.popen.wait(timeout=30)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def wait_for_server(url: str, server: Process, timeout: float = 60.0) -> None:
    """Until `webcare serve` answers HTTP; generous, it only ends a broken run."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{url}/login/", timeout=2)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"webcare serve did not answer:\n{server.tail()}") from None
            time.sleep(0.2)
