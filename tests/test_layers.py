"""The library's layers import only downward, with no import cycle, and importing it does not
import torch or sam2."""
import subprocess
import sys

from replication.pipeline import deps
from tests.conftest import REPO

# each package's layer (replication/__init__.py); a module may import its own layer and below
LAYERS = {"replication.core": 1, "replication.data": 2, "replication.metrics": 3,
          "replication.masks": 4, "baselines": 5, "replication.approaches": 6,
          "replication.pipeline": 7, "replication.report": 8, "replication.experiments": 9,
          "replication.cli": 10, "replication.__main__": 11, "replication": 0}


def layer(module: str) -> int:
    return max((n for prefix, n in LAYERS.items()
                if module == prefix or module.startswith(prefix + ".")))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle (Tarjan's strongly connected components of more than one module)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_among_the_projects_modules():
    graph = deps.graph(registered=False)  # import statements, also those inside functions
    assert cycles(graph) == []
    # the checker finds one when there is one
    assert cycles({**graph, "replication.core.errors": {"replication.cli"}}) != []


def test_every_import_goes_to_the_same_layer_or_below():
    graph = deps.graph(registered=False)
    upward = sorted(f"{a} ({layer(a)}) imports {b} ({layer(b)})"
                    for a, targets in graph.items() for b in targets
                    if layer(b) > layer(a))
    assert upward == []


def test_importing_the_library_and_the_cli_loads_neither_torch_nor_sam2():
    modules = sorted(m for m in deps.module_files() if m != "replication.__main__")
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "from replication.cli import build_parser\nbuild_parser()\n"
            + "print(sorted(m for m in ('torch', 'sam2', 'mmseg') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"
