"""How the package imports: every module alone in a fresh interpreter, no import cycle, lazy exports that
resolve to what they name, and a config read without the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests._import_graph import package_graph, package_modules

MODULES = sorted(package_modules())


def _python(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter, ``args`` in ``sys.argv[1:]``."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=timeout)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# Imports each module named in sys.argv in a process of its own, forked from one that has loaded the third-party
# libraries the package uses and nothing of the package: every module meets a package never imported before, as in
# a fresh interpreter, without paying 47 times for torch and scikit-learn (a fresh `python -c "import ..."` per
# module costs 150 CPU-seconds here, most of it torch, scikit-learn and skops' scan of scikit-learn's estimators).
# What the preloaded libraries could hide (code reading `sklearn.tree` after a bare `import sklearn`) is not what
# this test is for: it checks that no module of the package needs another of its modules imported first.
FORK_EACH = """
import json, os, sys, tempfile, traceback

import numpy, scipy, pandas, torch, matplotlib, skops.io, captum  # noqa: F401 -- the slow imports, done once

assert not [m for m in sys.modules if m.split(".")[0] == "interpret_distill"]
results, running, queue = {}, {}, list(sys.argv[1:])
limit = max(2, os.cpu_count() or 1)
while queue or running:
    while queue and len(running) < limit:
        name = queue.pop(0)
        log = tempfile.TemporaryFile()
        pid = os.fork()
        if pid == 0:  # the child: import one module, report through the exit status and the log
            os.dup2(log.fileno(), 2)
            try:
                __import__(name)
                code = 0
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stderr.flush()
            os._exit(code)
        running[pid] = (name, log)
    pid, status = os.wait()
    name, log = running.pop(pid)
    log.seek(0)
    results[name] = [os.waitstatus_to_exitcode(status), log.read().decode(errors="replace")[-2000:]]
print(json.dumps(results))
"""


def test_every_module_imports_alone_into_a_fresh_package():
    """Importing any one module first works: no module relies on another having been imported before it."""
    assert "interpret_distill.surrogates.tree" in MODULES and "interpret_distill" in MODULES
    result = _python(FORK_EACH, *MODULES)
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(results) == MODULES
    failed = {name: _last_line(log) for name, (code, log) in results.items() if code != 0}
    assert not failed, "modules that fail to import on their own:\n" + "\n".join(
        f"  {name}: {error}" for name, error in failed.items())


def test_a_module_that_needs_another_imported_first_is_caught(tmp_path):
    """The check itself: a package whose module b reads a name that only importing module a sets."""
    package = tmp_path / "interpret_distill_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("import interpret_distill_probe\ninterpret_distill_probe.ready = True\n")
    (package / "b.py").write_text("import interpret_distill_probe\nassert interpret_distill_probe.ready\n")
    fork_each = "\n".join(line for line in FORK_EACH.splitlines() if "done once" not in line)  # no preloading
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); exec(compile({fork_each!r}, 'fork_each', 'exec'))"
    result = _python(code, "interpret_distill_probe.a", "interpret_distill_probe.b")
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.strip().splitlines()[-1])
    assert results["interpret_distill_probe.a"][0] == 0
    assert results["interpret_distill_probe.b"][0] == 1
    assert "has no attribute 'ready'" in results["interpret_distill_probe.b"][1]


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself), by Tarjan."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _cycle_path(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    """One cycle through the component, each step with the line of its import: ``a (line 3) -> b (line 9) -> a``."""
    members, start = set(component), component[0]
    path, seen = [start], {start}

    def extend(node: str) -> bool:
        for target in sorted(graph[node]):
            if target == start:
                return True
            if target in members and target not in seen:
                seen.add(target)
                path.append(target)
                if extend(target):
                    return True
                path.pop()
        return False

    extend(start)
    steps = [f"{a} (line {graph[a][b]})" for a, b in zip(path, path[1:] + [start])]
    return " -> ".join(steps + [start])


def test_the_cycle_finder_finds_and_describes_a_cycle():
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7, "d": 1}, "d": {}, "e": {"e": 2}}
    assert _cycles(graph) == [["a", "b", "c"], ["e"]]
    assert _cycle_path(graph, ["a", "b", "c"]) == "a (line 3) -> b (line 5) -> c (line 7) -> a"
    assert _cycles({"a": {"b": 1}, "b": {}}) == []


def test_the_import_graph_has_no_cycle():
    """Module-level and function-level imports alike (relative ones resolved) form no cycle between modules.

    A package's ``__init__`` importing its submodules is not counted as an import by its submodules (see
    tests/_import_graph.py); everything else is.
    """
    graph = package_graph()
    assert graph["interpret_distill.experiment"], "the graph must see the package's own imports"
    assert "interpret_distill.probability" in graph["interpret_distill.surrogates.linear"]  # `from ..probability`
    cycles = _cycles(graph)
    assert not cycles, "import cycles (module (line of the import) -> the module it imports):\n" + "\n".join(
        f"  {_cycle_path(graph, component)}" for component in cycles)


def test_a_config_is_read_without_captum_or_matplotlib():
    result = _python("""
        import json, sys
        from interpret_distill.config import load_config
        cfg = load_config("digits")
        heavy = ("captum", "matplotlib")
        print(json.dumps({"name": cfg.name, "loaded": [m for m in heavy if m in sys.modules]}))
    """)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"name": "digits", "loaded": []}, f"load_config imported {out['loaded']}"


def test_the_sweep_workers_import_no_torch():
    """Each loky worker imports the sweep's module; torch would add about 300 MB to every one of them."""
    result = _python("""
        import sys
        import interpret_distill.sweep
        print("torch" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_lazy_exports_are_the_objects_they_name_whatever_was_imported_first():
    """``from package import name`` gives the submodule's object, also after every submodule has been imported
    (importing a submodule sets an attribute of the package of the submodule's name, which may hide a name).

    The packages whose names are imported on first use: interpret_distill and interpret_distill.attribution.
    """
    result = _python("""
        import importlib, json
        found = {}
        for package in ("interpret_distill", "interpret_distill.attribution"):
            # name -> the module defining it, relative to the package (".image_features": a sibling package's)
            exports = dict(importlib.import_module(package)._EXPORTS)
            for module in sorted(set(exports.values())):
                importlib.import_module(f".{module}", package)  # every submodule first
            for name, module in sorted(exports.items()):
                expected = getattr(importlib.import_module(f".{module}", package), name)
                scope = {}
                exec(f"from {package} import {name} as got", scope)
                found[f"{package}.{name}"] = (
                    "ok" if scope["got"] is expected else f"{scope['got']!r:.70} instead of {package}.{module}.{name}")
        print(json.dumps(found))
    """)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert "interpret_distill.load_run" in found and "interpret_distill.attribution.attribute" in found
    wrong = {name: problem for name, problem in found.items() if problem != "ok"}
    assert not wrong, f"lazy exports that resolve to the wrong object: {wrong}"


def test_package_lists_its_lazy_exports_for_completion():
    import interpret_distill
    import interpret_distill.attribution as attribution

    assert {"load_run", "load_config", "run_experiment", "Run", "ExperimentConfig"} <= set(dir(interpret_distill))
    assert {"attribute", "agreement_table", "native_kind", "METHODS"} <= set(dir(attribution))
    assert set(attribution.__all__) <= set(dir(attribution))


def test_the_surrogates_package_exports_its_public_names():
    from interpret_distill import surrogates

    for name in surrogates.__all__:
        assert getattr(surrogates, name) is not None, name
    from interpret_distill.surrogates import SURROGATES, TreeSurrogate, build_surrogate, tree_thresholds  # noqa: F401
