"""The structure the README's Architecture section promises, read from the source with ``ast``:
no import circle between modules, dependencies that point one way between apps, ``booking``
never guessing at a provider's interface, and modules and functions small enough to read.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy
import hides a circle from Python, not from the next reader.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("workspaces", "followups", "booking", "integrations", "calendly", "ghl", "config")
# Lower layers never import higher ones; apps on one layer don't import each other, except
# booking, which uses integrations' provider contract (integrations never imports booking).
LAYER = {"workspaces": 0, "followups": 1, "booking": 2, "integrations": 2, "calendly": 3, "ghl": 3}
SIBLING_ALLOWED = {("booking", "integrations")}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
GUESSING = re.compile(r"\b(?:getattr|hasattr)\(\s*(?:self\.)?\w*provider\w*\b")


def _product_files(*, with_migrations: bool = False) -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts and not with_migrations:
                continue
            files.append(path)
    return files


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name the module imports, relative imports resolved (``from . import x``
    names both the package and ``package.x``)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


@cache
def _import_graph() -> dict[str, set[str]]:
    """Product module → the product modules it imports."""
    modules = {_module_name(path): path for path in _product_files()}

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        for name in _imported_names(module, path):
            target = owner(name)
            if target and target != module:
                graph[module].add(target)
    return {module: graph.get(module, set()) for module in modules}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _points_up(source_app: str, target_app: str, target: str) -> bool:
    if source_app not in LAYER or source_app == target_app:
        return False
    if target_app == "config":
        return not target.startswith("config.celery")
    if target_app not in LAYER:
        return False
    if LAYER[target_app] > LAYER[source_app]:
        return True
    same_layer = LAYER[target_app] == LAYER[source_app]
    return same_layer and (source_app, target_app) not in SIBLING_ALLOWED


def test_no_import_circle_between_modules():
    circles = [" <-> ".join(circle) for circle in _circles(_import_graph())]
    assert not circles, "import circles: " + " | ".join(circles)


def test_dependencies_between_apps_point_one_way():
    arrows = sorted(
        f"{module} -> {target}"
        for module, targets in _import_graph().items()
        for target in targets
        if _points_up(module.split(".")[0], target.split(".")[0], target)
    )
    assert not arrows, (
        "imports against calendly, ghl -> booking, integrations -> followups -> workspaces: "
        + ", ".join(arrows)
    )


def test_booking_never_guesses_the_provider_interface():
    guesses = []
    for path in _product_files():
        if _module_name(path).split(".")[0] != "booking":
            continue
        source = path.read_text(encoding="utf-8")
        if "inspect" in _imported_names(_module_name(path), path):
            guesses.append(f"{path.relative_to(ROOT)} imports inspect")
        guesses += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in GUESSING.finditer(source)]
    assert not guesses, "booking asks the provider contract, never guesses: " + ", ".join(guesses)


def test_no_module_over_the_size_limit():
    too_long = []
    for path in _product_files(with_migrations=True):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: " + ", ".join(too_long)


def test_no_function_over_the_size_limit():
    too_long = []
    for path in _product_files():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.name} ({lines} lines)")
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: " + ", ".join(too_long)


def test_the_checks_name_what_they_find():
    """The walker itself: a planted circle is named, and so is an upward arrow."""
    planted = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert _circles(planted) == [["a.x", "a.y", "a.z"]]
    assert _points_up("workspaces", "followups", "followups.errors")
    assert _points_up("integrations", "booking", "booking.lifecycle")
    assert _points_up("calendly", "ghl", "ghl.connection")
    assert _points_up("booking", "config", "config.settings")
    assert not _points_up("booking", "integrations", "integrations.providers")
    assert not _points_up("ghl", "config", "config.celery")
