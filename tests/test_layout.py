"""The package layout holds: no import circle anywhere, and only Django-conventional modules at the root."""

from __future__ import annotations

from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parent.parent / "platform_notifications"

#: Modules allowed at the package root; everything else lives in the folder of its stage.
ROOT_MODULES = {"__init__.py", "admin.py", "apps.py", "exceptions.py", "models.py", "service.py", "tasks.py"}


def import_circles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), every import counted (deferred ones too)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_the_package_has_no_import_circle():
    graph = grimp.build_graph("platform_notifications", cache_dir=None)
    assert import_circles(graph) == []


def test_the_circle_finder_sees_a_circle():
    class Graph:
        modules = {"a", "b", "c"}
        edges = {"a": {"b"}, "b": {"a"}, "c": {"a"}}

        def find_modules_directly_imported_by(self, module):
            return self.edges[module]

    assert import_circles(Graph()) == [["a", "b"]]


def test_only_conventional_modules_sit_at_the_package_root():
    loose = {path.name for path in PACKAGE.glob("*.py")} - ROOT_MODULES
    assert loose == set(), f"put these in the folder of their stage: {sorted(loose)}"


def test_the_standalone_settings_hold_no_app_code():
    settings_dir = PACKAGE.parent / "settings"
    assert not [path for path in settings_dir.iterdir() if path.is_dir() and path.name != "__pycache__"]
