"""Every text code writes to people, one TOML file per language in this folder (`ru.toml`,
`en.toml`). The languages are the files present: a new language is one new file. A text is
found by a dotted key ("question.meeting") and filled with named values."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

DEFAULT = "ru"
"""The team's own language: for a person of whom nothing is known yet."""
FOREIGN = "en"
"""For a person whose language has no file: they read English sooner than Russian."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Language -> key -> template."""

    templates: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, folder: Traversable | Path) -> Catalogue:
        files = (f for f in folder.iterdir() if f.name.endswith(".toml"))
        return cls(
            {
                f.name.removesuffix(".toml"): _flat(tomllib.loads(f.read_text(encoding="utf-8")))
                for f in files
            }
        )

    @property
    def languages(self) -> list[str]:
        """The default language first, then the others by code."""
        return sorted(self.templates, key=lambda code: (code != DEFAULT, code))

    def language_of(self, code: str | None) -> str:
        """The language to write in for a language code ("en", "ru-RU", Telegram's "pt-br").
        A stored one or a Telegram one alike; nothing known gives the default."""
        if not code:
            return DEFAULT
        primary = code.replace("_", "-").split("-")[0].lower()
        if primary in self.templates:
            return primary
        return FOREIGN if FOREIGN in self.templates else DEFAULT

    def has(self, key: str) -> bool:
        return key in self.templates[DEFAULT]

    def text(self, key: str, language: str | None, **values: object) -> str:
        return self.templates[self.language_of(language)][key].format(**values)


def _flat(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        if isinstance(value, Mapping):
            flat |= _flat(value, f"{prefix}{name}.")
        else:
            flat[prefix + name] = str(value)
    return flat


@functools.cache
def catalogue() -> Catalogue:
    return Catalogue.load(resources.files("tools.texts"))


def languages() -> list[str]:
    return catalogue().languages


def language_of(code: str | None) -> str:
    return catalogue().language_of(code)


def has(key: str) -> bool:
    return catalogue().has(key)


def text(key: str, language: str | None, **values: object) -> str:
    """The text `key` in `language` (picked by `language_of`), filled with `values`."""
    return catalogue().text(key, language, **values)
