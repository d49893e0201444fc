"""Server CPU seconds of a warm page view: `streamlit run`, each page opened twice in Chromium.

The first view fills the cache; the second (result cached) is what every further student costs. The server's CPU
time is read from /proc before and after that second view, with what the page received: websocket bytes
(the page's elements, chart specs and data included) and the number of HTTP responses (scripts, styles, fonts).
Nothing is asserted: the figures are for people.

    python -m benchmarks.bench_page_view [--lang en]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

from core.ui.page import existing_pages
from tools.appserver import CHROMIUM, CHROMIUM_ARGS, running_app
from tools.screenshot import page_url, wait_until_idle


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


def main() -> None:
    """Print, per page, the server CPU seconds of the second view and the chart payload the browser received."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    with running_app() as base, sync_playwright() as playwright:
        pid = server_pid()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path, _, _ in existing_pages():
            # One browser context per page, as one student's browser: the second view finds the result in the app's
            # cache and the app's scripts and styles in the browser's.
            url = page_url(base, path, args.lang)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            for _ in range(2):
                page = context.new_page()
                frames, files = [], []
                page.on("websocket", lambda socket, got=frames: socket.on("framereceived", lambda f: got.append(f)))
                page.on("response", lambda response, got=files: got.append(response))
                before = cpu_seconds(pid)
                page.goto(url)
                wait_until_idle(page)
                seconds = cpu_seconds(pid) - before
                page.close()
            context.close()
            websocket = sum(len(frame) for frame in frames) / 1e3
            print(
                f"{path:28} warm view: {seconds:.2f} s server CPU, {websocket:,.0f} kB over the websocket, "
                f"{len(files)} HTTP responses"
            )
        browser.close()


if __name__ == "__main__":
    main()
