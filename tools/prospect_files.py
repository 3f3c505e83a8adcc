"""A file of prospects as an admin sends it (CSV or XLSX, headers in Russian or English): read
into rows, then checked row by row against what the team already has. Pure: the caller brings
the bytes, the prospects already known and the active reps."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from openpyxl import load_workbook

from tools.names import NAME_MAX, one_line, storable

TEXT_MAX = 2000
"""How much of a context or a note cell is kept."""

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "имя", "фио", "полноеимя", "имяфамилия", "клиент", "client"),
    "email": ("email", "mail", "почта", "электроннаяпочта", "емейл", "имейл", "емаил"),
    "telegram": (
        "telegram",
        "телеграм",
        "телеграмм",
        "tg",
        "тг",
        "username",
        "telegramusername",
        "ник",
    ),
    "context": ("context", "контекст", "комментарий", "comment", "запрос", "request"),
    "notes": ("notes", "note", "заметки", "заметка", "примечание", "примечания"),
    "rep": ("rep", "менеджер", "owner", "manager", "ответственный", "владелец"),
}
"""Each field and the headers that mean it, as `_header` spells them."""

_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_HANDLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/", re.IGNORECASE)
_ENCODINGS = ("utf-8-sig", "cp1251")
KINDS = ("csv", "xlsx")


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    max_rows: int


class FileRefused(Exception):
    """The file as a whole cannot be imported: `key` names the reason (`import.refused.*`)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Row:
    """One row as read, `number` as a spreadsheet shows it (the header is row 1)."""

    number: int
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True, slots=True)
class Sheet:
    rows: list[Row]
    ignored: list[str] = field(default_factory=list)
    """Headers that mean no field, left out."""


def kind_of(file_name: str | None, mime_type: str | None = None) -> str | None:
    """ "csv", "xlsx", or None for a document that is neither."""
    name = (file_name or "").lower()
    mime = (mime_type or "").lower()
    if name.endswith(".xlsx") or mime.endswith("spreadsheetml.sheet"):
        return "xlsx"
    if name.endswith(".csv") or mime in ("text/csv", "application/csv"):
        return "csv"
    return None


def read(content: bytes, kind: str, *, limits: Limits) -> Sheet:
    """The rows of a file, its empty rows left out."""
    if len(content) > limits.max_bytes:
        raise FileRefused("too_big", limit=limits.max_bytes // 1024)
    table = _xlsx(content) if kind == "xlsx" else _csv(content)
    header = next(table, None)
    if header is None:
        raise FileRefused("empty")
    columns = [_ALIASES.get(_header(h)) for h in header]
    if "name" not in columns:
        raise FileRefused("no_name", found=", ".join(h for h in header if h.strip()) or "—")
    rows: list[Row] = []
    for number, values in enumerate(table, start=2):
        cells = {
            column: value.strip()
            for column, value in zip(columns, values, strict=False)
            if column and value.strip()
        }
        if not any(v.strip() for v in values):
            continue
        if len(rows) == limits.max_rows:
            raise FileRefused("too_many_rows", limit=limits.max_rows)
        rows.append(Row(number, cells))
    if not rows:
        raise FileRefused("empty")
    ignored = [h.strip() for h, c in zip(header, columns, strict=False) if c is None and h.strip()]
    return Sheet(rows, ignored)


def _header(text: str) -> str:
    return re.sub(r"[\s._\-/]+", "", text.casefold().replace("ё", "е"))


def _csv(content: bytes) -> Iterator[list[str]]:
    text = _decoded(content)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        first = text.partition("\n")[0]
        dialect = csv.excel_tab if first.count("\t") > first.count(",") else csv.excel
        if first.count(";") > max(first.count(","), first.count("\t")):
            dialect = _Semicolon
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as e:
        raise FileRefused("unreadable") from e


class _Semicolon(csv.excel):
    delimiter = ";"


def _decoded(content: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return storable(content.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise FileRefused("unreadable")


def _xlsx(content: bytes) -> Iterator[list[str]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # a damaged or foreign file fails in many ways, all of them this
        raise FileRefused("unreadable") from e
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return storable(str(value))


@dataclass(frozen=True, slots=True)
class Owner:
    """An active rep a row may name as its owner."""

    id: UUID
    name: str
    email: str
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A row that becomes a prospect."""

    number: int
    name: str
    email: str | None = None
    telegram: str | None = None
    context: str | None = None
    notes: str | None = None
    owner: Owner | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """A row left out: `reason` names why (`import.reason.*`), `value` what was wrong."""

    number: int
    reason: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Preview:
    new: list[Candidate]
    known: list[Candidate]
    """Rows whose email or Telegram a prospect already has."""
    invalid: list[Problem]
    ignored: list[str] = field(default_factory=list)


def emails_and_handles(sheet: Sheet) -> tuple[list[str], list[str]]:
    """What to look up among the prospects already known, lower case."""
    emails = {e.lower() for r in sheet.rows if (e := email(r.get("email")))}
    handles = {h.lower() for r in sheet.rows if (h := handle(r.get("telegram")))}
    return sorted(emails), sorted(handles)


def check(
    sheet: Sheet, *, known_emails: Iterable[str], known_handles: Iterable[str], owners: list[Owner]
) -> Preview:
    """Each row: new, already known (by email or Telegram), or invalid and why. A row repeating
    an earlier row's email or Telegram is invalid: the earlier one is kept."""
    known = {e.lower() for e in known_emails} | {h.lower() for h in known_handles}
    seen: dict[str, int] = {}
    new: list[Candidate] = []
    old: list[Candidate] = []
    invalid: list[Problem] = []
    for row in sheet.rows:
        outcome = _candidate(row, owners)
        if isinstance(outcome, Problem):
            invalid.append(outcome)
            continue
        keys = [k.lower() for k in (outcome.email, outcome.telegram) if k]
        if first := next((seen[k] for k in keys if k in seen), None):
            invalid.append(Problem(row.number, "repeats", str(first)))
            continue
        seen.update(dict.fromkeys(keys, row.number))
        (old if any(k in known for k in keys) else new).append(outcome)
    return Preview(new, old, invalid, sheet.ignored)


def _candidate(row: Row, owners: list[Owner]) -> Candidate | Problem:
    name = one_line(row.get("name"))
    if not name:
        return Problem(row.number, "no_name")
    if len(name) > NAME_MAX:
        return Problem(row.number, "long_name", one_line(name, 40))
    typed_email, typed_handle = row.get("email"), row.get("telegram")
    address = email(typed_email)
    if typed_email and address is None:
        return Problem(row.number, "bad_email", one_line(typed_email, 60))
    tg = handle(typed_handle)
    if typed_handle and tg is None:
        return Problem(row.number, "bad_telegram", one_line(typed_handle, 60))
    owner = None
    if typed_rep := row.get("rep"):
        found = _owners(typed_rep, owners)
        if len(found) != 1:
            reason = "ambiguous_rep" if found else "unknown_rep"
            return Problem(row.number, reason, one_line(typed_rep, 60))
        owner = found[0]
    return Candidate(
        row.number,
        name,
        address,
        tg,
        _text(row.get("context")),
        _text(row.get("notes")),
        owner,
    )


def email(typed: str) -> str | None:
    address = typed.strip().strip("<>").lower()
    if address.startswith("mailto:"):
        address = address.removeprefix("mailto:")
    return address if address and len(address) <= 255 and _EMAIL.match(address) else None


def handle(typed: str) -> str | None:
    """ "@name" for a Telegram username however it was written (`name`, `@name`, a t.me link)."""
    name = _LINK.sub("", typed.strip()).lstrip("@").rstrip("/")
    return f"@{name}" if _HANDLE.match(name) else None


def _owners(typed: str, owners: list[Owner]) -> list[Owner]:
    ref = " ".join(typed.casefold().replace("ё", "е").split())
    by_id = [o for o in owners if ref in (o.email.lower(), f"@{(o.username or '').lower()}")]
    if by_id:
        return by_id
    return [o for o in owners if " ".join(o.name.casefold().replace("ё", "е").split()) == ref]


def _text(typed: str) -> str | None:
    text = storable(typed).strip()[:TEXT_MAX]
    return text or None
