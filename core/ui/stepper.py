"""Next / Play / Reset: one small state machine for every lesson that replays a walk step by step.

The position (how many steps are shown) lives in session state under `{key}_steps`, Play's state under
`{key}_playing`; the buttons are keyed `{key}_next_step`, `{key}_play`, `{key}_reset` (and `{key}_next_batch`
for an optional jump). None of it goes into the URL by itself: a lesson's walk shows whole in a shared link, and
the home page's walk keeps its position there (core/ui/walkthrough.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Button:
    """What a button shows; the stepper decides what it does."""

    label: str
    icon: str
    help: str | None = None
    shortcut: str | None = None


@dataclass(frozen=True)
class Stepper:
    """A position from 0 to `last` (no end when None), moved by its buttons and by Play."""

    key: str
    last: int | None = None

    @property
    def position_key(self) -> str:
        """Where the position lives in session state."""
        return f"{self.key}_steps"

    @property
    def position(self) -> int:
        """How many steps are shown."""
        return st.session_state.setdefault(self.position_key, 0)

    @property
    def playing(self) -> bool:
        """Whether Play is on."""
        return st.session_state.setdefault(f"{self.key}_playing", False)

    def at_end(self) -> bool:
        """True when there is no step left to show."""
        return self.last is not None and self.position >= self.last

    def move_to(self, position: int, playing: bool = False) -> None:
        """Show `position` steps (clamped to the walk), and set Play."""
        top = position if self.last is None else min(position, self.last)
        st.session_state[self.position_key] = max(0, top)
        st.session_state[f"{self.key}_playing"] = playing

    def follow(self, setting: Hashable) -> None:
        """New settings show the whole walk at once; Reset and Play replay it."""
        seen = f"{self.key}_setting"
        if st.session_state.get(seen) != setting:
            st.session_state[seen] = setting
            self.move_to(self.last or 0)

    def buttons(
        self,
        next_step: Button,
        reset: Button,
        play: tuple[Button, Button] | None = None,
        jump: tuple[Button, Callable[[int], int]] | None = None,
    ) -> None:
        """Next step, then Play/Pause (a pair of looks) or a jump (a look and where it lands), then Reset."""
        with st.container(horizontal=True, vertical_alignment="center"):
            _button(
                next_step,
                f"{self.key}_next_step",
                lambda: self.move_to(self.position + 1),
                primary=play is None,
                disabled=self.at_end(),
            )
            if play is not None:
                _button(play[self.playing], f"{self.key}_play", self._play_or_pause, primary=True)
            if jump is not None:
                look, target = jump
                _button(look, f"{self.key}_next_batch", lambda: self.move_to(target(self.position)))
            _button(reset, f"{self.key}_reset", lambda: self.move_to(0))

    def _play_or_pause(self) -> None:
        # Play at the end starts again from the start.
        start = 0 if self.at_end() else self.position
        self.move_to(start, playing=not self.playing)

    def tick(self, frames: int) -> None:
        """While playing, one frame forward: about 1/`frames` of the walk; at the end Play turns off."""
        if not self.playing or self.last is None:
            return
        self.move_to(self.position + max(1, self.last // frames), playing=True)
        if self.at_end():
            self.move_to(self.last)
            st.rerun()  # the whole page again, now without the timer, so the Play button turns back


def _button(look: Button, key: str, action: Callable[[], None], primary: bool = False, disabled: bool = False) -> None:
    st.button(
        look.label,
        key=key,
        on_click=action,
        type="primary" if primary else "secondary",
        icon=look.icon,
        help=look.help,
        shortcut=look.shortcut,
        disabled=disabled,
    )
