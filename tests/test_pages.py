"""The page declarations (core/pages.py): one per page file, each with its texts, and every page named elsewhere is
declared.

A new page is one declaration plus its file and texts: these tests fail until all three are there."""

from __future__ import annotations

from pathlib import Path

from core.claims import CLAIMS
from core.config import KNOBS
from core.i18n import LANGUAGES, keys
from core.lecture import SCENARIOS
from core.pages import HOME, LECTURE_PARAMS, PAGES, page

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_file_is_declared_once_and_every_declaration_has_its_file() -> None:
    files = {HOME.path, *(path.relative_to(ROOT).as_posix() for path in (ROOT / "pages").glob("*.py"))}
    assert sorted(shown.path for shown in PAGES) == sorted(files)
    ids = [shown.id for shown in PAGES]
    assert len(set(ids)) == len(ids) and all(id_.isidentifier() for id_ in ids)  # a word: no dot, no other's prefix
    assert HOME.path == "app.py" and all(page(shown.id) is shown for shown in PAGES)


def test_every_page_has_its_texts_in_both_languages() -> None:
    """Its topic (`<id>.json`, with its title), its navigation entry, and for a lesson its card on the home page."""
    for lang in LANGUAGES:
        texts = keys(lang)
        for shown in PAGES:
            assert (ROOT / "core" / "locales" / lang / f"{shown.id}.json").is_file(), (lang, shown.id)
            assert {f"{shown.id}.title", f"nav.{shown.id}"} <= texts, (lang, shown.id)
            assert shown == HOME or f"home.lessons.{shown.id}" in texts, (lang, shown.id)


def test_a_page_declares_knobs_by_their_names_and_its_own_settings_under_other_names() -> None:
    for shown in PAGES:
        assert set(shown.knobs) <= KNOBS.keys(), shown.id
        assert not set(shown.params) & (KNOBS.keys() | LECTURE_PARAMS), shown.id
        assert len(set(shown.knobs) | set(shown.params)) == len(shown.knobs) + len(shown.params), shown.id


def test_scenarios_and_claims_name_declared_pages() -> None:
    declared = {shown.id for shown in PAGES}
    assert {scenario.page for scenario in SCENARIOS} <= declared
    assert {claim.page for claim in CLAIMS} <= declared
