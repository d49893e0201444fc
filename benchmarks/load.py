"""Load and memory: many Chromium sessions against one `streamlit run` server, measured from the server's side.

Sessions mode (default): 20 browser contexts in one Chromium open at once, half on the same URL (the learning-rate
page as it opens), half on distinct URLs of that page (other rates and batch sizes). Every session must draw its
charts with no exception box. Printed: each session's seconds to charts, the server's CPU seconds per session
(/proc, finished children included), its peak RSS (VmHWM) and how many trainings it ran. Trainings are counted in the
server itself: a small sitecustomize (benchmarks/loadhook) wraps `core.training.train` and logs one line per call,
so a cache hit counts nothing; identical configs must train once.

Memory mode (`--configs 500`): the learning-rate and batch-size pages opened with that many distinct settings,
`--parallel` browser pages at a time; prints the server's RSS as it goes and its peak. Nothing is asserted: the
figures are for people (the README quotes them).

    python -m benchmarks.load [--sessions 20] [--configs 500 --parallel 4]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, sync_playwright

from benchmarks.bench_page_view import cpu_seconds, server_pid
from core.ui.widgets import BATCH_CHOICES, LR_CHOICES
from tools.appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app

LR_PAGE, BATCH_PAGE = "learning_rate", "batch_and_epochs"

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
        for rates in itertools.combinations(LR_CHOICES[:8], 2)
        for batch in (8, 32, 128)
    ]
    return [(LR_PAGE, {})] * same + [(LR_PAGE, params) for params in distinct[: count // 2]]


def distinct_configs(count: int, seed: int = 0) -> list[tuple[str, dict]]:
    """`count` different settings of the learning-rate and batch-size pages, shuffled so cheap and costly mix."""
    rates = list(itertools.combinations(LR_CHOICES, 2))
    lr_page = [
        (LR_PAGE, {"lr": list(pair), "batch_size": batch, "epochs": epochs})
        for pair in rates
        for batch in BATCH_CHOICES
        for epochs in (10, 30, 100)
    ]
    batch_page = [(BATCH_PAGE, {"lr": lr, "epochs": epochs}) for lr in LR_CHOICES for epochs in range(1, 51)]
    picked = random.Random(seed).sample(lr_page + batch_page, count)
    return picked


def url(base: str, page: str, params: dict) -> str:
    """The page's address with `params` (a list repeats the parameter, as the app writes it)."""
    return f"{base}/{page}?{urlencode({'lang': 'en', **params}, doseq=True)}"


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
    """(trainings run, configs trained in them) from the server's log."""
    lines = log.read_text().split() if log.exists() else []
    return len(lines), sum(int(line) for line in lines)


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
    print(f"trainings run: {runs} ({configs} configs) for {distinct} distinct URLs")
    for context in contexts:
        context.close()


def memory_mode(base: str, browser: object, pid: int, log: Path, count: int, parallel: int) -> None:
    """Open `count` distinct settings, `parallel` at a time, and print the server's memory as it grows."""
    plan = distinct_configs(count)
    contexts = [browser.new_context(viewport={"width": 1440, "height": 900}) for _ in range(parallel)]
    pages = [context.new_page() for context in contexts]
    started, errors = time.monotonic(), 0
    print(f"{'configs':>7}  {'RSS MB':>7}  {'peak MB':>7}  {'trainings':>9}  {'minutes':>7}")
    for first in range(0, count, parallel):
        batch = plan[first : first + parallel]
        for page, (name, params) in zip(pages, batch, strict=False):
            page.goto(url(base, name, params), wait_until="commit")
        states = watch(pages[: len(batch)], time.monotonic(), timeout=300)
        errors += sum(state != "done" for _, state in states)
        done = first + len(batch)
        if done % 50 < parallel or done == count:
            minutes = (time.monotonic() - started) / 60
            print(f"{done:>7}  {rss_mb(pid):7.0f}  {peak_rss_mb(pid):7.0f}  {trainings(log)[0]:>9}  {minutes:7.1f}")
    print(f"\npeak RSS over {count} distinct configs: {peak_rss_mb(pid):.0f} MB; pages without charts: {errors}")
    for context in contexts:
        context.close()


def main() -> None:
    """Start the server with its training counter, run the chosen mode, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    parser.add_argument("--configs", type=int, default=0, help="memory mode: this many distinct settings instead")
    parser.add_argument("--parallel", type=int, default=4, help="memory mode: browser pages at a time (default 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "trainings.log"
        hook = Path(__file__).parent / "loadhook"
        os.environ["PYTHONPATH"] = os.pathsep.join([str(hook), str(ROOT), os.environ.get("PYTHONPATH", "")])
        os.environ["TRAINING_LOOP_TRAIN_LOG"] = str(log)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
        with running_app() as base, sync_playwright() as playwright:
            pid = server_pid()
            print(f"server RSS at start: {rss_mb(pid):.0f} MB\n")
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if args.configs:
                memory_mode(base, browser, pid, log, args.configs, args.parallel)
            else:
                sessions_mode(base, browser, pid, log, args.sessions)
            browser.close()
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
