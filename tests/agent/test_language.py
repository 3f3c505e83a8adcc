"""The user's language and their yes / no to a confirmation, in either language."""

import pytest

from agent.language import detect, from_code, yes_or_no


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("да", True),
        ("Да, конечно!", True),
        ("ок", True),
        ("Yes please", True),
        ("go ahead.", True),
        ("нет", False),
        ("No!", False),
        ("отмена", False),
        ("да, но завтра", None),
        ("maybe", None),
        ("", None),
        (None, None),
    ],
)
def test_yes_or_no(said, answer):
    assert yes_or_no(said) is answer


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Привет, я Иван", "ru"),
        ("hello there", "en"),
        ("ivan@truerealestate.bali", None),
        ("написал @test_buyer_alex", "ru"),
        ("👍", None),
    ],
)
def test_detect(text, language):
    assert detect(text) == language


def test_telegram_language_codes():
    assert (from_code("ru"), from_code("en-US"), from_code("uk"), from_code(None)) == (
        "ru",
        "en",
        "en",
        None,
    )
