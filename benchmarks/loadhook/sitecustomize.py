"""Imported at start-up by the servers of `benchmarks.hall` and `benchmarks.load` (this folder leads PYTHONPATH).

Wraps `core.training.train` before any page imports it, so every training the server really runs appends one line
to the file named by TRAINING_LOOP_TRAIN_LOG: cache hits train nothing and write nothing.
"""

import os

LOG = os.environ.get("TRAINING_LOOP_TRAIN_LOG")
if LOG:
    import core.training

    _train = core.training.train

    def _counted(configs, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        result = _train(configs, *args, **kwargs)
        with open(LOG, "a") as log:
            log.write(f"{len(configs)}\n")
        return result

    core.training.train = _counted
