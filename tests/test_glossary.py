"""The glossary: one word per concept, the very words the pages use, in both languages."""

from __future__ import annotations

import pytest

from core.i18n import _texts
from core.lecture import GLOSSARY

# Words a page of this project must not use for a concept the glossary names (one word per concept).
AVOID = {"ja": {"訓練損失": ("学習損失",), "訓練データ": ("学習データ",)}, "en": {"over-fitting": ("overfitting",)}}
GLOSSARY_CHECKED = (
    "optimizers",
    "loss_functions",
    "glossary",
)  # the topics whose words this test holds to the glossary


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_glossary_uses_the_words_the_pages_use(lang: str):
    texts = _texts(lang)
    assert {key.split(".")[2] for key in texts if key.startswith("glossary.terms.")} == set(GLOSSARY)
    pages = [text for key, text in texts.items() if not key.startswith("glossary.")]
    for term in GLOSSARY:
        word = texts[f"glossary.terms.{term}.term"]
        assert any(word in text for text in pages), word
    checked = [text for key, text in texts.items() if key.split(".")[0] in GLOSSARY_CHECKED]
    for avoided in AVOID[lang].values():
        assert not [text for text in checked for word in avoided if word in text]
