"""Kill anywhere, re-run, get the truth: each stage is killed (SIGKILL) right after its n-th file
operation (the fault hook of replication.core.atomic), for n from the first to past its last,
then run again; the outputs must equal an uninterrupted run's, with no temporary or staging
file left. Timing fields (which differ between any two runs) are left out of the comparison.
For score, `dvc repro` itself is killed and re-run, and `dvc status` must tell the truth."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from replication.core.atomic import KILL_ENV
from replication.experiments.ci_profile import CHECKPOINT, CLASSIFIER
from tests.conftest import REPO

TIMING = {"seconds", "fps", "fps_parts", "timing", "train_seconds", "device"}
POINTS = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89)  # file operations to die after


def vss(*args, kill: int | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != KILL_ENV}
    if kill is not None:
        env[KILL_ENV] = str(kill)
    return subprocess.run([sys.executable, "-m", "replication", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def snapshot(*roots: Path) -> dict[str, object]:
    """Every file under `roots`: JSON without its timing fields, other files as bytes."""
    out = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            key = str(path)
            if path.name.endswith(".timing.json"):
                continue
            if path.suffix == ".json":
                out[key] = _untimed(json.loads(path.read_text()))
            else:
                out[key] = path.read_bytes()
    return out


def _untimed(data):
    if isinstance(data, dict):
        return {k: _untimed(v) for k, v in data.items() if k not in TIMING}
    if isinstance(data, list):
        return [_untimed(v) for v in data]
    return data


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*")
                  if p.name.endswith(".tmp") or ".partial-" in p.name or ".old-" in p.name)


def killed_and_rerun(args: list, outputs: list[Path], work: Path,
                     points=POINTS) -> int:
    """Run `vss args` uninterrupted (the reference outputs), then for each kill point: from no
    outputs, a run killed after that many file operations, a re-run, and its outputs compared
    with the reference. Returns how many kill points were exercised (the run had that many
    file operations)."""
    for out in outputs:
        _remove(out)
    done = vss(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    reference = snapshot(*outputs)
    exercised = 0
    for point in points:
        for out in outputs:
            _remove(out)
        killed = vss(*args, kill=point)
        if killed.returncode == 0:  # fewer file operations than `point`: all covered
            break
        assert killed.returncode == -9, killed.stderr[-2000:]
        again = vss(*args)
        assert again.returncode == 0, (point, again.stderr[-2000:])
        assert snapshot(*outputs) == reference, f"killed after file operation {point}"
        assert leftovers(work) == [], point
        exercised += 1
    return exercised


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, camvid_small):
    work = tmp_path_factory.mktemp("kill")
    data = ["--dataset", "camvid", "--root", camvid_small]
    for method, extra in (("gt", []), ("gt-degraded", ["--downscale", "4", "--jitter", "2"])):
        assert vss("degrade", *data, *extra, "--out", work / "pred" / method).returncode == 0
    assert vss("masks", *data, "--source", "oracle", "--out", work / "masks" / "oracle"
               ).returncode == 0
    (work / "clf").mkdir()
    shutil.copy(CLASSIFIER, work / "clf" / "classifier.pt")
    return work, data


def test_refine_killed_anywhere(inputs):
    work, data = inputs
    args = ["refine", *data, "--pred", work / "pred" / "gt-degraded", "--masks",
            work / "masks" / "oracle", "--out", work / "refined"]
    assert killed_and_rerun(args, [work / "refined"], work) >= 3


def test_masks_killed_anywhere(inputs):
    work, data = inputs
    args = ["masks", *data, "--source", "superpixel", "--out", work / "sp", "--stats",
            work / "sp.json"]
    assert killed_and_rerun(args, [work / "sp", work / "sp.json"], work) >= 3


def test_predict_and_classify_killed_anywhere(inputs):
    work, data = inputs
    predict = ["predict", *data, "--splits", "test", "--checkpoint", CHECKPOINT, "--device",
               "cpu", "--out", work / "net"]
    assert killed_and_rerun(predict, [work / "net"], work, (1, 2, 4)) >= 2
    classify = ["classify", "predict", *data, "--splits", "test", "--masks",
                work / "masks" / "oracle", "--features", "baseline", "--checkpoint", CHECKPOINT,
                "--device", "cpu", "--model", work / "clf", "--out", work / "classified"]
    assert killed_and_rerun(classify, [work / "classified"], work, (1, 2, 4)) >= 2


def test_fetch_killed_anywhere(tmp_path, camvid_root):
    from replication.data.mini import make_vspw

    make_vspw(camvid_root, tmp_path / "official")
    args = ["fetch", "vspw", "--from", tmp_path / "official" / "VSPW_480p", "--dest",
            tmp_path / "vspw", "--manifest", tmp_path / "card.json"]
    assert killed_and_rerun(args, [tmp_path / "vspw", tmp_path / "card.json"], tmp_path) >= 1


def score_params(root: Path, ratio: float) -> dict:
    return {"datasets": ["camvid"],
            "benchmarks": {"camvid": {"root": str(root), "eval": ["val", "test"]}},
            "reference_methods": {"gt": {}, "gt-degraded": {"downscale": 4, "jitter": 2}},
            "metrics": {"boundary-ratio": ratio, "tc-flow": "none"},
            "report": {"resamples": 20}}


def test_score_and_report_killed_anywhere(inputs, camvid_small):
    work, _ = inputs
    (work / "score.yaml").write_text(yaml.safe_dump(score_params(camvid_small, 0.02)))
    score = ["score", "--params", work / "score.yaml", "--dataset", "camvid", "--predictions",
             work / "pred", "--out", work / "results" / "camvid", "--metrics",
             work / "results" / "metrics" / "camvid", "--counts", work / "counts" / "camvid",
             "--quiet"]
    outputs = [work / "results" / "camvid", work / "results" / "metrics" / "camvid",
               work / "counts" / "camvid"]
    assert killed_and_rerun(score, outputs, work) >= 3
    report = ["report", "--params", work / "score.yaml", "--results", work / "results",
              "--counts", work / "counts", "--out", work / "reports", "--predictions",
              work / "pred", "--masks-root", work / "masks"]
    assert killed_and_rerun(report, [work / "reports"], work, (1, 3, 8, 21)) >= 3


def test_dvc_status_tells_the_truth_after_a_killed_score(inputs, camvid_small, tmp_path):
    """The case of the issue: a changed band width, score killed between a method's results
    and its metrics row, then re-run: the metrics must be the new band width's."""
    work, _ = inputs
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(work / "pred", project / "predictions" / "camvid")
    (project / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"score": {
        "cmd": f"{sys.executable} -m replication score --params params.yaml --dataset camvid "
               "--predictions predictions/camvid --out results/camvid --metrics "
               "results/metrics/camvid --counts counts/camvid --quiet",
        "deps": ["predictions/camvid"], "params": ["metrics"],
        "outs": [{"results/camvid": {"cache": False, "persist": True}},
                 {"counts/camvid": {"persist": True}}],
        "metrics": [{"results/metrics/camvid": {"cache": False, "persist": True}}]}}}))
    dvc = [str(Path(sys.executable).with_name("dvc"))]
    env = {**os.environ, "PYTHONPATH": str(REPO), "DVC_NO_ANALYTICS": "1"}
    subprocess.run([*dvc, "init", "--no-scm", "-q"], cwd=project, check=True, env=env)

    env.pop(KILL_ENV, None)

    def repro(kill=None) -> subprocess.CompletedProcess:
        run_env = {**env, KILL_ENV: str(kill)} if kill else env
        return subprocess.run([*dvc, "repro", "-q"], cwd=project, env=run_env,
                              capture_output=True, text=True, timeout=600)

    (project / "params.yaml").write_text(yaml.safe_dump(score_params(camvid_small, 0.02)))
    assert repro().returncode == 0
    (project / "params.yaml").write_text(yaml.safe_dump(score_params(camvid_small, 0.05)))
    # the manifest, the first result, then the second result: die before any metrics row
    assert repro(kill=3).returncode != 0
    status = subprocess.run([*dvc, "status", "--json"], cwd=project, env=env,
                            capture_output=True, text=True).stdout
    assert "score" in json.loads(status)  # not up to date: the stage must run again
    assert repro().returncode == 0
    assert json.loads(subprocess.run([*dvc, "status", "--json"], cwd=project, env=env,
                                     capture_output=True, text=True).stdout) == {}
    for name in ("gt", "gt-degraded"):
        result = json.loads((project / "results" / "camvid" / f"{name}.json").read_text())
        row = json.loads((project / "results" / "metrics" / "camvid" / f"{name}.json")
                         .read_text())
        assert result["test"]["settings"]["boundary_ratio"] == 0.05
        assert row["mBIoU"] == result["test"]["mBIoU"]
    assert leftovers(project) == []
