"""Lecture hall: N light clients open one link at once against one `streamlit run` server; its cost per page view.

Each client speaks Streamlit's own websocket protocol, as the browser does but with no browser: it opens
`/_stcore/stream`, sends the rerun message the front end sends for a page and its link (`rerun_script` with the
query string, the page's URL name and the browser context), and reads the server's messages until the script has
finished, noting when each chart arrived. No HTML, scripts or styles are fetched: in Chromium a warm view of the
learning-rate page cost the server 0.1 s more than a light client's (0.48 s against 0.37 s), its HTTP traffic.
The clients count the charts a browser draws (checked once against Chromium: the same count on every page).

Waves: with the cache warm (a single view first fills it) every round opens `--clients` sessions at once. The server's
CPU seconds (/proc, all threads) over a wave divided by its clients is the CPU of one warm view; per client the time
from the wave's start to its last chart; trainings are counted inside the server (benchmarks/loadhook wraps
`core.training.train`: a cache hit counts nothing); the server's peak RSS is its VmHWM. `--cold` skips the single
view: the first wave trains. The warm store is empty, so nothing comes from disk. Nothing is asserted: the figures
are for people (the README quotes them).

    python -m benchmarks.hall [--clients 60] [--page learning_rate | --all-pages] [--link "lr=0.1&lr=1"]
                              [--cold] [--rounds 3] [--flag server.fileWatcherType=auto ...]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from benchmarks.load import counted_app, cpu_seconds, peak_rss_mb, rss_mb, server_pid, trainings
from core.pages import PAGES
from tools.screenshot import url_name

CHART = "vega_lite_chart"  # the element every st.altair_chart sends (Element.vega_lite_chart)
ENDED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)  # not a run ended by st.rerun


@dataclass(frozen=True)
class View:
    """What one client received: its charts and errors as the page finally showed them, and when things arrived."""

    charts: int
    errors: int
    last_chart: float  # seconds from the wave's start to the last chart element (NaN: none)
    finished: float  # seconds from the wave's start to the end of the script
    kilobytes: float  # what the server sent, uncompressed (the page's elements, chart specs and data included)


@dataclass(frozen=True)
class Wave:
    """One wave of clients against the server, and what it cost the server."""

    views: list[View]
    cpu: float  # server CPU seconds over the wave
    trainings: int


def rerun_message(page: str, query: str, url: str) -> bytes:
    """The BackMsg a browser sends when it opens `url`: run page `page` ("" is the home page) with `query`."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query
    state.page_name = page  # the path after the base URL; no script hash yet, as on a first load
    info = state.context_info
    info.locale, info.timezone, info.timezone_offset = "en-US", "UTC", 0
    info.url, info.color_scheme = url, "light"
    return message.SerializeToString()


def ended(message: ForwardMsg) -> bool:
    """Whether this message ends the view: the script ran to its end, or could not compile."""
    return message.WhichOneof("type") == "script_finished" and message.script_finished in ENDED


def read_view(received: Sequence[tuple[ForwardMsg, float]], kilobytes: float = 0.0) -> View:
    """The page a browser would show after these messages (each with the seconds at which it arrived)."""
    elements: dict[tuple[int, ...], str] = {}
    last_chart, finished = float("nan"), float("nan")
    for message, seconds in received:
        kind = message.WhichOneof("type")
        if kind == "new_session":  # a run starts: the front end drops what the previous run left
            elements.clear()
        elif kind == "delta" and message.delta.WhichOneof("type") in ("new_element", "add_block"):
            delta = message.delta
            element = delta.new_element.WhichOneof("type") if delta.HasField("new_element") else "block"
            elements[tuple(message.metadata.delta_path)] = element  # a later element at the same place replaces it
            if element == CHART:
                last_chart = seconds
        elif ended(message):
            finished = seconds
    kinds = list(elements.values())
    return View(kinds.count(CHART), kinds.count("exception"), last_chart, finished, kilobytes)


async def open_view(base: str, page: str, query: str, started: float, timeout: float) -> View:
    """Open one session on `page?query`, as a browser's first load does; read until the script has finished."""
    stream = base.replace("http", "ws", 1) + "/_stcore/stream"
    received: list[tuple[ForwardMsg, float]] = []
    size = 0
    # Compression stays on, as a browser offers it: the server then deflates every message, part of its cost.
    async with connect(
        stream, subprotocols=["streamlit"], max_size=None, open_timeout=timeout, ping_interval=None, proxy=None
    ) as socket:
        await socket.send(rerun_message(page, query, f"{base}/{page}?{query}"))
        async with asyncio.timeout(timeout):
            async for frame in socket:
                received.append((ForwardMsg.FromString(frame), time.monotonic() - started))
                size += len(frame)
                if ended(received[-1][0]):
                    break
    return read_view(received, size / 1e3)


@contextmanager
def counted_server(flags: Sequence[str] = ()) -> Iterator[tuple[str, int, Path]]:
    """`streamlit run app.py` with an empty warm store and its trainings counted; yields (base URL, pid, log)."""
    with tempfile.TemporaryDirectory() as scratch, counted_app(Path(scratch), flags) as (base, log):
        yield base, server_pid(), log


async def wave(base: str, pid: int, log: Path, page: str, query: str, clients: int, timeout: float) -> Wave:
    """Open `clients` sessions on one link at once; what each saw and what the wave cost the server."""
    runs_before, cpu_before, started = trainings(log)[0], cpu_seconds(pid), time.monotonic()
    views = await asyncio.gather(*(open_view(base, page, query, started, timeout) for _ in range(clients)))
    await asyncio.sleep(0.5)  # the server closes the sessions: part of what a view costs
    return Wave(list(views), cpu_seconds(pid) - cpu_before, trainings(log)[0] - runs_before)


def page_query(link: str, lang: str) -> str:
    """The query string a link opens with: the language first, then the link's own parameters."""
    return "&".join(part for part in (urlencode({"lang": lang}), link) if part)


def summary(label: str, result: Wave) -> str:
    """One table row: CPU per view, time to each client's last chart (median, max), charts, errors, trainings."""
    views = result.views
    last = [view.last_chart for view in views if not math.isnan(view.last_chart)] or [math.nan]  # NaN: no chart
    charts = sorted({view.charts for view in views})
    return (
        f"{label:28} {len(views):>9} {result.cpu / len(views):>9.2f} {statistics.median(last):>9.1f} {max(last):>9.1f}"
        f" {'/'.join(map(str, charts)):>9} {sum(view.errors for view in views):>9} {result.trainings:>9}"
        f" {statistics.mean(view.kilobytes for view in views):>9,.0f}"
    )


COLUMNS = ("clients", "CPU s/view", "chart med", "max", "charts", "errors", "trainings", "kB/view")
HEADER = f"{'page / wave':28} " + " ".join(f"{name:>9}" for name in COLUMNS)


async def measure(args: argparse.Namespace) -> None:
    """Start the server, run the waves on every chosen page, print the table and the server's memory."""
    pages = [url_name(page.path) for page in PAGES] if args.all_pages else ["" if args.page == "home" else args.page]
    flags = [part for name, value in args.flag for part in ("--" + name, value)]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    with counted_server(flags) as (base, pid, log):
        print(f"server RSS at start: {rss_mb(pid):.0f} MB{'; flags: ' + ' '.join(flags) if flags else ''}\n")
        print(HEADER)
        client_cpu = time.process_time()
        for page in pages:
            query = page_query(args.link, args.lang)
            name = page or "home"
            if not args.cold:
                print(summary(f"{name} first view", await wave(base, pid, log, page, query, 1, args.timeout)))
            for round_number in range(1, args.rounds + 1):
                label = f"{name} {'cold' if args.cold and round_number == 1 else 'warm'} {round_number}"
                print(summary(label, await wave(base, pid, log, page, query, args.clients, args.timeout)), flush=True)
        print(f"\nserver peak RSS: {peak_rss_mb(pid):.0f} MB; trainings in all: {trainings(log)[0]}")
        print(f"clients' own CPU (this process): {time.process_time() - client_cpu:.1f} s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def server_flag(text: str) -> tuple[str, str]:
    """A `--flag section.option=value` argument as (option, value)."""
    name, equals, value = text.partition("=")
    if not equals or "." not in name:
        raise argparse.ArgumentTypeError(f"expected section.option=value, got {text!r}")
    return name, value


def main() -> None:
    """Parse the options and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=60, help="sessions opened at once per wave (default 60)")
    parser.add_argument("--page", default="learning_rate", help="the page's URL name or home (default learning_rate)")
    parser.add_argument("--all-pages", action="store_true", help="every page in turn")
    parser.add_argument("--link", default="", help="the link's parameters after lang, e.g. 'lr=0.1&lr=1'")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--cold", action="store_true", help="no single first view: the first wave trains")
    parser.add_argument("--rounds", type=int, default=1, help="waves per page (default 1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a client waits for its page")
    parser.add_argument(
        "--flag", action="append", default=[], type=server_flag, help="a server option, e.g. runner.postScriptGC=true"
    )
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
