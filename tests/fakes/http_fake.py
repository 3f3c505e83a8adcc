"""What the fakes share. `LocalServer`: an aiohttp server, run in the caller's event loop on a
free port of 127.0.0.1, every request going to the subclass's `_handle` (all fakes), with a
`gate` that, closed, holds every request until the test opens it. `FakeServer` (Zoom, HubSpot)
also records every request with the status it got and answers injected faults (`fail`); a
subclass answers in `route`, raising or returning an `Answer`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web


@dataclass(frozen=True)
class Call:
    """A request as it arrived: JSON body decoded (a form as a dict), and the status it got."""

    method: str
    path: str
    body: Any
    status: int
    query: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


@dataclass
class _Fault:
    path: str
    status: int
    times: int
    headers: dict[str, str]
    body: Any


class Answer(Exception):
    """An HTTP answer; raised to end a request early."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}

    def response(self) -> web.Response:
        if self.body is None:
            return web.Response(status=self.status, headers=self.headers)
        return web.json_response(self.body, status=self.status, headers=self.headers)


class Gate:
    """Open, it lets every request through; closed, it holds them until it opens. A test
    decides when a slow service answers instead of sleeping for it: `reached(n)` waits until
    `n` requests in all came to it closed."""

    def __init__(self) -> None:
        self.arrivals = 0
        self._open = asyncio.Event()
        self._open.set()
        self._arrived = asyncio.Event()

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def passage(self) -> None:
        if self._open.is_set():
            return
        self.arrivals += 1
        self._arrived.set()
        await self._open.wait()

    async def reached(self, arrivals: int, *, guard: float = 30.0) -> None:
        """Waits until `arrivals` requests came to the closed gate; `guard` real seconds only
        turn a hang into a failure."""
        async with asyncio.timeout(guard):
            while self.arrivals < arrivals:
                self._arrived.clear()
                await self._arrived.wait()


class LocalServer:
    _runner: web.AppRunner | None = None
    _port = 0

    def __init__(self) -> None:
        self.gate = Gate()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self.gate.open()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError


class FakeServer(LocalServer):
    """`calls`: every request. `violations`: requests the real service would refuse as
    malformed (subclasses add their own)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.busy = 0.0
        """Seconds spent answering (past the gate): the fake's own work, for a bench to set apart."""
        self._faults: list[_Fault] = []

    def log(self) -> list[str]:
        """The calls as "METHOD path status" lines, for snapshots."""
        return [str(c) for c in self.calls]

    def fail(
        self,
        path: str,
        status: int = 500,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """The next `times` requests whose path contains `path` get this answer instead (the
        service's usual error body unless `body` is given)."""
        body = self.fault_body(status) if body is None else body
        self._faults.append(_Fault(path, status, times, headers or {}, body))

    def fault_body(self, status: int) -> Any:
        return {"message": f"Injected fault {status}"}

    def invalid(self, problem: str) -> Answer:
        """A request the real service would refuse as malformed: a violation of the spec."""
        self.violations.append(problem)
        return Answer(400, {"message": problem})

    async def route(self, request: web.Request, body: Any) -> Answer:
        raise NotImplementedError

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body: Any = None
        await self.gate.passage()
        started = time.perf_counter()
        try:
            body = await self._read_body(request)
            self._inject_faults(request.path)
            answer = await self.route(request, body)
        except Answer as error:
            answer = error
        self.calls.append(
            Call(request.method, request.path, body, answer.status, dict(request.query))
        )
        response = answer.response()
        self.busy += time.perf_counter() - started
        return response

    async def _read_body(self, request: web.Request) -> Any:
        if not request.body_exists:
            return None
        if request.content_type == "application/x-www-form-urlencoded":
            return dict(await request.post())
        if request.content_type != "application/json":
            raise self.invalid(f"{request.path}: body sent as {request.content_type}")
        try:
            return await request.json()
        except ValueError:
            raise self.invalid(f"{request.path}: the body is not JSON") from None

    def _inject_faults(self, path: str) -> None:
        for fault in self._faults:
            if fault.path in path:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise Answer(fault.status, fault.body, fault.headers)
