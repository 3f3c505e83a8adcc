"""How long reading and checking a file of prospects takes, CSV and XLSX, at the row limit:
`python -m bench.prospect_file [ROWS]`. No database: the known contacts are given."""

from __future__ import annotations

import io
import statistics
import sys
import time
from uuid import UUID

from openpyxl import Workbook

from tools.prospect_files import Limits, Owner, check, emails_and_handles, read

HEADER = ["Имя", "Почта", "Телеграм", "Контекст", "Менеджер"]


def _rows(n: int) -> list[list[str]]:
    rep = ["Иван Иванов", ""]
    return [
        [f"Клиент {i}", f"client{i}@example.com", f"@client_{i:05}", "вилла в Убуде", rep[i % 2]]
        for i in range(n)
    ]


def _csv(n: int) -> bytes:
    lines = [";".join(HEADER), *(";".join(r) for r in _rows(n))]
    return "\n".join(lines).encode("cp1251")


def _xlsx(n: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *_rows(n)]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _timed(content: bytes, kind: str, rows: int) -> list[float]:
    limits = Limits(max_bytes=20 << 20, max_rows=rows)
    owners = [Owner(UUID(int=1), "Иван Иванов", "ivan@truerealestate.bali")]
    seconds = []
    for _ in range(5):
        started = time.perf_counter()
        sheet = read(content, kind, limits=limits)
        emails, _ = emails_and_handles(sheet)
        check(sheet, known_emails=emails[:10], known_handles=[], owners=owners)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    for kind, content in (("csv", _csv(rows)), ("xlsx", _xlsx(rows))):
        seconds = _timed(content, kind, rows)
        print(
            f"{kind:5} {rows} rows, {len(content) // 1024} KB: "
            f"median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
