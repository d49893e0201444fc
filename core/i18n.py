"""Japanese and English texts. Every visible string goes through `t`.

Texts live in `locales/<lang>/<topic>.json`, one file per topic (a page, the errors, the sidebar ...);
the key `topic.a.b` is `a.b` inside `<topic>.json`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "en"
_LOCALES = Path(__file__).with_name("locales")


@cache
def _texts(lang: str) -> dict[str, str]:
    """All locale files of `lang`, flattened to dotted keys."""
    flat: dict[str, str] = {}

    def walk(node: dict, prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[prefix + key] = value

    for path in sorted((_LOCALES / lang).glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")), f"{path.stem}.")
    return flat


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled from `params`."""
    texts = _texts(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    if key not in texts:
        raise KeyError(f"no text {key!r} in locale {lang!r}")
    return texts[key].format(**params) if params else texts[key]


def keys(lang: str) -> set[str]:
    """All dotted keys of a locale (for tests that compare the two languages)."""
    return set(_texts(lang))


def join(items: list[str] | tuple[str, ...], lang: str = DEFAULT_LANGUAGE) -> str:
    """Items as one list in the language's own way: "a, b" in English, 「a、b」 in Japanese."""
    return t("common.list_separator", lang).join(items)


def sentences(texts: list[str] | tuple[str, ...], lang: str = DEFAULT_LANGUAGE) -> str:
    """Sentences one after another: a space between them in English, none in Japanese."""
    return ("" if lang == "ja" else " ").join(texts)
