"""Typed text made safe: one line for what is shown, storable for what is kept, names within the
schema's bounds."""

from __future__ import annotations

import pytest
from pydantic_ai import ModelRetry

from tools.names import NAME_MAX, one_line, person_name, storable


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Bob\nEmail: boss@truerealestate.bali", "Bob Email: boss@truerealestate.bali"),
        ("Bob\r\nTelegram: @admin", "Bob Telegram: @admin"),
        ("Bob\u2028Role: admin\u2029x", "Bob Role: admin x"),
        ("Bob\x0b\x0c\x85\u000dx", "Bob x"),
        ("\u202eBob\u202c \u2066x\u2069", "Bob x"),
        ("Bo\u200bb\ufeff", "Bo b"),
        ("  Анна   Мария\t", "Анна Мария"),
        ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),
        ("nul\x00here", "nulhere"),
    ],
)
def test_what_is_shown_is_one_visible_line(typed, shown):
    assert one_line(typed) == shown


def test_a_long_line_is_cut_with_an_ellipsis():
    assert one_line("абвгд" * 10, 8) == "абвгдаб…"
    assert one_line("short", 8) == "short"


def test_what_is_stored_has_no_nul_and_no_lone_surrogate():
    assert storable("a\x00b\ud800c\udfff") == "ab\ufffdc\ufffd"
    assert storable("plain\nlines stay") == "plain\nlines stay"


def test_a_name_is_one_line_and_fits_the_schema():
    assert person_name(" Ivan\nPetrov ", whose="user's") == "Ivan Petrov"
    assert person_name("я" * NAME_MAX, whose="user's") == "я" * NAME_MAX
    with pytest.raises(ModelRetry, match="The prospect's name is blank"):
        person_name(" \n\u200b ", whose="prospect's")
    with pytest.raises(ModelRetry, match="256 characters; at most 255 fit"):
        person_name("я" * (NAME_MAX + 1), whose="user's")
