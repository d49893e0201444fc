"""Imported at start-up by the servers of `benchmarks.hall` and `benchmarks.load` (this folder leads PYTHONPATH).

Wraps `core.training.train` before any page imports it, so every training the server really runs appends two lines
to the file named by TRAINING_LOOP_TRAIN_LOG: `start <configs> <request digest>` when it begins, then
`done <configs> <seconds>` when it returns a result or `lost <configs> <seconds>` when it ends without one (stopped
with its session, or refused).
Cache hits train nothing and write nothing.
"""

import hashlib
import os
import time

LOG = os.environ.get("TRAINING_LOOP_TRAIN_LOG")
if LOG:
    import core.training

    _train = core.training.train

    def _write(line):  # noqa: ANN001, ANN202
        with open(LOG, "a") as log:
            log.write(line + "\n")

    def _counted(configs, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        asked = (list(configs), *(value for value in (*args, *kwargs.values()) if not callable(value)))  # no progress
        request = hashlib.sha256(repr(asked).encode()).hexdigest()[:12]
        _write(f"start {len(configs)} {request}")
        started, outcome = time.monotonic(), "lost"
        try:
            result = _train(configs, *args, **kwargs)
            outcome = "done"
            return result
        finally:
            _write(f"{outcome} {len(configs)} {time.monotonic() - started:.2f}")

    core.training.train = _counted
