"""The web process's HTTP handler: requests run on a few long-lived threads that keep their
database connection, and no more requests run at once than there are lanes."""

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import connection

from webcare.core.asgi_handler import LaneASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


def scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def get(handler: LaneASGIHandler, path: str) -> int:
    """One GET through the handler as uvicorn would make it; returns the status code."""
    sent: list[dict[str, Any]] = []
    body = [{"type": "http.request", "body": b"", "more_body": False}]
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if body:
            return body.pop()
        await never.wait()  # the client stays connected until the response is sent
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await handler(scope(path), receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.fixture
def seen() -> Iterator[list[tuple[str, int]]]:
    """(thread name, id of the database connection) at the end of every request."""
    records: list[tuple[str, int]] = []

    def record(**kwargs: Any) -> None:
        connection.ensure_connection()
        records.append((threading.current_thread().name, id(connection.connection)))

    request_finished.connect(record)
    yield records
    request_finished.disconnect(record)


def test_requests_reuse_the_lanes_thread_and_its_database_connection(
    seen: list[tuple[str, int]],
) -> None:
    handler = LaneASGIHandler(lanes=1)

    async def three_requests() -> list[int]:
        return [await get(handler, "/login/") for _ in range(3)]

    assert asyncio.run(three_requests()) == [200, 200, 200]

    assert [name for name, _ in seen] == ["http-lane-0_0"] * 3
    assert len({conn for _, conn in seen}) == 1


def test_no_more_requests_run_at_once_than_there_are_lanes(
    seen: list[tuple[str, int]],
) -> None:
    handler = LaneASGIHandler(lanes=2)

    async def ten_at_once() -> list[int]:
        return await asyncio.gather(*(get(handler, "/login/") for _ in range(10)))

    assert asyncio.run(ten_at_once()) == [200] * 10

    assert {name for name, _ in seen} <= {"http-lane-0_0", "http-lane-1_0"}
    assert len({conn for _, conn in seen}) <= 2


def test_a_handler_without_lanes_is_refused() -> None:
    with pytest.raises(ValueError, match="WEBCARE_HTTP_THREADS"):
        LaneASGIHandler(lanes=0)
