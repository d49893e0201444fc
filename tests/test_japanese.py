"""The Japanese texts: one word per concept on every page, polite endings, full-width brackets, ratios that read the
way the number goes, and the very placeholders of the English text."""

from __future__ import annotations

import re
import string

import pytest

from core.i18n import _texts

JAPANESE = "\u3040-\u30ff\u3400-\u9fff\uff01-\uff60\u3001\u3002\u300c-\u300f"  # kana, kanji, full-width forms
# Each concept: the one word every page uses for it, and the variants that word replaced (regular expressions).
WORDS = {
    "training_loss": ("訓練損失", ("学習損失",)),
    "training_data": ("訓練データ", ("学習データ", "訓練用")),
    "validation_data": ("検証データ", ("検証用",)),
    "accuracy": ("正解率", ("精度",)),
    "validation_accuracy": ("検証正解率", ("検証データの正解率",)),
    "initial_weights": ("初期の重み", ("初期重み",)),
    "cases_seen": ("見た症例数", ("事例",)),
    "patience": ("待つエポック数", ("待機",)),
    "decay_factor": ("減衰率 γ", ("係数",)),
    "overdose": ("過剰投与", ("過量",)),
    "penalty": ("ペナルティ", ("罰",)),
    "task": ("タスク", ("課題",)),
    "autopsy": ("剖検", ("検死",)),
    "updates": ("更新回数", ("修正の?回数",)),
    "step": ("一歩", (r"(?<![0-9.])1 ?歩",)),
    "stability_limit": ("上限", ("限界", "(?<!クラスの)境目")),  # 2/λmax; a boundary between classes stays 境目
    "schedule": ("学習率スケジュール", ("スケジューリング", "スケジューラ")),
    "plain_sgd": ("素の SGD", ("素朴な", "普通の勾配降下")),
    "simulated": ("模擬データ", ("生成データ",)),
    "breast_tumour": ("乳腺腫瘍", ("乳がん",)),
    "optimizer": ("最適化手法", ("オプティマイザ",)),
}
POLITE = (
    "です",
    "ます",
    "ました",
    "でした",
    "ません",
    "ましょう",
    "でしょう",
    "でしょうか",
    "ですか",
    "ますか",
    "ください",
)
LINK_SYNTAX = "つまみ:値"  # a run as a link writes it, with the half-width colon the reader types


def japanese() -> dict[str, str]:
    """Every Japanese text that holds Japanese words (formulas and code alone are left as they are)."""
    return {key: text for key, text in _texts("ja").items() if re.search(f"[{JAPANESE}]", text)}


@pytest.mark.parametrize("concept", WORDS)
def test_one_word_per_concept(concept: str) -> None:
    word, replaced = WORDS[concept]
    texts = japanese()
    assert any(word in text for text in texts.values()), word
    variants = re.compile("|".join(replaced))
    assert {key: text for key, text in texts.items() if variants.search(text)} == {}


def plain_endings(text: str) -> list[str]:
    """The sentences of `text` (up to 。？！) ending in kana but no polite form; remarks in brackets are left out."""
    while re.search(r"（[^（）]*）", text):
        text = re.sub(r"（[^（）]*）", "", text)
    sentences = (sentence[:-1].rstrip("*」 \n") for sentence in re.findall(r"[^。？！]*[。？！]", text))
    return [s for s in sentences if re.search(r"[\u3041-\u309f]$", s) and not s.endswith(POLITE)]


def test_polite_texts_end_every_sentence_politely() -> None:
    polite = {key: text for key, text in japanese().items() if re.search("です|ます", text)}
    assert {key: plain_endings(text) for key, text in polite.items() if plain_endings(text)} == {}


def test_plain_endings_are_found() -> None:
    assert plain_endings("損失は下がります。更新回数も多い。") == ["更新回数も多い"]
    assert plain_endings("これは過学習である。そうです（たぶん違う）。") == ["これは過学習である"]
    assert plain_endings("何が変わるでしょうか。**迷ったら Adam で 0.001。** 損失 = **{loss}**。この主張だけ") == []


def mismatched_brackets(text: str) -> list[str]:
    """Brackets that close a bracket of the other width, or close nothing, or stay open."""
    pairs, wrong, opened = {")": "(", "）": "（"}, [], []
    for char in text:
        if char in "(（":
            opened.append(char)
        elif char in pairs and (not opened or opened.pop() != pairs[char]):
            wrong.append(char)
    return wrong + opened


def test_japanese_sentences_use_full_width_brackets_and_punctuation() -> None:
    half_width = re.compile(rf"[{JAPANESE}][(?!,]|\([^()]*[{JAPANESE}][^()]*\)|[{JAPANESE}]:")
    texts = japanese()
    assert {key: text for key, text in texts.items() if mismatched_brackets(text)} == {}
    assert {key: text for key, text in texts.items() if half_width.search(text.replace(LINK_SYNTAX, ""))} == {}
    assert mismatched_brackets("比べます(標準偏差）") == ["）"] and half_width.search("比べます(標準偏差)")


def test_ratios_read_the_way_the_number_goes() -> None:
    """A placeholder or a decimal is never the N of "N 分の1": a ratio that may be above 1 is said as "N 倍"."""
    backwards = re.compile(r"(\}|[0-9]\.[0-9]+)\s*分の\s*1")
    assert {key: text for key, text in japanese().items() if backwards.search(text)} == {}
    assert backwards.search("{factor} 分の1") and backwards.search("4.5 分の1") and not backwards.search("10 分の 1")


def fields(text: str) -> list[tuple[str, str, str]] | None:
    """Every `{name:spec!conversion}` field of a format string; None for a text that is no format string."""
    try:
        parsed = string.Formatter().parse(text)
        return sorted((name, spec, conversion or "") for _, name, spec, conversion in parsed if name)
    except ValueError:
        return None


def test_every_japanese_text_formats_the_fields_of_its_english_text() -> None:
    english, japanese_texts = _texts("en"), _texts("ja")
    wrong = {key: (fields(english[key]), fields(japanese_texts[key])) for key in english if key in japanese_texts}
    assert {key: pair for key, pair in wrong.items() if pair[0] != pair[1]} == {}
