"""python-telegram-bot over aiohttp instead of httpx: the same Bot API, errors and timeouts,
at about half the CPU per call (httpx's connection pool and anyio layers cost more than the
rest of a send). PTB still builds every request and parses every answer but getUpdates'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import aiohttp
from telegram import Bot
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        connections: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        write = self._write if isinstance(write_timeout, DefaultValue) else write_timeout
        if files and isinstance(write_timeout, DefaultValue):
            write = self._media_write
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no write timeout of its own: the read one starts once the request is out.
        timeout = aiohttp.ClientTimeout(
            connect=_sum(connect, pool), sock_read=_sum(read, write), total=None
        )
        data = _body(request_data, files)
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as res:
                return res.status, await res.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> Any:
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, content in files.items():
        if isinstance(content, tuple):
            filename, payload, *rest = content
            form.add_field(name, payload, filename=filename, content_type=rest[0] if rest else None)
        else:
            form.add_field(name, content)
    return form


def _sum(*seconds: float | None) -> float | None:
    return None if any(s is None for s in seconds) else sum(s for s in seconds if s is not None)


class TelegramBot(Bot):
    """The bot the app runs: `make_bot` gives it aiohttp underneath."""

    async def get_updates_json(
        self, offset: int | None, *, long_poll: int, allowed_updates: Sequence[str]
    ) -> list[dict[str, Any]]:
        """getUpdates as Telegram sent them: the inbox keeps that JSON, and PTB's objects, made
        only to be turned back into it, cost more than the rest of the poll."""
        data = {"offset": offset, "timeout": long_poll, "allowed_updates": allowed_updates}
        read_timeout = (self._request[0].read_timeout or 0) + long_poll
        raw = await self._post("getUpdates", data, read_timeout=read_timeout)
        return cast(list[dict[str, Any]], raw)


def make_bot(
    token: str, *, base_url: str, base_file_url: str = "https://api.telegram.org/file/bot"
) -> TelegramBot:
    """getUpdates gets a connection of its own, as with PTB's defaults."""
    return TelegramBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(connections=1),
    )
