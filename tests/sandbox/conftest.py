"""A real `webcare sandbox` process on the test database, for the sandbox's tests."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import _database_url, _free_port


@dataclass
class Sandbox:
    webcare: str
    console: str
    output: Path

    def post(self, channel: str, customer: str, text: str) -> httpx.Response:
        return httpx.post(
            f"{self.console}/api/post",
            json={"channel": channel, "customer": customer, "text": text},
            timeout=30,
        )

    def arrived(self) -> list[dict[str, str]]:
        return httpx.get(f"{self.console}/api/arrived", timeout=10).json()

    def password(self, username: str) -> str:
        """As printed for the newcomer: `  <username>  <password>  <role>  <name>`."""
        found = re.search(rf"^  {username} +(\S+) ", self.output.read_text(), re.MULTILINE)
        assert found, self.output.read_text()
        return found.group(1)


def _wait_for(url: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"webcare sandbox did not start:\n{output.read_text()}"
                ) from None
            time.sleep(0.3)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    port, console_port = _free_port(), _free_port()
    output = tmp_path / "sandbox.log"
    env = {
        **os.environ,
        "WEBCARE_ENV": "test",
        "DATABASE_URL": _database_url(),
        "WEBCARE_DATA_DIR": str(tmp_path),
        "WEBCARE_POLL_SECONDS": "1",
    }
    with output.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "webcare",
                "sandbox",
                "--port",
                str(port),
                "--console-port",
                str(console_port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Sandbox(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{console_port}", output)
    try:
        _wait_for(f"{running.console}/api/channels", process, output)
        _wait_for(f"{running.webcare}/login/", process, output)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
