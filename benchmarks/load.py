"""Load and memory: many Chromium sessions against one `streamlit run` server, measured from the server's side.

Sessions mode (default): 20 browser contexts in one Chromium open at once, half on the same URL (the learning-rate
page as it opens), half on distinct URLs of that page (other rates and batch sizes). Every session must draw its
charts with no exception box. Printed: each session's seconds to charts, the server's CPU seconds per session
(/proc, finished children included), its peak RSS (VmHWM) and how many trainings it ran. Trainings are counted in the
server itself: a small sitecustomize (benchmarks/loadhook) wraps `core.training.train` and logs each call's start and
end, so a cache hit counts nothing; identical configs must train once.

Leave mode (`--leave 7`): one session opens a learning-rate setting whose cold training takes about 20 s on the
2-core machine and closes its tab that many seconds into the training; a second session opens the same link at that
moment (with `--click`, it clicks the presentation switch instead, which reruns its page). Printed: trainings started,
seconds of training lost (ended without a result) and when the charts were drawn.

Memory mode (`--configs 500`): that many distinct settings of the learning-rate and batch-size pages, trained in
this process through the app's own cached function (`core.ui.runs.cached_train`: the same Streamlit cache, bounded
in entries and bytes as on the server), without browsers: a browser view costs seconds of CPU that say nothing
about memory. Prints the RSS, the cache's entries and bytes as it goes, and the peak. The server adds its own
footprint on top (the sessions mode's figure). Nothing is asserted: the figures are for people (the README quotes
them).

    python -m benchmarks.load [--sessions 20] [--leave 7 [--click]] [--configs 500]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, sync_playwright
from streamlit.runtime.caching import get_data_cache_stats_provider

from core import warm
from core.config import BATCH_TICKS, LR_TICKS, ConfigError, RunConfig
from core.i18n import t
from core.ui.runs import cached_train
from tools.appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app

LR_PAGE, BATCH_PAGE = "learning_rate", "batch_and_epochs"
# What those pages open with (pages/3_learning_rate.py and pages/5_batch_and_epochs.py), as URL parameters.
LR_PAGE_DEFAULTS = {"dataset": "blood_pressure", "optimizer": "sgd"}
BATCH_PAGE_DEFAULTS = {"dataset": "breast_cancer", "optimizer": "sgd"}
BATCH_PAGE_SIZES = (1, 32, "full")
# Online learning over 45 epochs of the breast-cancer set, the page's four rates and its focus rate: ~20 s cold.
COLD_SETTINGS = {"dataset": "breast_cancer", "batch_size": 1, "epochs": 45}

# "error", "done" (script finished and every chart drawn) or "" (still working), read in the page.
STATE = """() => {
  if (document.querySelector("[data-testid='stException']") !== null) return "error";
  const app = document.querySelector("[data-testid='stApp']");
  if (app === null || app.dataset.testScriptState !== "notRunning") return "";
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  return charts.length > 0 && charts.every((c) => c.querySelector("svg.marks, canvas") !== null) ? "done" : "";
}"""


def session_params(count: int) -> list[tuple[str, dict]]:
    """(page, URL params) per session: the first half on the same default URL, the rest each on its own settings."""
    same = count - count // 2
    distinct = [
        {"lr": list(rates), "batch_size": batch}
        for rates in itertools.combinations(LR_TICKS[:8], 2)
        for batch in (8, 32, 128)
    ]
    return [(LR_PAGE, {})] * same + [(LR_PAGE, params) for params in distinct[: count // 2]]


def distinct_configs(count: int, seed: int = 0) -> list[tuple[str, dict]]:
    """`count` different settings of the learning-rate and batch-size pages, shuffled so cheap and costly mix."""
    rates = list(itertools.combinations(LR_TICKS, 2))
    lr_page = [
        (LR_PAGE, {"lr": list(pair), "batch_size": batch, "epochs": epochs, **LR_PAGE_DEFAULTS})
        for pair in rates
        for batch in BATCH_TICKS
        for epochs in (10, 30, 100)
    ]
    batch_page = [
        (BATCH_PAGE, {"lr": lr, "epochs": epochs, **BATCH_PAGE_DEFAULTS}) for lr in LR_TICKS for epochs in range(1, 51)
    ]
    picked = random.Random(seed).sample(lr_page + batch_page, count)
    return picked


def url(base: str, page: str, params: dict) -> str:
    """The page's address with `params` (a list repeats the parameter, as the app writes it)."""
    return f"{base}/{page}?{urlencode({'lang': 'en', **params}, doseq=True)}"


def server_pid() -> int:
    """The `streamlit run` process started by this one."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue
            if ppid == os.getpid() and b"streamlit" in command:
                return int(entry.name)
    raise RuntimeError("no streamlit server found among this process's children")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process and its finished children (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    return _status_kb(pid, "VmHWM") / 1024


def rss_mb(pid: int) -> float:
    """The process's resident memory now, in MB."""
    return _status_kb(pid, "VmRSS") / 1024


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def watch(pages: list[Page], started: float, timeout: float) -> list[tuple[float, str]]:
    """Poll every page until each has drawn its charts or shows an error; (seconds since `started`, state) each."""
    finished: dict[int, tuple[float, str]] = {}
    deadline = time.monotonic() + timeout
    while len(finished) < len(pages) and time.monotonic() < deadline:
        for number, page in enumerate(pages):
            if number not in finished:
                state = page.evaluate(STATE)
                if state:
                    finished[number] = (time.monotonic() - started, state)
        time.sleep(0.2)
    return [finished.get(number, (float("nan"), "timeout")) for number in range(len(pages))]


def trainings(log: Path) -> tuple[int, int]:
    """(trainings started, configs in them) from the server's log."""
    starts = [int(line.split()[1]) for line in _log_lines(log) if line.startswith("start ")]
    return len(starts), sum(starts)


def trained_twice(log: Path) -> list[str]:
    """The requests (digests of their configs) that the server started training more than once."""
    starts = [line.split()[2] for line in _log_lines(log) if line.startswith("start ")]
    return sorted({request for request in starts if starts.count(request) > 1})


def lost_seconds(log: Path) -> float:
    """Seconds of training that ended without a result (stopped with its session, or refused)."""
    return sum(float(line.split()[2]) for line in _log_lines(log) if line.startswith("lost "))


def _log_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def wait_for_training(log: Path, count: int = 1, timeout: float = 120.0) -> None:
    """Return once the server has started `count` trainings."""
    deadline = time.monotonic() + timeout
    while trainings(log)[0] < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server started {trainings(log)[0]} of {count} trainings in {timeout:.0f} s")
        time.sleep(0.1)


@contextmanager
def counted_app(scratch: Path, flags: Sequence[str] = ()) -> Iterator[tuple[str, Path]]:
    """The server (with extra `streamlit run` flags) with an empty warm store in `scratch` and the training log beside
    it; yields (base URL, log)."""
    log = scratch / "trainings.log"
    hook = Path(__file__).parent / "loadhook"
    env = {
        "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "TRAINING_LOOP_TRAIN_LOG": str(log),
        warm.DIR_VARIABLE: str(scratch),
    }
    with running_app(env=env, flags=flags) as base:
        yield base, log


def sessions_mode(base: str, browser: object, pid: int, log: Path, count: int) -> None:
    """Open `count` sessions at once and print how each fared."""
    plan = session_params(count)
    contexts = [browser.new_context(viewport={"width": 1440, "height": 900}) for _ in plan]
    pages = [context.new_page() for context in contexts]
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    for page, (name, params) in zip(pages, plan, strict=True):
        page.goto(url(base, name, params), wait_until="commit")
    results = watch(pages, started, timeout=600)
    cpu = cpu_seconds(pid) - cpu_before
    print(f"{'session':>7}  {'URL':48} {'to charts':>9}  state")
    for number, ((name, params), (seconds, state)) in enumerate(zip(plan, results, strict=True), 1):
        query = urlencode(params, doseq=True) or "(default)"
        print(f"{number:>7}  {name + ' ' + query:48} {seconds:8.1f}s  {state}")
    runs, configs = trainings(log)
    distinct = len({urlencode(params, doseq=True) for _, params in plan})
    print(f"\nsessions with charts: {sum(state == 'done' for _, state in results)} of {count}")
    print(f"last session's charts after: {max(seconds for seconds, _ in results):.1f} s")
    print(f"server CPU: {cpu:.1f} s in all, {cpu / count:.2f} s per session")
    print(f"server peak RSS: {peak_rss_mb(pid):.0f} MB")
    print(f"trainings started: {runs} ({configs} configs) for {distinct} distinct URLs")
    for context in contexts:
        context.close()


def page_configs(page: str, params: dict) -> tuple[RunConfig, ...]:
    """The configs a page asks to train for these URL params: one per learning rate, or per batch size compared."""
    if page == BATCH_PAGE:
        return tuple(RunConfig.from_params({**params, "batch_size": str(size)}) for size in BATCH_PAGE_SIZES)
    rest = {key: str(value) for key, value in params.items() if key != "lr"}
    return tuple(RunConfig.from_params({**rest, "lr": str(rate)}) for rate in params["lr"])


def memory_mode(count: int) -> None:
    """Train `count` distinct settings through the app's cache in this process; print its memory as it grows."""
    logging.disable(logging.WARNING)  # outside a server every cached call warns that it has no script context
    started, refused = time.monotonic(), 0
    print(f"{'configs':>7}  {'RSS MB':>7}  {'peak MB':>7}  {'cache MB':>8}  {'refused':>7}  {'minutes':>7}")
    for done, (page, params) in enumerate(distinct_configs(count), 1):
        try:
            cached_train(page_configs(page, params))
        except ConfigError:  # the compute guard's refusal: the page shows its message and trains nothing
            refused += 1
        if done % 10 == 0 or done == count:
            stats = get_data_cache_stats_provider().get_stats().values()
            held = sum(stat.byte_length for family in stats for stat in family) / 2**20
            minutes = (time.monotonic() - started) / 60
            print(
                f"{done:>7}  {rss_mb(os.getpid()):7.0f}  {peak_rss_mb(os.getpid()):7.0f}  {held:8.0f}  "
                f"{refused:>7}  {minutes:7.1f}"
            )
    print(f"\npeak RSS over {count} distinct settings: {peak_rss_mb(os.getpid()):.0f} MB")


def main() -> None:
    """Run the chosen mode with an empty warm store and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    parser.add_argument("--leave", type=float, default=0, help="leave mode: the first session leaves after this")
    parser.add_argument("--click", action="store_true", help="leave mode: by a click that reruns, not a closed tab")
    parser.add_argument("--configs", type=int, default=0, help="memory mode: this many distinct settings instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ[warm.DIR_VARIABLE] = scratch  # an empty warm store: everything trains
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
        if args.configs:
            memory_mode(args.configs)
        else:
            sessions(scratch, args.sessions, args.leave, args.click)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def sessions(scratch: str, count: int, leave: float, click: bool) -> None:
    """Start the server with its training counter, open the sessions in one Chromium, print the figures."""
    with counted_app(Path(scratch)) as (base, log), sync_playwright() as playwright:
        pid = server_pid()
        print(f"server RSS at start: {rss_mb(pid):.0f} MB\n")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if leave:
            leave_mode(base, browser, log, leave, click)
        else:
            sessions_mode(base, browser, pid, log, count)
        browser.close()


def leave_mode(base: str, browser: object, log: Path, after: float, click: bool) -> None:
    """A session leaves a cold training `after` seconds in: it closes its tab and a second session opens the same link,
    or (`click`) it clicks the presentation switch, which reruns its page."""
    link = url(base, LR_PAGE, COLD_SETTINGS)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(link, wait_until="commit")
    wait_for_training(log)
    started = time.monotonic()
    time.sleep(after)
    if click:
        page.get_by_text(t("lecture.present", "en"), exact=True).click()
    else:
        context.close()
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(link, wait_until="commit")
    left = time.monotonic()
    [(seconds, state)] = watch([page], left, timeout=600)
    runs, configs = trainings(log)
    how = "clicked" if click else "left"
    print(f"the first session {how} {left - started:.1f} s into the training of {urlencode(COLD_SETTINGS)}")
    print(f"charts: {state}, {seconds:.1f} s later")
    print(f"trainings started: {runs} ({configs} configs); training seconds lost: {lost_seconds(log):.1f}")
    print("server's training log:", "; ".join(_log_lines(log)))


if __name__ == "__main__":
    main()
