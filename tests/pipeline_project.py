"""A scratch DVC project holding this repository's pipeline and code, for the tests that run the
real `dvc repro` (on the miniatures, under their params or a profile)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def project_copy(dest: Path) -> Path:
    """dvc.yaml, params.yaml, the profiles and the code in a fresh DVC project (no git)."""
    dest.mkdir()
    for name in ("dvc.yaml", "params.yaml", ".dvcignore"):
        shutil.copy(REPO / name, dest)
    for folder in ("replication", "baselines", "profiles"):
        shutil.copytree(REPO / folder, dest / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dvc(dest, "init", "--no-scm", "-q", check=True)
    return dest


def env() -> dict:
    return {**os.environ, "DVC_NO_ANALYTICS": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def dvc(project: Path, *args, check: bool = False, timeout: float = 1800):
    run = subprocess.run([str(Path(sys.executable).with_name("dvc")), *map(str, args)],
                         cwd=project, env=env(), capture_output=True, text=True,
                         timeout=timeout)
    if check:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def results(project: Path, dataset: str) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text())
            for p in sorted((project / "results" / dataset).glob("[!.]*.json"))}


def unchanged(project: Path) -> bool:
    """`dvc status` finds nothing to re-run (fetch, always changed, aside)."""
    out = dvc(project, "status").stdout
    return "changed" not in out.replace("always changed", "")
