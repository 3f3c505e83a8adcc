"""The text catalogue: every language has every text with the same named values, and a new
language is one new file."""

import json
import re
import shutil
import string
from pathlib import Path

import pytest

from tools import texts
from tools.texts import Catalogue

FOLDER = Path(texts.__file__).parent


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_the_languages_are_the_files_present_the_default_first():
    assert texts.languages() == ["ru", "en"]


@pytest.mark.parametrize("language", texts.languages())
def test_every_language_has_every_key(language):
    assert set(texts.catalogue().templates[language]) == set(texts.catalogue().templates["ru"])


@pytest.mark.parametrize("language", texts.languages())
def test_the_named_values_match_across_languages(language):
    templates = texts.catalogue().templates
    differ = {
        key: (_fields(template), _fields(templates[language][key]))
        for key, template in templates["ru"].items()
        if _fields(template) != _fields(templates[language][key])
    }
    assert differ == {}


@pytest.mark.parametrize("language", texts.languages())
def test_every_value_is_named(language):
    positional = [
        key
        for key, template in texts.catalogue().templates[language].items()
        if any(field == "" or field.isdigit() for field in _fields(template))
    ]
    assert positional == []


@pytest.mark.parametrize(
    ("code", "language"),
    [
        (None, "ru"),
        ("", "ru"),
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN_us", "en"),
        ("de", "en"),
        ("uk", "en"),
    ],
)
def test_the_language_picked_for_a_code(code, language):
    assert texts.language_of(code) == language


def test_a_text_is_filled_in_the_language_picked():
    assert texts.text("notice.reason", "en-US", reason="late") == "\nReason: late"
    assert texts.text("notice.reason", None, reason="поздно") == "\nПричина: поздно"


def test_a_third_language_is_one_new_file(tmp_path):
    for known in FOLDER.glob("*.toml"):
        shutil.copy(known, tmp_path)
    english = texts.catalogue().templates["en"]
    german = {key: f"[de] {template}" for key, template in english.items()}
    german["confirm.yes"] = "✅ Bestätigen"
    lines = (
        f"{json.dumps(key)} = {json.dumps(template, ensure_ascii=False)}"
        for key, template in german.items()
    )
    (tmp_path / "de.toml").write_text("\n".join(lines), encoding="utf-8")

    catalogue = Catalogue.load(tmp_path)

    assert catalogue.languages == ["ru", "de", "en"]
    assert catalogue.language_of("de-AT") == "de"
    assert catalogue.language_of("fr") == "en"
    assert catalogue.text("confirm.yes", "de") == "✅ Bestätigen"
    assert catalogue.text("notice.reason", "de", reason="spät") == "[de] \nReason: spät"
    assert catalogue.text("confirm.yes", "en") == "✅ Confirm"


def test_every_key_the_code_names_is_in_the_catalogue():
    root = FOLDER.parents[1]
    sources = [
        p.read_text(encoding="utf-8") for d in ("agent", "tools") for p in (root / d).rglob("*.py")
    ]
    named = {
        key for source in sources for key in re.findall(r'texts\.text\(\s*"([\w./]+)"', source)
    }
    assert named
    assert sorted(key for key in named if not texts.has(key)) == []
