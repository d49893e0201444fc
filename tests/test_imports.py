"""The import graph of core/: no module reaches itself again through its imports, and only core/ui knows Streamlit's
side of the house (no module outside core/ui imports from it). No exception to either."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = CORE) -> dict[str, set[str]]:
    """Each module of core → the modules of core it imports anywhere (top, functions, TYPE_CHECKING blocks)."""
    modules = {module_name(path, root): path for path in root.rglob("*.py")}

    def owner(name: str) -> str:
        while name not in modules:  # `from core.lessons import batches` names a module; `from core.x import f` a name
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {owner(alias.name) for alias in node.names if alias.name.split(".")[0] == "core"}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "core":
                imported |= {owner(f"{node.module}.{alias.name}") for alias in node.names}
        graph[name] = imported - {name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import path that comes back to where it started, each found once from its first module."""
    found, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in path:
                circle = path[path.index(target) :]
                if frozenset(circle) not in done:
                    done.add(frozenset(circle))
                    found.append([*circle, target])
            elif target not in finished:
                visit(target, [*path, target])
        finished.add(name)

    finished: set[str] = set()
    for name in sorted(graph):
        if name not in finished:
            visit(name, [name])
    return found


def arrows(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(name, target) for name, targets in graph.items() for target in targets}


def test_core_imports_form_no_circle() -> None:
    graph = import_graph()
    assert {"core.config", "core.optim", "core.lessons.surfaces", "core.pages", "core.ui.widgets"} <= graph.keys()
    assert circles(graph) == []


def test_only_core_ui_imports_core_ui() -> None:
    into_ui = {(a, b) for a, b in arrows(import_graph()) if not a.startswith("core.ui") and b.startswith("core.ui")}
    assert into_ui == set()


def test_a_circle_is_found(tmp_path: Path) -> None:
    """The finder itself: the circle of the issue (config → lessons/surfaces → optim → config) is reported."""
    package = tmp_path / "core"
    (package / "lessons").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "config.py": "def walk():\n    from core.lessons.surfaces import SURFACES\n",
        "lessons/__init__.py": "",
        "lessons/surfaces.py": "from core.optim import make_optimizer\n",
        "optim.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core.config import RunConfig\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    assert circles(import_graph(package)) == [["core.config", "core.lessons.surfaces", "core.optim", "core.config"]]
