"""Every text exists in both languages with the same placeholders, and each language stays in its own script."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from core.i18n import LANGUAGES, _texts, keys

LOCALES = Path(__file__).resolve().parents[1] / "core" / "locales"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]")


def placeholders(text: str) -> set[str] | None:
    """The `{name}` fields of a format string; None for a text that is no format string (LaTeX, used as is)."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field]
    except ValueError:
        return None
    return {field.split(".")[0].split("[")[0] for field in fields}


def test_every_topic_file_exists_in_both_languages() -> None:
    files = {lang: {path.name for path in (LOCALES / lang).glob("*.json")} for lang in LANGUAGES}
    assert files["en"] == files["ja"]


@pytest.mark.parametrize("path", sorted((LOCALES / "en").glob("*.json")), ids=lambda path: path.name)
def test_locale_files_are_valid_json(path: Path) -> None:
    for lang in LANGUAGES:
        json.loads((LOCALES / lang / path.name).read_text(encoding="utf-8"))


def test_every_key_exists_in_both_languages() -> None:
    assert keys("en") - keys("ja") == set(), "missing in ja"
    assert keys("ja") - keys("en") == set(), "missing in en"


def test_placeholders_match() -> None:
    english, japanese = _texts("en"), _texts("ja")
    wrong = {key: (placeholders(english[key]), placeholders(japanese[key])) for key in english if key in japanese}
    assert {key: pair for key, pair in wrong.items() if pair[0] != pair[1]} == {}


def test_texts_are_non_empty_strings() -> None:
    for lang in LANGUAGES:
        assert all(isinstance(text, str) and text.strip() for text in _texts(lang).values()), lang


def test_english_texts_contain_no_japanese() -> None:
    assert {key: text for key, text in _texts("en").items() if JAPANESE.search(text)} == {}
