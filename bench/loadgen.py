"""A small, cheap HTTP/1.1 load generator on asyncio streams.

The load runs on the same cores as the server, so the client must cost as little as possible:
requests are rendered to bytes before the timed part, and a response is read just far enough
to get its status, the query-count header and its body (``Content-Length``). Connections are
kept alive when the server allows it; gunicorn's sync workers close each one, so then every
request opens its own (as each Calendly delivery does).

- ``closed_loop``: ``clients`` concurrent clients, each sending its next request as soon as the
  last one is answered, for ``seconds``: the maximum rate.
- ``open_loop``: requests started at a fixed rate whatever the answers (no coordinated
  omission: a slow answer doesn't delay the next request), for latency at a given load.

Latency is measured from just before the connection is taken (or opened) to the last byte of
the answer; ``sent_at`` is the wall-clock time the request was written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .querycount import QUERIES_HEADER, VERBS_HEADER

_QUERIES = QUERIES_HEADER.lower().encode()
_VERBS = VERBS_HEADER.lower().encode()
CONNECT_TIMEOUT = 10.0
RESPONSE_TIMEOUT = 30.0


@dataclass
class Job:
    """One request on the wire, and what to remember about it."""

    raw: bytes
    key: str = ""
    duplicate: bool = False


@dataclass
class Result:
    key: str
    duplicate: bool
    status: int  # 0: no answer (connection error or timeout)
    latency: float
    sent_at: float
    queries: int | None
    stored: bool  # the answer said "stored" (a new row), not "duplicate"
    finished: float = 0.0  # perf_counter() when the answer was read
    verbs: str = ""  # the statements' first words, "INSERT=1,SELECT=2,…"
    error: str = ""


@dataclass
class Phase:
    results: list[Result] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    behind: int = 0  # open loop: requests started late because the generator lagged

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def in_window(self) -> list[Result]:
        """The answers that came back before the phase's end (what its rate counts)."""
        return [r for r in self.results if r.finished <= self.ended]


def render(*, host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        # As a TLS-terminating proxy in front of gunicorn says (TRUST_X_FORWARDED_PROTO=1):
        # production settings redirect plain HTTP.
        "X-Forwarded-Proto: https",
        "User-Agent: Calendly-Webhooks-Bench",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Pool:
    """Idle keep-alive connections to one server."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def send(self, job: Job) -> Result:
        started = time.perf_counter()
        sent_at = 0.0
        try:
            if self.idle:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT
                )
            sent_at = time.time()
            writer.write(job.raw)
            status, queries, verbs, body, keep = await asyncio.wait_for(
                _read_response(reader), RESPONSE_TIMEOUT
            )
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            return Result(
                key=job.key,
                duplicate=job.duplicate,
                status=0,
                latency=time.perf_counter() - started,
                sent_at=sent_at or time.time(),
                queries=None,
                stored=False,
                finished=time.perf_counter(),
                error=f"{type(exc).__name__}: {exc}"[:200],
            )
        latency = time.perf_counter() - started
        if keep:
            self.idle.append((reader, writer))
        else:
            writer.close()
        return Result(
            key=job.key,
            duplicate=job.duplicate,
            status=status,
            latency=latency,
            sent_at=sent_at,
            queries=queries,
            stored=b'"stored"' in body,
            finished=started + latency,
            verbs=verbs,
        )

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _read_response(
    reader: asyncio.StreamReader,
) -> tuple[int, int | None, str, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    version, status = lines[0].split(b" ", 2)[:2]
    length = None
    queries = None
    verbs = ""
    keep = version == b"HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == _QUERIES:
            queries = int(value)
        elif name == _VERBS:
            verbs = value.strip().decode()
        elif name == b"connection":
            keep = value.strip().lower() == b"keep-alive"
    if length is None:
        body = await reader.read()
        keep = False
    else:
        body = await reader.readexactly(length)
    return int(status), queries, verbs, body, keep


async def closed_loop(
    *,
    host: str,
    port: int,
    jobs: Iterator[Job],
    clients: int,
    seconds: float,
) -> Phase:
    pool = Pool(host, port)
    phase = Phase()
    phase.started = time.perf_counter()
    deadline = phase.started + seconds

    async def client():
        while time.perf_counter() < deadline:
            phase.results.append(await pool.send(next(jobs)))

    await asyncio.gather(*(client() for _ in range(clients)))
    phase.ended = deadline
    pool.close()
    return phase


async def open_loop(
    *,
    host: str,
    port: int,
    jobs: Iterator[Job],
    rate: float,
    seconds: float,
    on_result: Callable[[Result], None] | None = None,
    max_in_flight: int = 1000,
) -> Phase:
    """Start ``rate`` requests a second for ``seconds``; wait for every answer."""
    pool = Pool(host, port)
    phase = Phase()
    gate = asyncio.Semaphore(max_in_flight)
    tasks: list[asyncio.Task] = []
    interval = 1.0 / rate
    count = int(rate * seconds)

    async def one(job: Job):
        try:
            result = await pool.send(job)
        finally:
            gate.release()
        phase.results.append(result)
        if on_result is not None:
            on_result(result)

    phase.started = time.perf_counter()
    for i in range(count):
        due = phase.started + i * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            phase.behind += 1
        await gate.acquire()
        tasks.append(asyncio.create_task(one(next(jobs))))
    phase.ended = time.perf_counter()
    await asyncio.gather(*tasks)
    pool.close()
    return phase
