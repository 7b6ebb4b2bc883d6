"""wmlib reads as the course's table of contents, and its imports keep that order (checked with ``ast``).

- the ground floor (modules directly in ``wmlib/``) imports no lesson, no ``world`` and no ``course``;
- ``world/`` (the toy world every lesson stands on) imports only the ground floor and itself;
- a lesson imports only the ground floor, ``world`` and earlier lessons;
- nothing imports ``course/`` (what ``make`` runs), and no module imports, even lazily, one that imports it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "wmlib"
LESSONS = ["cave", "clip", "prh", "video", "frame2frame", "simulator"]  # notebooks 01 to 06, in course order


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py")) if p.name != "__main__.py"}


def imports(path: Path, known: set[str]) -> set[str]:
    """The wmlib modules ``path`` imports anywhere in its body (lazy imports in functions count too):
    ``from wmlib.world import render`` imports the module ``wmlib.world.render``, ``from wmlib.world import
    captions_of`` the package ``wmlib.world``."""
    here = module_name(path) if path.is_relative_to(ROOT) else "wmlib.outside"
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "wmlib"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.split(".")[0] != "wmlib":
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found


def floor(module: str) -> tuple[str, int]:
    """(kind, rank): the ground floor is 0, world 1, the lessons 2 to 7 in course order, course 8."""
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] not in LESSONS + ["world", "course"]):
        return "ground floor", 0
    if parts[1] == "world":
        return "world", 1
    if parts[1] == "course":
        return "course", 8
    return f"lesson {parts[1]}", 2 + LESSONS.index(parts[1])


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(p, set(mods)) - {m} for m, p in mods.items()}


def test_every_package_is_a_lesson_world_or_course():
    packages = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())
    assert packages == sorted(LESSONS + ["world", "course"])


def test_imports_follow_the_course_order():
    wrong = []
    for module, deps in graph().items():
        kind, rank = floor(module)
        for dep in deps:
            if dep == "wmlib" and kind == "ground floor":
                continue
            dep_kind, dep_rank = floor(dep)
            allowed = (
                dep_rank == 0
                if rank == 0
                else dep_rank <= 1 or dep_kind == kind
                if rank == 1
                else dep_rank != 8 and dep_rank <= rank
                if rank < 8
                else True
            )
            if not allowed:
                wrong.append(f"{module} ({kind}) imports {dep} ({dep_kind})")
    assert not wrong, "\n".join(wrong)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert cycles(graph()) == []


@pytest.mark.parametrize(
    "edges, expected",
    [
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(edges, expected):
    assert cycles(edges) == expected


def test_the_order_check_catches_a_lesson_importing_a_later_one(tmp_path):
    fake = tmp_path / "probe.py"
    fake.write_text("def f():\n    from wmlib.simulator import planning\n")
    deps = imports(fake, {"wmlib.simulator.planning"})
    assert deps == {"wmlib.simulator.planning"}
    assert floor("wmlib.cave.probe")[1] < floor("wmlib.simulator.planning")[1]
