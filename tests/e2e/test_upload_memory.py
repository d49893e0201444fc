"""A real `streamlit run` server under uploads: a decompression-bomb Parquet and ten sessions that upload and leave.

The server's resident memory, read from /proc, stays under 1.5 GB throughout and, once the sessions have left, is
back within 150 MB of where it was after the first visit (imports and the shared cache warm). Each session speaks the
app's websocket protocol as a browser does, without one (tools/session.py): a browser would cost seconds of CPU
that say nothing about the server's memory. A watchdog stops the server if it passes the limit, so that a
regression fails fast instead of taking the machine's memory.
"""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import sweep
from core.config import RunConfig, format_param
from core.i18n import t
from core.lab import SWEEP_MAX_RUNS
from core.upload import MAX_BYTES, MAX_ROWS
from tools.appserver import running_app
from tools.session import Session

pytestmark = pytest.mark.browser

PEAK_MB = 1500
RETURN_MB = 150
SESSIONS = 10
LAB = "lang=en&view=grid&epochs=2&grid_lr=0.1&grid_batch_size=32"  # a one-cell grid: the sweep uploader below it


def bomb(rows: int = 5_000_000) -> bytes:
    """`rows` identical runs of a sweep table as Parquet, dictionary-encoded: 0.35 MB for five million rows."""
    indices = pa.array(np.zeros(rows // 5, dtype=np.int32))
    group = pa.table({c: pa.DictionaryArray.from_arrays(indices, pa.array(["1"])) for c in sweep.COLUMNS})
    out = io.BytesIO()
    with pq.ParquetWriter(out, group.schema) as writer:
        for _ in range(5):
            writer.write_table(group)
    return out.getvalue()


def longest_sweep() -> bytes:
    """A sweep table CSV of as many runs as the lab reads (20 seeds each): accepted, previewed, not drawn."""
    settings = [format_param(getattr(RunConfig(), name)) for name in sweep.FIELDS]
    rows = [
        ",".join([str(run), *settings[:-3], str(run // 500), *settings[-2:], "3,0.5,0.6,0.7,0.5,False,"])
        for run in range(SWEEP_MAX_RUNS)
    ]
    return "\n".join([",".join(sweep.COLUMNS), *rows, ""]).encode()


def server_pid(url: str) -> int:
    """The `streamlit run` child of this process that listens on `url`'s port."""
    port = url.rsplit(":", 1)[1].encode()
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"streamlit" in command and port in command:
            return int(entry.name)
    raise RuntimeError(f"no streamlit server on {url}")


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its highest so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


class Watchdog(threading.Thread):
    """Stops the server as soon as its resident memory passes `limit_mb` (a regression must not take the machine)."""

    def __init__(self, pid: int, limit_mb: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit_mb, self.tripped, self.done = pid, limit_mb, False, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            if memory_mb(self.pid) > self.limit_mb:
                self.tripped = True
                os.kill(self.pid, 9)
                return


def settled_rss(pid: int, seconds: float = 10.0) -> float:
    """The server's RSS once it stops falling (freed memory goes back to the system over a second or two)."""
    deadline, last = time.monotonic() + seconds, memory_mb(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = memory_mb(pid)
        if now >= last - 1:
            return now
        last = now
    return last


def visit(url: str, session: int, files: dict[str, bytes]) -> None:
    """One visitor: the bomb to the sweep uploader, then by turns the longest sweep table or a CSV of 500,000 rows."""
    with Session(url, "lab", LAB) as page:
        page.upload("lab.sweep_file", "bomb.parquet", files["bomb"])
        assert not page.of_type("exception")
        assert [alert.body for alert in page.of_type("alert")] == [
            t("lab.sweep_errors.too_many_runs", "en", limit=SWEEP_MAX_RUNS)
        ]
        if session % 2:
            page.upload("lab.sweep_file", "sweep.csv", files["sweep"])
            assert not page.of_type("exception") and len(page.of_type("dataframe")) == 1
        else:
            page.set_bool("lab.own_csv", True)
            page.upload("lab.upload_file", "rows.csv", files["rows"])
            assert not page.of_type("exception")
            assert t("upload.errors.too_many_rows", "en", limit=MAX_ROWS) in [a.body for a in page.of_type("alert")]


def test_a_bomb_and_ten_sessions_leave_the_server_within_its_memory() -> None:
    files = {"bomb": bomb(), "sweep": longest_sweep(), "rows": b"a,b\n" + b"1,2\n" * (MAX_BYTES // 4 - 1)}
    with running_app() as url:
        pid = server_pid(url)
        with Session(url, "lab", LAB) as page:  # imports, the shared cache and the own-CSV view warm
            page.set_bool("lab.own_csv", True)
        start = settled_rss(pid)
        watchdog = Watchdog(pid, PEAK_MB)
        watchdog.start()
        try:
            for session in range(SESSIONS):
                visit(url, session, files)
        except Exception:
            if watchdog.tripped:
                pytest.fail(f"the server's memory passed {PEAK_MB} MB; it was stopped")
            raise
        finally:
            watchdog.done.set()
        after, peak = settled_rss(pid), memory_mb(pid, "VmHWM")
        print(f"server RSS: {start:.0f} MB after the first visit, peak {peak:.0f} MB, {after:.0f} MB after")
        assert peak < PEAK_MB
        assert after - start < RETURN_MB
