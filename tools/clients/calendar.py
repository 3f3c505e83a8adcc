"""The real Google Calendar: google-api-python-client over httplib2, run in a worker thread per
call (the library is synchronous), the service built once and each thread keeping its own
connections (httplib2 is not thread-safe), with Google's errors turned into the typed ones and
every call under the shared retry policy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import google_auth_httplib2
import httplib2
from googleapiclient.discovery import build

from tools.clients.calendar_errors import SERVICE, Exists, freebusy_error, mapped_error
from tools.clients.calendar_models import (
    CalendarAccess,
    CalendarEvent,
    EventChanges,
    Interval,
    NewEvent,
    SyncedEvent,
    WatchChannel,
)
from tools.clients.calendar_resources import event_body, parse_time, rfc3339, synced_event
from tools.clients.errors import RemoteNotFound
from tools.clients.retry import DEFAULT_POLICY, RetryPolicy, retrying

PAGE_SIZE = 250


Service = Any  # a googleapiclient Resource: its methods are made at run time from the document
Request = Callable[[Service], Any]


class GoogleCalendar:
    """`api_endpoint` points the client elsewhere (a local fake: ".../calendar/v3/");
    `page_size` is how many events one page of a listing holds."""

    sandbox = False

    def __init__(
        self,
        *,
        api_endpoint: str | None = None,
        timeout: float = 20.0,
        policy: RetryPolicy = DEFAULT_POLICY,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._api_endpoint = api_endpoint
        self._page_size = page_size
        self._timeout = timeout
        self._policy = policy
        self._built: _Collections | None = None
        self._local = threading.local()
        self._opened: list[httplib2.Http] = []
        self._lock = threading.Lock()

    async def primary(self, access: CalendarAccess) -> str:
        calendar = await self._call(access, lambda s: s.calendars().get(calendarId="primary"))
        return str(calendar["id"])

    async def busy(
        self, access: CalendarAccess, *, start: datetime, end: datetime
    ) -> list[Interval]:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("busy() needs aware datetimes")
        body = {
            "timeMin": rfc3339(start),
            "timeMax": rfc3339(end),
            "timeZone": "UTC",
            "items": [{"id": "primary"}],
        }
        answer = await self._call(access, lambda s: s.freebusy().query(body=body))
        # One calendar was asked for; Google keys the answer by the id as asked.
        (entry,) = answer["calendars"].values()
        if errors := entry.get("errors"):
            raise freebusy_error(errors[0])
        return [
            Interval(parse_time(p["start"]), parse_time(p["end"])) for p in entry.get("busy", [])
        ]

    async def create_event(self, access: CalendarAccess, event: NewEvent) -> CalendarEvent:
        """Inserting an id that exists finds that event instead: safe to repeat."""
        body = event_body(event)
        try:
            created = await self._call(
                access,
                lambda s: s.events().insert(calendarId="primary", body=body, sendUpdates="all"),
            )
        except Exists:
            created = await self._call(
                access, lambda s: s.events().get(calendarId="primary", eventId=event.event_id)
            )
        return CalendarEvent(
            id=created["id"],
            html_link=created.get("htmlLink"),
            status=created.get("status", "confirmed"),
        )

    async def delete_event(self, access: CalendarAccess, event_id: str) -> None:
        await self._call(
            access,
            lambda s: s.events().delete(calendarId="primary", eventId=event_id, sendUpdates="all"),
        )

    async def move_event(
        self,
        access: CalendarAccess,
        event_id: str,
        *,
        start: datetime,
        end: datetime,
        timezone: str,
    ) -> None:
        """The attendees are told of the new time."""
        zone = ZoneInfo(timezone)
        body = {
            "start": {"dateTime": rfc3339(start, zone), "timeZone": timezone},
            "end": {"dateTime": rfc3339(end, zone), "timeZone": timezone},
        }
        await self._call(
            access,
            lambda s: s.events().patch(
                calendarId="primary", eventId=event_id, body=body, sendUpdates="all"
            ),
        )

    async def changes(
        self,
        access: CalendarAccess,
        *,
        sync_token: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EventChanges:
        query: dict[str, Any] = {"calendarId": "primary", "singleEvents": True}
        query["maxResults"] = self._page_size
        if sync_token is not None:
            query["syncToken"] = sync_token
        else:
            query |= {"showDeleted": True}
            query |= {"timeMin": rfc3339(start)} if start is not None else {}
            query |= {"timeMax": rfc3339(end)} if end is not None else {}
        events: list[SyncedEvent] = []
        page_token: str | None = None
        pages = 0
        while True:
            page = query | ({"pageToken": page_token} if page_token else {})
            answer = await self._call(access, _listing(page))
            pages += 1
            events += [synced_event(item) for item in answer.get("items", [])]
            page_token = answer.get("nextPageToken")
            if page_token is None:
                return EventChanges(tuple(events), str(answer["nextSyncToken"]), pages)

    async def watch(
        self, access: CalendarAccess, *, channel_id: str, address: str, token: str
    ) -> WatchChannel:
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token}
        answer = await self._call(
            access, lambda s: s.events().watch(calendarId="primary", body=body)
        )
        expires = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
        return WatchChannel(str(answer["id"]), str(answer["resourceId"]), expires)

    async def stop(self, access: CalendarAccess, *, channel_id: str, resource_id: str) -> None:
        """A channel already gone (stopped, expired) is as good as stopped."""
        body = {"id": channel_id, "resourceId": resource_id}
        try:
            await self._call(access, lambda s: s.channels().stop(body=body))
        except RemoteNotFound:
            return

    async def _call(self, access: CalendarAccess, request: Request) -> Any:
        return await retrying(
            self._policy,
            service=SERVICE,
            call=lambda: asyncio.to_thread(self._execute, access, request),
        )

    def _execute(self, access: CalendarAccess, request: Request) -> Any:
        http = google_auth_httplib2.AuthorizedHttp(access.credentials, http=self._http())
        try:
            return request(self._service()).execute(http=http)
        except Exception as error:
            mapped = mapped_error(error)
            if mapped is None:
                raise
            raise mapped from error

    def _http(self) -> httplib2.Http:
        """This thread's connections, kept open between calls (httplib2 must not share them
        between threads)."""
        http: httplib2.Http | None = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = httplib2.Http(timeout=self._timeout)
            with self._lock:
                self._opened.append(http)
        return http

    def _service(self) -> _Collections:
        """Built once from the bundled document; calls bring their own authorized Http."""
        with self._lock:
            if self._built is None:
                options = {"api_endpoint": self._api_endpoint} if self._api_endpoint else None
                service = build(
                    "calendar",
                    "v3",
                    http=httplib2.Http(timeout=self._timeout),
                    static_discovery=True,
                    cache_discovery=False,
                    client_options=options,
                )
                self._built = _Collections(service)
            return self._built

    def close(self) -> None:
        with self._lock:
            for http in self._opened:
                http.close()
            self._opened.clear()


class _Collections:
    """The service's collections, each made once: `service.events()` makes its methods (and
    their docstrings) anew on every call, which costs about as much as the request."""

    def __init__(self, service: Service) -> None:
        self._events = service.events()
        self._calendars = service.calendars()
        self._freebusy = service.freebusy()
        self._channels = service.channels()

    def events(self) -> Service:
        return self._events

    def calendars(self) -> Service:
        return self._calendars

    def freebusy(self) -> Service:
        return self._freebusy

    def channels(self) -> Service:
        return self._channels


def _listing(query: dict[str, Any]) -> Request:
    return lambda s: s.events().list(**query)
