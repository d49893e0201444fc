"""The learning-rate page in predict mode: nothing that answers the card's question before Reveal; after it, the
verdicts with their numbers, the talking point, the presets, the edge beside where the sweep diverged, the stop rule."""

from __future__ import annotations

import re

from core.i18n import t
from core.runlog import STOP_FACTOR, plain_number
from tests.test_app_pages import LR_PAGE, charts, open_app, visible_texts


def texts(at: object) -> str:
    return "\n".join(visible_texts(at))


def test_predict_mode_hides_the_answer_until_reveal_then_says_what_happened() -> None:
    at = open_app("en", LR_PAGE, predict="1")
    before = texts(at)
    assert t("lecture.scenarios.four_regimes.question", "en") in before
    answers = [
        t("learning_rate.valley.heading", "en"),  # the edge 2/λmax and the network's curvature
        t("learning_rate.finder.heading", "en"),  # where the range test blows up
        t("learning_rate.verdicts_title", "en"),
        t("lecture.talking_point", "en"),
        t("learning_rate.autopsy.heading", "en"),
    ]
    assert [answer for answer in answers if answer in before] == []
    assert not [button for button in at.button if button.key.startswith("learning_rate.preset.")]
    assert len(charts(at)) == 1  # only the bumpy valley, which does not depend on the settings

    (reveal,) = [button for button in at.button if button.key == "lecture.reveal.learning_rate"]
    reveal.click().run()
    assert not at.exception
    after = texts(at)
    assert all(answer in after for answer in answers)
    assert {button.key for button in at.button} >= {
        f"learning_rate.preset.{name}" for name in ("too_small", "good", "too_large")
    }
    (point,) = [box.value for box in at.info if t("lecture.talking_point", "en") in box.value]
    assert "η = 0.03 ended lowest" in point and "η = 1 diverged and was stopped in epoch 1" in point
    assert "still falling" in after and "it rose to" in after  # 0.001's trend, 0.4's rise above its start
    assert "In the sweep above, the largest rate that did not diverge is 0.4" in after
    (card,) = [
        block.value for block in at.markdown if block.value.startswith(f"**{t('learning_rate.card_check', 'en')}**")
    ]
    assert card.count("- ✓") >= 6 and "✗" not in card  # the card's claims, measured on the runs shown
    assert "After 30 epochs at η = 0.4, the largest rate above that did not diverge, λmax is" in after
    (autopsy,) = [box.value for box in at.error if box.value.startswith(t("learning_rate.autopsy.intro", "en", lr="1"))]
    assert plain_number(STOP_FACTOR) in autopsy and "×10³⁴" in autopsy and "float32 can hold" not in autopsy
    assert not re.search(r"0\.0000(?!\d)", after)  # no loss reads 0.0000 (0.00001 is the slider's lowest rate)
