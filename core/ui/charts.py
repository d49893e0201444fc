"""Charts as cached specs: a builder's finished Vega-Lite spec, made once per distinct input and mode for every session.

Building an Altair chart and turning it into a spec (its schema validated, its data sets written as Arrow) was two
thirds of a warm page view's server CPU. Here it happens once: the spec is kept in the shared cache (core/ui/cache.py),
keyed by the builder, its inputs (frames by their content) and the display mode, and every later view only draws it.
Specs live in the server's memory, so a restart (any deploy) empties the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import altair as alt
import streamlit as st

# Streamlit's own conversion, as st.altair_chart runs it (the version is pinned in requirements.txt): a spec drawn from
# here is byte for byte the one st.altair_chart sent, data sets and their names included.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from core.charts import for_projector, style
from core.ui.cache import Store
from core.ui.lecture import presenting

# A spec is 10-250 kB (its data as Arrow). A hall exploring the pages fills a few hundred; the bound keeps the cache
# well under the results' own (core/ui/runs.py). The spec is Streamlit's conversion: its version is the specs'.
SPECS = Store("specs", st.__version__, entries=1024, size="96MB")


def chart_spec(builder: Callable[..., alt.TopLevelMixin], *args: Any, **kwargs: Any) -> dict:
    """The finished spec of `builder(*args, **kwargs)` in the shared style, for a projector in presentation mode."""
    return SPECS.get(_made, builder, args, kwargs, presenting())


def own_chart_spec(builder: Callable[..., alt.TopLevelMixin], *args: Any, **kwargs: Any) -> dict:
    """The same spec made for this view alone: a chart of a visitor's upload, which never enters the shared cache."""
    return _made(builder, args, kwargs, presenting())


def _made(builder: Callable[..., alt.TopLevelMixin], args: tuple, kwargs: Mapping[str, Any], projector: bool) -> dict:
    spec = _convert_altair_to_vega_lite_spec(style(builder(*args, **kwargs), projector))
    return for_projector(spec) if projector else spec


def show_chart(builder: Callable[..., alt.TopLevelMixin], *args: Any, **kwargs: Any) -> None:
    """Draw `builder(*args, **kwargs)` across the page from its cached spec."""
    st.vega_lite_chart(chart_spec(builder, *args, **kwargs), width="stretch")


def show_own_chart(builder: Callable[..., alt.TopLevelMixin], *args: Any, **kwargs: Any) -> None:
    """Draw `builder(*args, **kwargs)` across the page, made for this view alone (a chart of an upload)."""
    st.vega_lite_chart(own_chart_spec(builder, *args, **kwargs), width="stretch")
