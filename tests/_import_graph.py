"""The package's own import statements, read with ``ast`` (nothing is imported): used by the import tests."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import interpret_distill

PACKAGE = "interpret_distill"
ROOT = Path(interpret_distill.__file__).resolve().parent


def package_modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name a ``from ... import`` statement reads from (relative levels resolved)."""
    if node.level == 0:
        return node.module
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking_block(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``if typing.TYPE_CHECKING:``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """``(imported name, line)`` of every import that runs, module-level and inside functions alike (those under
    ``if TYPE_CHECKING:`` are for annotations only and never run, so they are left out).

    ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module of the package, else of
    ``pkg``. Names outside the package are returned as they are written.
    """
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if _is_type_checking_block(block)
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:  # `if TYPE_CHECKING:` imports never run
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, path, node)
            if source == "__future__":
                continue
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.append((candidate if candidate in known else source, node.lineno))
    return found


def package_graph() -> dict[str, dict[str, int]]:
    """Module -> {module of the package it imports: line of the first such import}.

    Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, but those edges are left out: a package's
    ``__init__`` importing its own submodules is not a cycle with a submodule importing a sibling.
    """
    modules = package_modules()
    known = set(modules)
    graph = {}
    for module, path in modules.items():
        edges: dict[str, int] = {}
        for name, line in imports_of(module, path, known):
            while name and name not in known and name.startswith(PACKAGE):
                name = name.rpartition(".")[0]
            if name in known and name != module:
                edges.setdefault(name, line)
        graph[module] = edges
    return graph


def third_party_roots(modules: list[str]) -> dict[str, set[str]]:
    """Top-level names outside the standard library and the package that ``modules`` (and every package module
    they import, transitively) import: root -> the modules importing it."""
    all_modules = package_modules()
    known = set(all_modules)
    graph = package_graph()
    seen, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += list(graph[module])
    roots: dict[str, set[str]] = {}
    for module in seen:
        for name, _ in imports_of(module, all_modules[module], known):
            root = name.split(".")[0]
            if root != PACKAGE and root not in sys.stdlib_module_names:
                roots.setdefault(root, set()).add(module)
    return roots
