"""Streamlit Community Cloud installs requirements.txt alone (no dev dependencies): every page must run on that."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Inside the fresh environment: import every module of core/, then open every page as a visitor (AppTest comes
# with streamlit itself), so a module that only a dev dependency brought in would fail here.
CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import core
    from streamlit.testing.v1 import AppTest
    from core.pages import PAGES

    for module in pkgutil.walk_packages(core.__path__, "core."):
        if module.name != "core.__main__":
            importlib.import_module(module.name)
    for path in [page.path for page in PAGES]:
        at = AppTest.from_file("app.py", default_timeout=180)
        at.query_params["lang"] = "en"
        at.run()
        if path != "app.py":
            at.switch_page(path).run()
        errors = [error.value for error in at.exception]
        assert not errors, (path, errors)
        print("ran", path)
    import torch
    print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")
    """
)


def test_requirements_alone_install_and_run_every_page(tmp_path):
    venv = tmp_path / "cloud"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--retries", "0", "-q", "-r", str(ROOT / "requirements.txt")]
    subprocess.run(install, check=True, cwd=ROOT, timeout=900)
    # The project's own folder on the path, as Cloud runs from the repository root; nothing from this interpreter.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(python), "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pages = [line for line in done.stdout.splitlines() if line.startswith("ran ")]
    assert len(pages) >= 6
    assert "+cpu" in done.stdout  # the small CPU wheel, not a multi-GB CUDA build
    dev_only = subprocess.run([str(python), "-c", "import pytest"], capture_output=True, check=False)
    assert dev_only.returncode != 0  # truly without the dev dependencies
