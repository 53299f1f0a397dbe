"""Every stage of dvc.yaml depends on the code its command runs (derived from the imports), so a
change to that code makes `dvc status` report the stage; documentation stays out of deps."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from replication.cli import COMMANDS, main
from replication.pipeline import deps
from tests.conftest import REPO

# modules the issue names, and stages that must re-run when they change (stage names of the
# default params; matrices expand over camvid and the default baselines and sources)
CHANGES = {
    "replication/masks/runs.py": ["refine@", "refine-vote@", "classify@",
                                  "classify-sam2@"],
    "replication/metrics/flow.py": ["masks@camvid-superpixel-flow", "score@camvid"],
    "replication/data/images.py": ["train@", "predict@", "masks@camvid-superpixel",
                                   "masks@camvid-superpixel-flow"],
}


def test_code_deps_of_dvc_yaml_are_current():
    assert deps.check(REPO / "dvc.yaml", COMMANDS) == [], (
        "dvc.yaml's code deps differ from the code its stages run; run `vss deps --write`")


def test_a_removed_dep_is_named_with_its_stage(tmp_path):
    doc = yaml.safe_load((REPO / "dvc.yaml").read_text())
    doc["stages"]["refine"]["deps"].remove("replication/masks/runs.py")
    broken = tmp_path / "dvc.yaml"
    broken.write_text(yaml.safe_dump(doc))
    assert deps.check(broken, COMMANDS) == [
        "stage refine: runs replication/masks/runs.py (replication.masks.runs), which no dep "
        "covers"]
    doc["stages"]["refine"]["deps"].append("replication/report/tables.py")
    broken.write_text(yaml.safe_dump(doc))
    assert "stage refine: dep replication/report/tables.py is code it does not run" in (
        deps.check(broken, COMMANDS))
    assert main(["deps", "--dvc-yaml", str(broken)]) == 1
    assert main(["deps", "--dvc-yaml", str(broken), "--write"]) == 0
    assert deps.check(broken, COMMANDS) == []


def test_closure_follows_imports_inside_functions_and_registry_strings():
    masks = deps.closure(["replication.cli.masks"])
    assert Path("replication/masks/superpixel_flow.py") in masks  # a "module:Class" entry
    assert Path("replication/metrics/flow.py") in masks  # imported inside a method
    assert Path("replication/cli/refine.py") not in masks  # another command's module
    train = deps.closure(["replication.cli.train"])
    assert Path("baselines/configs/fastscnn.py") in train  # declared in __resources__
    assert not any(p.suffix == ".md" or p.parts[0] == "docs" for p in masks | train)


def _status(project: Path) -> dict:
    out = subprocess.run([str(Path(sys.executable).with_name("dvc")), "status", "--json"],
                         cwd=project, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_dvc_status_reports_the_stages_whose_code_changed(tmp_path):
    """A copy of the project (its code, dvc.yaml, dvc.lock, params and results; no outputs):
    append a comment to each module of CHANGES and ask `dvc status` which stages' deps changed."""
    project = tmp_path / "project"
    shutil.copytree(REPO / ".dvc", project / ".dvc",
                    ignore=shutil.ignore_patterns("cache", "tmp", "config.local"))
    for name in ("dvc.yaml", "dvc.lock", "params.yaml", ".dvcignore"):
        shutil.copy(REPO / name, project / name)
    for folder in ("replication", "baselines", "results"):
        shutil.copytree(REPO / folder, project / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (project / ".dvc" / "config").write_text("[core]\n    no_scm = true\n")
    for module in CHANGES:
        with open(project / module, "a") as fh:
            fh.write("# a comment\n")
    status = _status(project)

    def reporting(module: str) -> set[str]:
        """The stages whose changed deps include `module` or a folder holding it."""
        return {stage for stage, changes in status.items() for change in changes
                if isinstance(change, dict) and any(
                    dep == module or module.startswith(dep + "/")
                    for dep in change.get("changed deps", {}))}

    for module, stages in CHANGES.items():
        reported = reporting(module)
        for prefix in stages:
            assert any(s.startswith(prefix) for s in reported), (module, prefix, reported)
    assert not any(s.startswith(("refine", "train@", "predict@", "reference@"))
                   for s in reporting("replication/metrics/flow.py"))  # they run no flow
