"""Django's ASGI handler with each request's sync code on one of a few long-lived threads.

Django's own handler runs every request's sync code (views, middleware, the ORM) in a thread
made for that request, so no database connection outlives its request: each request opens a
new one. Measured on our 2-core test machine that costs 14 ms a request on PostgreSQL (a
backend process is forked) and 4-5 ms on SQLite (the schema is parsed again), next to 25 ms
for storing and threading a webhook. And as many requests as arrive run at once: on SQLite
they then queue on the database's write lock, whose busy handler sleeps in steps of up to
100 ms, so latency under a burst was seconds.

Here a request waits for a free *lane* (a thread of its own that lives as long as the
process), and its sync code runs there, keeping that lane's database connection from one
request to the next (CONN_MAX_AGE, with health checks). WEBCARE_HTTP_THREADS lanes bound the
connections a web process holds and the writers that contend for SQLite's lock.
`ThreadSensitiveContext(executor=...)` is asgiref's documented way to choose the thread.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler


class LaneASGIHandler(ASGIHandler):
    """Serve HTTP with `lanes` long-lived threads for the sync parts of requests."""

    def __init__(self, lanes: int) -> None:
        super().__init__()
        if lanes < 1:
            raise ValueError("WEBCARE_HTTP_THREADS must be at least 1.")
        self._executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-lane-{n}")
            for n in range(lanes)
        ]
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None

    def _lanes(self) -> "asyncio.Queue[ThreadPoolExecutor]":
        # Made on first use, inside the server's event loop.
        if self._free is None:
            self._free = asyncio.Queue()
            for executor in self._executors:
                self._free.put_nowait(executor)
        return self._free

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        lanes = self._lanes()
        executor = await lanes.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            lanes.put_nowait(executor)
