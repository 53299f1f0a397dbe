"""The code each stage of dvc.yaml runs, derived from the imports, so that its deps cannot go stale.

A stage's command is `vss <command> ...` (one or several); the command's module in
replication.cli, the CLI's shared modules, and every project module they import, transitively,
are what it runs. Imports are read from the source (the AST: also imports inside functions,
and "module:Class" strings of the registries, which are imported when used), without importing
anything. Files a module reads as data are declared in it as `__resources__` (paths relative
to the module's folder). The code deps of a stage are those files, a folder standing for all
of its files where every one is needed.

`vss deps --write` rewrites the code deps of dvc.yaml (other deps are kept); `vss deps` and
tests/test_deps.py fail when they differ from the derived ones, naming the stage and the
missing module.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from replication.core import yaml_text

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("replication", "baselines")
CLI = "replication.cli"
CLI_SHARED = ("replication.cli", "replication.cli.common")
_REGISTERED = re.compile(r"^((?:replication|baselines)(?:\.\w+)+):\w+$")
_IGNORED = ("__pycache__",)


def module_files(root: Path = REPO) -> dict[str, Path]:
    """Every project module -> its file (packages -> their __init__.py)."""
    out = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if any(part in _IGNORED for part in path.parts):
                continue
            parts = path.relative_to(root).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(path: Path, modules: dict[str, Path], *, registered: bool = True) -> set[str]:
    """The project modules a file imports (anywhere in it), and, with `registered`, those its
    "module:Class" strings name."""
    found = set()
    tree = ast.parse(Path(path).read_text(), filename=str(path))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif registered and isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _REGISTERED.match(node.value)
            names = [match.group(1)] if match else []
        found.update(_project(name, modules) for name in names)
    found.discard(None)
    return found


def _project(name: str, modules: dict[str, Path]) -> str | None:
    """The project module `name` is, or is in (`a.b.c` of a module `a.b`), None outside."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def graph(root: Path = REPO, *, registered: bool = True) -> dict[str, set[str]]:
    """module -> the project modules it imports."""
    modules = module_files(root)
    return {name: imports(path, modules, registered=registered) - {name}
            for name, path in modules.items()}


def resources(path: Path) -> list[Path]:
    """The data files a module declares in `__resources__` (paths beside it)."""
    for node in ast.parse(Path(path).read_text()).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "__resources__"):
            return [Path(path).parent / p for p in ast.literal_eval(node.value)]
    return []


def closure(command_modules: list[str], root: Path = REPO) -> set[Path]:
    """The files (repository-relative) the given CLI command modules run: their modules, the
    CLI's shared ones, every project module imported from them (never another command's
    module), the packages that hold them, and their declared resources."""
    edges, modules = graph(root), module_files(root)
    todo, seen = [*CLI_SHARED, *command_modules], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parent = name.rpartition(".")[0]
        if parent:
            todo.append(parent)
        todo += [m for m in edges[name] if not _other_command(m, command_modules)]
    files = set()
    for name in seen:
        files.add(modules[name])
        for resource in resources(modules[name]):
            files.update(resource.rglob("*") if resource.is_dir() else [resource])
    return {p.relative_to(root) for p in files if p.is_file() and not _ignored(p)}


def _other_command(module: str, ours: list[str]) -> bool:
    return module.startswith(CLI + ".") and module not in CLI_SHARED and module not in ours


def _ignored(path: Path) -> bool:
    return any(part in _IGNORED for part in path.parts) or path.suffix == ".pyc"


def compress(files: set[Path], root: Path = REPO) -> list[str]:
    """`files` as dvc deps: a folder where every file in it is needed, else the files."""
    out, covered = [], set()
    for path in sorted(files, key=lambda p: (len(p.parts), str(p))):
        if path in covered:
            continue
        folder = _widest_folder(path, files, root)
        if folder is None:
            out.append(str(path))
            covered.add(path)
        else:
            out.append(str(folder))
            covered.update(p for p in files if folder in p.parents)
    return sorted(out)


def _widest_folder(path: Path, files: set[Path], root: Path) -> Path | None:
    for folder in reversed(path.parents[:-1]):  # the outermost first
        inside = {p.relative_to(root) for p in (root / folder).rglob("*")
                  if p.is_file() and not _ignored(p)}
        if inside <= files:
            return folder
    return None


def stage_commands(stage: dict, commands: dict[str, str]) -> list[str]:
    """The CLI modules a dvc.yaml stage (or its `do:`) runs; `commands` maps each `vss`
    command to its module in replication.cli (replication.cli.COMMANDS)."""
    body = stage.get("do", stage)
    cmds = body["cmd"] if isinstance(body["cmd"], list) else [body["cmd"]]
    found = []
    for cmd in cmds:
        words = str(cmd).split()
        if len(words) > 1 and words[0] == "vss" and words[1] in commands:
            found.append(f"{CLI}.{commands[words[1]]}")
    return found


def is_code(dep: str) -> bool:
    return str(dep).split("/")[0] in PACKAGES


def expected(dvc_yaml: Path, commands: dict[str, str], root: Path = REPO) -> dict[str, list[str]]:
    """stage -> the code deps it should have."""
    stages = yaml_text.parse(Path(dvc_yaml).read_text())["stages"]
    return {name: compress(closure(stage_commands(stage, commands), root), root)
            for name, stage in stages.items() if stage_commands(stage, commands)}


def check(dvc_yaml: Path, commands: dict[str, str], root: Path = REPO) -> list[str]:
    """What is wrong with dvc.yaml's code deps: per stage, a module it runs that no dep
    covers, or a code dep it does not run."""
    stages = yaml_text.parse(Path(dvc_yaml).read_text())["stages"]
    problems = []
    for name, stage in stages.items():
        modules = stage_commands(stage, commands)
        if not modules:
            continue
        deps = [str(d) for d in stage.get("do", stage).get("deps", []) if is_code(d)]
        needed = closure(modules, root)
        for path in sorted(needed):
            if not any(path == Path(d) or Path(d) in path.parents for d in deps):
                problems.append(f"stage {name}: runs {path} ({_module(path)}), which no dep "
                                "covers")
        for dep in deps:
            if not any(path == Path(dep) or Path(dep) in path.parents for path in needed):
                problems.append(f"stage {name}: dep {dep} is code it does not run")
            elif (root / dep).is_dir() and not all(
                    p.relative_to(root) in needed for p in (root / dep).rglob("*")
                    if p.is_file() and not _ignored(p)):
                problems.append(f"stage {name}: dep {dep} holds code it does not run")
    return problems


def _module(path: Path) -> str:
    return ".".join(path.with_suffix("").parts).removesuffix(".__init__")


def write(dvc_yaml: Path, commands: dict[str, str], root: Path = REPO) -> list[str]:
    """Rewrite the code deps of every `vss` stage of dvc.yaml (the other deps, and the file's
    comments and layout, are kept); returns the stages that changed."""
    from ruamel.yaml import YAML

    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 100
    rt.indent(mapping=2, sequence=4, offset=2)
    doc = rt.load(Path(dvc_yaml).read_text())
    want = expected(dvc_yaml, commands, root)
    changed = []
    for name, deps in want.items():
        body = doc["stages"][name].get("do", doc["stages"][name])
        old = list(body.get("deps", []))
        new = [d for d in old if not is_code(d)] + deps
        if [str(d) for d in old] != new:
            body["deps"] = new
            changed.append(name)
    if changed:
        from replication.core.atomic import atomic_path

        with atomic_path(Path(dvc_yaml)) as tmp, open(tmp, "w") as fh:
            rt.dump(doc, fh)
    return changed

