import io
from uuid import UUID

import pytest
from inline_snapshot import snapshot
from openpyxl import Workbook

from tools.prospect_files import (
    FileRefused,
    Limits,
    Owner,
    Preview,
    check,
    emails_and_handles,
    handle,
    kind_of,
    read,
)

LIMITS = Limits(max_bytes=100_000, max_rows=50)
IVAN = Owner(UUID(int=1), "Иван Иванов", "ivan@truerealestate.bali", "ivan_rep")
OLGA = Owner(UUID(int=2), "Olga Smirnova", "olga@truerealestate.bali")
OLGA_TWO = Owner(UUID(int=3), "Olga Smirnova", "olga.s@truerealestate.bali")


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cells(content: bytes, kind: str = "csv") -> list[tuple[int, dict[str, str]]]:
    return [(r.number, dict(r.cells)) for r in read(content, kind, limits=LIMITS).rows]


def summary(preview: Preview) -> dict[str, object]:
    return {
        "new": [
            (c.number, c.name, c.email, c.telegram, c.owner and c.owner.name) for c in preview.new
        ],
        "known": [(c.number, c.name) for c in preview.known],
        "invalid": [(p.number, p.reason, p.value) for p in preview.invalid],
    }


def test_a_file_is_csv_or_xlsx_by_its_name_or_type():
    assert kind_of("leads.CSV") == "csv"
    assert kind_of("leads.xlsx") == "xlsx"
    assert kind_of("x", "text/csv") == "csv"
    assert (
        kind_of(None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") == "xlsx"
    )
    assert kind_of("leads.xls", "application/vnd.ms-excel") is None
    assert kind_of("photo.jpg", "image/jpeg") is None


def test_english_headers_with_commas_in_utf8():
    content = b"Full name,E-mail,Telegram,Context,Notes,Owner\nAnna Berg,anna@example.com,@anna_berg,villa,call after 5,Olga Smirnova\n"
    assert cells(content) == snapshot(
        [
            (
                2,
                {
                    "name": "Anna Berg",
                    "email": "anna@example.com",
                    "telegram": "@anna_berg",
                    "context": "villa",
                    "notes": "call after 5",
                    "rep": "Olga Smirnova",
                },
            )
        ]
    )


def test_russian_headers_with_semicolons_in_cp1251_as_excel_saves_them():
    content = "ФИО;Почта;Телеграм;Комментарий;Заметки;Менеджер\r\nПётр Сидоров;petr@example.ru;petr_s;ищет виллу;;Иван Иванов\r\n".encode(
        "cp1251"
    )
    assert cells(content) == snapshot(
        [
            (
                2,
                {
                    "name": "Пётр Сидоров",
                    "email": "petr@example.ru",
                    "telegram": "petr_s",
                    "context": "ищет виллу",
                    "rep": "Иван Иванов",
                },
            )
        ]
    )


def test_tabs_and_a_utf8_byte_order_mark():
    content = "\ufeffимя\temail\tтг\nАнна\ta@example.com\tanna_b\n".encode()
    assert cells(content) == snapshot(
        [(2, {"name": "Анна", "email": "a@example.com", "telegram": "anna_b"})]
    )


def test_one_column_and_quoted_cells_with_commas_and_line_breaks():
    assert cells(b"Name\nAnna\n\nBob\n") == snapshot([(2, {"name": "Anna"}), (4, {"name": "Bob"})])
    content = b'name,context\n"Berg, Anna","two lines\nof context"\n'
    assert cells(content) == snapshot(
        [(2, {"name": "Berg, Anna", "context": "two lines\nof context"})]
    )


def test_xlsx_is_read_from_its_first_sheet_numbers_as_typed():
    content = xlsx(
        [
            ["Имя", "E-mail", "Telegram", "Контекст"],
            ["Анна", None, None, 250000],
            [None],
            ["Bob", "bob@example.com", "https://t.me/bob_smith", None],
        ]
    )
    assert cells(content, "xlsx") == snapshot(
        [
            (2, {"name": "Анна", "context": "250000"}),
            (4, {"name": "Bob", "email": "bob@example.com", "telegram": "https://t.me/bob_smith"}),
        ]
    )


def test_columns_that_mean_nothing_are_left_out_and_named():
    sheet = read(b"name,phone,city\nAnna,+62 812,Ubud\n", "csv", limits=LIMITS)
    assert sheet.ignored == ["phone", "city"]
    assert sheet.rows[0].cells == {"name": "Anna"}


@pytest.mark.parametrize(
    ("content", "kind", "refused"),
    [
        (b"", "csv", ("empty", {})),
        (b"name,email\n\n,\n", "csv", ("empty", {})),
        (b"email,phone\na@example.com,1\n", "csv", ("no_name", {"found": "email, phone"})),
        (b"PK\x03\x04 not a workbook", "xlsx", ("unreadable", {})),
        (b"\x98\x98\xff\xfe", "csv", ("unreadable", {})),
        (b"name\n" + b"x\n" * 51, "csv", ("too_many_rows", {"limit": 50})),
        (b"name\n" + b"x" * 100_000, "csv", ("too_big", {"limit": 97})),
    ],
)
def test_a_file_that_cannot_be_imported_says_why(content, kind, refused):
    with pytest.raises(FileRefused) as e:
        read(content, kind, limits=LIMITS)
    assert (e.value.key, e.value.values) == refused


def test_exactly_the_row_limit_is_read():
    assert len(read(b"name\n" + b"x\n" * 50, "csv", limits=LIMITS).rows) == 50


def test_telegram_handles_are_normalized():
    assert [handle(t) for t in ("anna_b", "@Anna_B", "t.me/anna_b", "https://t.me/anna_b/")] == [
        "@anna_b",
        "@Anna_B",
        "@anna_b",
        "@anna_b",
    ]
    assert [handle(t) for t in ("abc", "@1anna", "anna b", "+62812345678", "@" + "a" * 33)] == [
        None
    ] * 5


def test_rows_are_checked_against_the_file_the_team_and_the_reps():
    content = "\n".join(
        [
            "name,email,telegram,rep",
            "Anna Berg,anna@example.com,@anna_berg,",
            ",nobody@example.com,,",
            "Bob,not-an-email,,",
            "Carl,,@c,",
            "Dina,dina@example.com,,Nobody Here",
            "Egor,egor@example.com,,Olga Smirnova",
            "Anna Again,ANNA@example.com,,",
            "Fedor,,@Anna_Berg,",
            "Gleb,gleb@example.com,,ivan@truerealestate.bali",
            "Hanna,,t.me/hanna_k,@ivan_rep",
            "Known One,KNOWN@example.com,,",
            "Known Two,,@known_tg,иван  иванов",
            "  ,  ,  ,",
        ]
    ).encode()
    sheet = read(content, "csv", limits=LIMITS)
    assert emails_and_handles(sheet) == snapshot(
        (
            [
                "anna@example.com",
                "dina@example.com",
                "egor@example.com",
                "gleb@example.com",
                "known@example.com",
                "nobody@example.com",
            ],
            ["@anna_berg", "@hanna_k", "@known_tg"],
        )
    )
    preview = check(
        sheet,
        known_emails=["known@example.com"],
        known_handles=["@KNOWN_TG"],
        owners=[IVAN, OLGA, OLGA_TWO],
    )
    assert summary(preview) == snapshot(
        {
            "new": [
                (2, "Anna Berg", "anna@example.com", "@anna_berg", None),
                (10, "Gleb", "gleb@example.com", None, "Иван Иванов"),
                (11, "Hanna", None, "@hanna_k", "Иван Иванов"),
            ],
            "known": [(12, "Known One"), (13, "Known Two")],
            "invalid": [
                (3, "no_name", ""),
                (4, "bad_email", "not-an-email"),
                (5, "bad_telegram", "@c"),
                (6, "unknown_rep", "Nobody Here"),
                (7, "ambiguous_rep", "Olga Smirnova"),
                (8, "repeats", "2"),
                (9, "repeats", "2"),
            ],
        }
    )


def test_a_name_too_long_for_the_database_is_an_invalid_row():
    sheet = read(b"name\n" + b"A" * 300 + b"\n", "csv", limits=LIMITS)
    preview = check(sheet, known_emails=[], known_handles=[], owners=[])
    assert [(p.number, p.reason) for p in preview.invalid] == [(2, "long_name")]


def test_names_become_one_line_and_long_context_is_cut():
    sheet = read(b'name,context\n"Anna\nBerg",' + b"c" * 3000 + b"\n", "csv", limits=LIMITS)
    (anna,) = check(sheet, known_emails=[], known_handles=[], owners=[]).new
    assert anna.name == "Anna Berg"
    assert anna.context is not None and len(anna.context) == 2000
