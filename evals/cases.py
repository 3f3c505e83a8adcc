"""An eval case as the datasets write it: the frozen clock, the rows added to the default state,
the turns with their gold tool calls and replies, and what must hold at the end."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from agent.settings import Settings, SettingsError, default_settings
from db.scheduler import EventKind
from evals.crm import World
from evals.google import World as GoogleWorld

DATASETS = Path(__file__).parent / "datasets"
BUTTONS = ("confirm", "cancel", "approve", "reject")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Strict):
    id: int
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None


class Setup(_Strict):
    admins: list[int] = Field(default_factory=lambda: [1000])
    reps: list[dict[str, Any]] = Field(default_factory=list)
    prospects: list[dict[str, Any]] = Field(default_factory=list)
    meetings: list[dict[str, Any]] = Field(default_factory=list)
    deals: list[dict[str, Any]] = Field(default_factory=list)
    activities: list[dict[str, Any]] = Field(default_factory=list)


Call = dict[str, dict[str, Any]]


class File(_Strict):
    """A document the person sends: its name and, for a CSV, its text (its file_id is its name)."""

    name: str
    text: str


class Voice(_Strict):
    """A voice note the person sends: what it says (the transcription server hears exactly
    that) and how long it is."""

    say: str
    seconds: int = Field(default=20, ge=1)


class Turn(_Strict):
    """One of: a message (`from` + `say`), a document (`from` + `file`), a voice note (`from` +
    `voice`), a button press (`from` + `press`), a scheduler event (`event` + `to` + `data`),
    or a scheduler tick (`tick: true`) that queues what is due.
    `advance` moves the frozen clock first (`{hours: 2}`); `replying: TEXT` sends the message as
    a reply to the latest one that person received with TEXT in it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sender: int | Person | None = Field(default=None, alias="from")
    say: str | None = None
    replying: str | None = None
    file: File | None = None
    voice: Voice | None = None
    press: str | None = None
    event: EventKind | None = None
    to: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    tick: bool = False
    advance: dict[str, float] | None = None
    calls: list[Call] = Field(default_factory=list)
    reply: str | None = None
    coach: dict[str, Any] | None = None
    """The deal coach's structured answer, when a gold call is `analyze_deal`."""

    @field_validator("calls")
    @classmethod
    def _one_tool_each(cls, calls: list[Call]) -> list[Call]:
        for call in calls:
            if len(call) != 1:
                raise ValueError(f"each call is {{TOOL: {{ARGS}}}}, got {call}")
        return calls

    @model_validator(mode="after")
    def _one_kind(self) -> Turn:
        named = ("say", "file", "voice", "press", "event")
        kinds = [k for k in named if getattr(self, k) is not None]
        kinds += ["tick"] if self.tick else []
        if len(kinds) != 1:
            raise ValueError(
                f"a turn is one of say, file, voice, press, event or tick; got {kinds or 'none'}"
            )
        if (self.say is not None or self.press is not None) and self.sender is None:
            raise ValueError("a message or a press needs `from`")
        if self.replying is not None and self.say is None:
            raise ValueError("only a message (`say`) can be `replying`")
        if (self.file is not None or self.voice is not None) and self.sender is None:
            raise ValueError("a file or a voice note needs `from`")
        if self.event is not None and self.to is None:
            raise ValueError("an event needs `to`")
        if self.press is not None and self.press not in BUTTONS:
            raise ValueError(f"press one of {', '.join(BUTTONS)}, not {self.press!r}")
        return self

    @property
    def chat_id(self) -> int | None:
        if self.event is not None:
            return self.to
        return self.sender.id if isinstance(self.sender, Person) else self.sender

    @property
    def delta(self) -> timedelta:
        return timedelta(**self.advance) if self.advance else timedelta()

    def gold(self) -> list[tuple[str, dict[str, Any]]]:
        return [next(iter(call.items())) for call in self.calls]


class Sent(_Strict):
    to: int
    contains: list[str] = Field(default_factory=list)
    buttons: list[str] = Field(default_factory=list)
    absent: bool = False
    """True: no message to `to` contains all of `contains` (or none at all, if empty)."""


class Expect(_Strict):
    reps: list[dict[str, Any]] = Field(default_factory=list)
    prospects: list[dict[str, Any]] = Field(default_factory=list)
    meetings: list[dict[str, Any]] = Field(default_factory=list)
    events: list[dict[str, Any]] = Field(default_factory=list)
    """Scheduler events queued during the case: `{to: ID, event: KIND, status: done}`; `data`
    names part of what the event carried (keys of a mapping, each item of a list)."""

    @field_validator("events")
    @classmethod
    def _known_kinds(cls, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for event in events:
            if "event" in event:
                EventKind(event["event"])
        return events

    sent: list[Sent] = Field(default_factory=list)
    refused: list[str] = Field(default_factory=list)
    language: Literal["ru", "en"] | None = None
    outside_calls: list[dict[str, Any]] = Field(default_factory=list)
    """Writes to Google, Zoom and HubSpot (sandboxed or not), per prospect: `{service: hubspot,
    operation: notes.create, prospect_name: NAME, times: 1}`."""
    practices: list[dict[str, Any]] = Field(default_factory=list)
    """Practice calls: `{rep: ID, prospect_name: NAME, status: finished, objections: 3}`."""
    deals: list[dict[str, Any]] = Field(default_factory=list)
    """Deals: `{prospect_name: NAME, rep: ID, stage: qualifiedtobuy, amount: 250000}`."""


class Case(_Strict):
    name: str
    tags: list[str] = Field(default_factory=list)
    clock: datetime
    setup: Setup = Field(default_factory=Setup)
    settings: dict[str, Any] = Field(default_factory=dict)
    """Settings over a fresh machine's, e.g. `{transcription_model: none}`."""
    hubspot: World | None = None
    """The HubSpot account the case runs against (a local fake, read by the real client)."""
    google: GoogleWorld | None = None
    """The reps' Google Calendars the case runs against (a local fake, read by the real client)."""
    turns: list[Turn]
    expect: Expect = Field(default_factory=Expect)
    source: str = ""
    """The dataset file it came from (filled in by the loader)."""

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, values: dict[str, Any]) -> dict[str, Any]:
        if unknown := sorted(set(values) - set(Settings.model_fields)):
            raise ValueError(f"no such setting: {', '.join(unknown)}")
        try:
            default_settings(**values)
        except SettingsError as e:
            raise ValueError(str(e)) from None
        return values

    @model_validator(mode="after")
    def _changes_in_turns(self) -> Case:
        for change in self.hubspot.changes if self.hubspot else []:
            if change.before_turn > len(self.turns):
                raise ValueError(f"hubspot change before turn {change.before_turn}: no such turn")
        for event in self.google.changes if self.google else []:
            if event.before_turn > len(self.turns):
                raise ValueError(f"google change before turn {event.before_turn}: no such turn")
        for made in self.google.events if self.google else []:
            if (made.before_turn or 0) > len(self.turns):
                raise ValueError(f"google event before turn {made.before_turn}: no such turn")
        connected = {str(r.get("email", "")).lower() for r in self.setup.reps if r.get("calendar")}
        for calendar in self.google.calendars if self.google else []:
            if calendar not in connected:
                raise ValueError(f"google calendar {calendar}: no rep with it connected in setup")
        return self

    @field_validator("clock")
    @classmethod
    def _with_offset(cls, clock: datetime) -> datetime:
        if clock.tzinfo is None:
            raise ValueError("clock needs an offset, e.g. 2026-11-20T10:00:00+08:00")
        return clock


_CASES = TypeAdapter(list[Case])


class DatasetError(ValueError):
    pass


def load(paths: list[Path] | None = None) -> list[Case]:
    """The cases of the given files or folders (default: every dataset), names unique."""
    files = _files(paths or [DATASETS])
    cases: list[Case] = []
    for file in files:
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8")) or []
            cases += [
                c.model_copy(update={"source": file.name}) for c in _CASES.validate_python(raw)
            ]
        except (yaml.YAMLError, ValueError) as e:
            raise DatasetError(f"{file}: {e}") from e
    seen: set[str] = set()
    for case in cases:
        if case.name in seen:
            raise DatasetError(f"case {case.name!r} is defined twice")
        seen.add(case.name)
    return cases


def _files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("*.yaml"))
        elif path.exists():
            files.append(path)
        else:
            raise DatasetError(f"{path}: no such file or folder")
    return files
