"""The lecture-hall benchmark's light client: the message it sends, the page it reads, and one real server."""

from __future__ import annotations

import argparse
import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.hall import CHART, counted_server, page_query, read_view, rerun_message, server_flag, wave


def test_rerun_message_opens_the_page_and_link_as_a_first_load() -> None:
    message = BackMsg.FromString(rerun_message("learning_rate", "lang=en&lr=0.1", "http://app/learning_rate?lang=en"))
    state = message.rerun_script
    assert message.WhichOneof("type") == "rerun_script"
    assert (state.page_name, state.query_string, state.page_script_hash) == ("learning_rate", "lang=en&lr=0.1", "")
    assert state.context_info.locale == "en-US" and not state.is_auto_rerun
    assert page_query("lr=0.1&lr=1", "ja") == "lang=ja&lr=0.1&lr=1" and page_query("", "en") == "lang=en"


def test_server_flags_name_an_option_and_its_value() -> None:
    assert server_flag("server.fileWatcherType=auto") == ("server.fileWatcherType", "auto")
    for wrong in ("server.fileWatcherType", "runOnSave=true"):
        with pytest.raises(argparse.ArgumentTypeError):
            server_flag(wrong)


def _element(path: list[int], kind: str) -> ForwardMsg:
    message = ForwardMsg()
    message.metadata.delta_path.extend(path)
    if kind == "block":
        message.delta.add_block.SetInParent()
    else:
        getattr(message.delta.new_element, kind).SetInParent()
    return message


def _finished(status: int) -> ForwardMsg:
    message = ForwardMsg()
    message.script_finished = status
    return message


def test_the_page_read_counts_what_the_last_run_left_in_place() -> None:
    started = ForwardMsg()
    started.new_session.SetInParent()
    received = [
        (started, 0.0),
        (_element([0, 4], CHART), 0.1),  # a first run, ended by st.rerun: the next run starts afresh
        (_finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), 0.2),
        (started, 0.3),
        (_element([0, 0], "progress"), 0.4),
        (_element([0, 0], CHART), 0.5),  # the chart takes the progress bar's place
        (_element([0, 1], CHART), 0.6),
        (_element([0, 2], CHART), 0.7),
        (_element([0, 2], "exception"), 0.8),  # an error where a chart was
        (_element([0, 3], "block"), 0.9),
        (_finished(ForwardMsg.FINISHED_SUCCESSFULLY), 1.0),
    ]
    view = read_view(received)
    assert (view.charts, view.errors, view.last_chart, view.finished) == (2, 1, 0.7, 1.0)


def test_light_clients_draw_a_page_and_an_identical_link_trains_once() -> None:
    async def two_waves(base: str, pid: int, log: object) -> tuple[object, object]:
        query = page_query("", "en")
        return await wave(base, pid, log, "lab", query, 2, 60), await wave(base, pid, log, "lab", query, 2, 60)

    # In a thread of its own: a browser test earlier in this process may have left an event loop running here.
    with counted_server() as (base, pid, log), ThreadPoolExecutor(1) as thread:
        cold, warm = thread.submit(asyncio.run, two_waves(base, pid, log)).result()
    assert all(view.charts >= 1 and view.errors == 0 for view in cold.views + warm.views)
    assert cold.trainings == 1 and warm.trainings == 0  # two students, one training; the warm wave hits the cache
    assert cold.cpu > 0  # the clock ticks in 10 ms: a warm view of the lab now costs less than one tick
