"""A stand-in for an integrator's endpoint of the generic API channel, over real HTTP.

It follows the contract in docs/api.md as a careful receiver would: it checks
X-Webcare-Signature with its own HMAC code (401 when wrong), requires an Idempotency-Key, and
treats a repeated key as the same reply (200 with the id it gave the first time). It counts on
its own side what it accepted, so tests judge delivery by what arrived, not by what we say.

It can be told to misbehave, either for the next N requests (`then`) or at random rates
(`chaos`): answer 500, answer 429 with a reset (Retry-After seconds or X's
x-rate-limit-reset epoch), answer slowly, or accept the reply and close the connection
before answering, the case where the sender cannot know that it arrived.
"""

import hashlib
import hmac
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from webcare.sandbox.standins.serving import serve_in_thread

Fault = Literal["500", "429", "slow", "drop"]


@dataclass(frozen=True)
class Arrival:
    """One request as it reached the stand-in; `at` is time.time() on arrival."""

    at: float
    method: str
    key: str
    answer: int | None  # None: the connection was closed without an answer


@dataclass(frozen=True)
class Accepted:
    """A reply the stand-in took, the first time its key came in."""

    key: str
    external_id: str
    body: dict[str, Any]
    at: float


@dataclass
class Chaos:
    """Per-request probabilities of each fault, for load and crash tests."""

    error: float = 0.0
    rate_limit: float = 0.0
    drop: float = 0.0
    slow: float = 0.0
    rate_limit_seconds: int = 1
    slow_seconds: float = 0.5


@dataclass
class CallbackStandIn:
    url: str = ""
    secret: str = ""
    # False: a platform that posts every request, repeated keys included (no dedupe).
    dedupe: bool = True
    chaos: Chaos = field(default_factory=Chaos)
    reset_style: Literal["retry-after", "x-rate-limit-reset"] = "retry-after"
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _script: list[tuple[Fault, float]] = field(default_factory=list)
    accepted: dict[str, Accepted] = field(default_factory=dict)
    posts: Counter[str] = field(default_factory=Counter)
    arrivals: list[Arrival] = field(default_factory=list)
    rejected_signatures: int = 0
    incomplete: int = 0  # requests cut off before the end of their body
    serial: int = 0

    def then(self, fault: Fault, times: int = 1, *, value: float = 1.0) -> None:
        """Answer the next `times` requests with `fault`.

        `value`: for 429 the reset (seconds from now for Retry-After, an epoch for
        x-rate-limit-reset); for slow, the delay in seconds.
        """
        with self._lock:
            self._script.extend([(fault, value)] * times)

    def accepted_count(self) -> int:
        with self._lock:
            return len(self.accepted)

    def post_arrivals(self) -> list[Arrival]:
        with self._lock:
            return [arrival for arrival in self.arrivals if arrival.method == "POST"]

    def redeliveries(self) -> int:
        """Requests that repeated a key the stand-in had already accepted."""
        with self._lock:
            return sum(self.posts[key] - 1 for key in self.accepted)

    def _next_fault(self) -> tuple[Fault, float] | None:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        roll = random.random()
        chaos = self.chaos
        for fault, rate, value in (
            ("500", chaos.error, 0.0),
            ("429", chaos.rate_limit, float(chaos.rate_limit_seconds)),
            ("drop", chaos.drop, 0.0),
            ("slow", chaos.slow, chaos.slow_seconds),
        ):
            if roll < rate:
                return fault, value  # type: ignore[return-value]
            roll -= rate
        return None

    def _accept(self, key: str, body: dict[str, Any]) -> Accepted:
        with self._lock:
            self.posts[key] += 1
            if key in self.accepted and self.dedupe:
                return self.accepted[key]
            self.serial += 1
            accepted = Accepted(key, f"standin-{self.serial}", body, time.time())
            self.accepted.setdefault(key, accepted)
            return accepted

    def find(self, key: str) -> Accepted | None:
        with self._lock:
            return self.accepted.get(key)

    def _arrived(self, arrival: Arrival) -> None:
        with self._lock:
            self.arrivals.append(arrival)


def _reset_headers(stand_in: CallbackStandIn, value: float) -> dict[str, str]:
    if stand_in.reset_style == "x-rate-limit-reset":
        return {"x-rate-limit-reset": str(int(value)), "x-rate-limit-remaining": "0"}
    return {"Retry-After": str(int(value))}


def _handler(stand_in: CallbackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            now = time.time()
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            key = self.headers.get("Idempotency-Key", "")
            if len(body) < length:
                # The sender died between the headers and the end of the body (a SIGKILL in
                # the crash test): like any HTTP server, drop the half request unanswered.
                with stand_in._lock:
                    stand_in.incomplete += 1
                self.close_connection = True
                return
            expected = (
                "sha256=" + hmac.new(stand_in.secret.encode(), body, hashlib.sha256).hexdigest()
            )
            if not hmac.compare_digest(expected, self.headers.get("X-Webcare-Signature", "")):
                with stand_in._lock:
                    stand_in.rejected_signatures += 1
                self._answer(now, key, 401, {"error": "bad signature"})
                return
            payload = json.loads(body)
            if not key or payload.get("idempotency_key") != key:
                self._answer(now, key, 400, {"error": "Idempotency-Key missing or not the body's"})
                return
            fault = stand_in._next_fault()
            if fault is not None and fault[0] == "500":
                self._answer(now, key, 500, {"error": "stand-in failure"})
                return
            if fault is not None and fault[0] == "429":
                headers = _reset_headers(stand_in, fault[1])
                self._answer(now, key, 429, {"error": "rate limited"}, headers)
                return
            if fault is not None and fault[0] == "slow":
                time.sleep(fault[1])
            accepted = stand_in._accept(key, payload)
            if fault is not None and fault[0] == "drop":
                stand_in._arrived(Arrival(now, "POST", key, None))
                self.close_connection = True
                return
            self._answer(now, key, 200, {"id": accepted.external_id})

        def do_GET(self) -> None:
            """`GET <url>?idempotency_key=K`: the lookup a careful platform offers."""
            key = parse_qs(urlsplit(self.path).query).get("idempotency_key", [""])[0]
            found = stand_in.find(key)
            if found is None:
                self._answer(time.time(), key, 404, {"error": "no such reply"})
            else:
                self._answer(time.time(), key, 200, {"id": found.external_id})

        def _answer(
            self,
            now: float,
            key: str,
            status: int,
            body: dict[str, Any],
            headers: dict[str, str] | None = None,
        ) -> None:
            stand_in._arrived(Arrival(now, self.command, key, status))
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The sender gave up waiting (its timeout); what we accepted stays accepted.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_callback_standin(secret: str = "", port: int = 0) -> Iterator[CallbackStandIn]:
    """A stand-in listening on `port` of 127.0.0.1 (0: a free one), served from a thread."""
    stand_in = CallbackStandIn(secret=secret)
    with serve_in_thread(_handler(stand_in), port) as url:
        stand_in.url = f"{url}/webcare/replies"
        yield stand_in
