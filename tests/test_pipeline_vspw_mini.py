"""The whole pipeline (`dvc repro` of this repository's dvc.yaml) on a VSPW miniature in the
official layout, under VSPW params: fetch from the official archive, train, predict, masklets
(oracle, superpixel, and a RANDOMLY INITIALISED SAM2 labelled `sam2-random`), refine, classify,
score and report. Rows made without training must match tests/ci/vspw_mini_reference.json
exactly (they hold on any CPU; the random SAM2's masklet statistics within their measured
tolerance); trained rows are checked by behaviour (training follows another
float path on every CPU). Set VSS_WRITE_MINI_REFERENCE=1 to rewrite the reference after a
deliberate change. A benchmark named in params but absent gives "not run" rows instead.
"""
import json
import math
import os
from pathlib import Path

import pytest
import yaml

from replication.cli import main
from replication.data.mini import make_vspw
from replication.data.registry import get_dataset
from replication.experiments.ci_profile import compare
from tests.conftest import REPO, SAM2_CONFIG
from tests.pipeline_project import dvc, project_copy, unchanged
from tests.pipeline_project import results as project_results
from tests.reference import prediction_videos, reference_metrics

pytest.importorskip("sam2")
REFERENCE = REPO / "tests" / "ci" / "vspw_mini_reference.json"
# a random-weight SAM2's masks flip a few pixels on another float path: the measured tolerance
# of its CI-profile row (tests/ci/tolerances.json) holds for its masklet statistics too
TOLERANCES = {"default": 1e-9, "masks sam2-random": json.loads(
    (REPO / "tests" / "ci" / "tolerances.json").read_text())["gt-degraded+refine-sam2-random"]}


def mini_params(source: Path, sam2_checkpoint: Path) -> dict:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params.update(
        device="cpu", datasets=["vspw"], extra_seeds=[],
        baselines={"fastscnn": {"net": {"model": "fastscnn"},
                                "train": {"iterations": 20, "batch": 2, "crop": [96, 128],
                                          "log-every": 5}}},
        masks={"oracle": {"source": "oracle"},
               "superpixel": {"source": "superpixel", "workers": 1},
               "sam2-random": {"source": "sam2", "model": "sam2-random", "points-per-side": 4,
                               "pred-iou-thresh": 0, "stability-score-thresh": 0,
                               "max-masklets": 8}},
        sam2={"sam2-random": {"config": SAM2_CONFIG, "checkpoint": str(sam2_checkpoint),
                              "url": "http://127.0.0.1:9/none.pt", "sha256": ""}},
        refine={"sources": ["oracle", "superpixel", "sam2-random"], "vote_ablation": ["oracle"],
                "ablation_votes": ["frame"], "decisive-tau": 0.6},
        sweep={"source": "oracle", "seed": 0, "levels": ["boundary-2", "miss-0.5"]},
        report={"resamples": 50, "qualitative": {
            "dataset": "vspw", "frames": ["00007961", "00007979"],
            "methods": ["fastscnn", "fastscnn+refine-superpixel"], "masks": "superpixel"}})
    params["benchmarks"]["vspw"]["source"] = str(source)
    params["classify"].update(sources=["oracle", "superpixel"], sam2_features=[])
    params["classify"]["train"].update(hidden=[16], epochs=3)
    return params


def test_vspw_miniature_runs_the_whole_pipeline(tmp_path, camvid_root, random_checkpoint):
    make_vspw(camvid_root, tmp_path / "official", archive=True)
    project = project_copy(tmp_path / "project")
    params = mini_params(tmp_path / "official" / "VSPW_480p.zip", random_checkpoint)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    dvc(project, "repro", check=True)
    results = project_results(project, "vspw")
    assert set(results) == {
        "gt", "gt-degraded", "fastscnn", "fastscnn+refine-oracle",
        "fastscnn+refine-superpixel", "fastscnn+refine-sam2-random",
        "fastscnn+refine-oracle-vote-frame", "classify-oracle-fastscnn",
        "classify-superpixel-fastscnn", "fastscnn+refine-sweep-boundary-2",
        "fastscnn+refine-sweep-miss-0.5"}
    assert results["fastscnn+refine-sam2-random"]["method"] == {
        "kind": "refine", "baseline": "fastscnn", "source": "sam2-random", "vote": "masklet"}
    assert results["fastscnn"]["record"]["kind"] == "baseline"
    dataset = get_dataset("vspw", project / "data" / "vspw")
    for name, result in results.items():  # trained or not: every row equals the reference's
        val = result["val"]
        assert val["frames"] == 18 and val["videos"] == 2, name
        want = reference_metrics(prediction_videos(project / "predictions" / "vspw" / name,
                                                   dataset, "val"), 124, ks=(8,))
        for metric in ("mIoU", "mBIoU", "mVC8"):
            assert val[metric] == pytest.approx(want[metric], abs=1e-12), (name, metric)
        assert math.isnan(val["mVC16"])  # the miniature's videos have 9 frames
    assert results["gt"]["val"]["mIoU"] == 1.0

    # rows made without training: exact, on any CPU
    masks = {s: json.loads((project / "results" / "masks" / "vspw" / f"{s}.json").read_text())
             for s in ("oracle", "superpixel", "sam2-random")}
    exact = {"gt-degraded": {"val": {k: results["gt-degraded"]["val"][k]
                                     for k in ("mIoU", "mBIoU", "mVC8")}},
             **{f"masks {s}": {"all": {"masklets": m["masklets"], "coverage": m["coverage"],
                                       "frames_per_masklet": m["frames_per_masklet"]}}
                for s, m in masks.items()}}
    if os.environ.get("VSS_WRITE_MINI_REFERENCE"):
        REFERENCE.write_text(json.dumps(exact, indent=2) + "\n")
    problems = compare(exact, json.loads(REFERENCE.read_text()), TOLERANCES)
    assert not problems, "regression on the VSPW miniature:\n  " + "\n  ".join(problems)

    card = json.loads((project / "results" / "data" / "vspw.json").read_text())
    assert card["splits"]["val"] == {"videos": 2, "frames": 18, "labelled": 18}
    shown = dvc(project, "metrics", "show").stdout
    rows = [line for line in shown.splitlines() if line.startswith("results/metrics/vspw/")]
    assert len(rows) == len(results) and "mIoU" in shown.splitlines()[0]
    refiner = (project / "reports" / "tables" / "refiner.md").read_text()
    assert "| + refine | sam2-random |" in refiner and "vspw" in refiner
    assert "| fastscnn (baseline) | - | - |" in (project / "reports" / "headline.md").read_text()
    assert (project / "reports" / "figures" / "vspw_qualitative.png").is_file()
    assert "sweep" not in refiner  # the sweep's steps have their own tables
    steps = (project / "reports" / "tables" / "mask_sweep.csv").read_text().splitlines()
    assert [tuple(line.split(",")[1:3]) for line in steps[1:]] == [  # level 0: the oracle
        ("boundary", "0.0"), ("boundary", "2.0"), ("over", "1.0"), ("under", "0.0"),
        ("miss", "0.0"), ("miss", "0.5"), ("fragment", "32.0")]
    assert "| fastscnn | miss | 0, 0.5 |" in (
        project / "reports" / "tables" / "mask_sweep_break_even.md").read_text()
    assert (project / "reports" / "figures" / "vspw_mask_sweep_asa_fastscnn.png").is_file()
    said = (project / "reports" / "headline.md").read_text()
    assert "**How good must masks be** (vspw, fastscnn, val mIoU" in said
    assert all(f"{axis}" in said for axis in ("boundary", "over", "under", "miss", "fragment"))
    assert unchanged(project)  # a second repro does nothing (fetch re-checks the copy)


def test_an_absent_benchmark_gives_not_run_rows(tmp_path, capsys):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["benchmarks"]["vspw"]["root"] = str(tmp_path / "data" / "vspw")
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    card = tmp_path / "card.json"
    assert main(["fetch", "vspw", "--params", str(path), "--manifest", str(card)]) == 1
    assert "needs registration" in capsys.readouterr().err
    assert main(["fetch", "vspw", "--params", str(path), "--manifest", str(card),
                 "--record-not-run"]) == 0
    record = json.loads(card.read_text())
    assert record["status"] == "not run" and "vspwdataset.com" in record["fix"]
    common = ["--params", str(path), "--dataset", "vspw", "--record-not-run"]
    assert main(["train", *common, "--entry", "fastscnn", "--out", str(tmp_path / "m"),
                 "--curve", str(tmp_path / "curve.csv")]) == 0
    assert main(["predict", *common, "--checkpoint", str(tmp_path / "m"),
                 "--out", str(tmp_path / "pred" / "fastscnn")]) == 0
    assert main(["score", "--params", str(path), "--dataset", "vspw", "--predictions",
                 str(tmp_path / "pred"), "--out", str(tmp_path / "results"),
                 "--metrics", str(tmp_path / "metrics"), "--counts", str(tmp_path / "c")]) == 0
    row = json.loads((tmp_path / "results" / "fastscnn.json").read_text())
    assert row["status"] == "not run" and "not on this machine" in row["reason"]
    assert json.loads((tmp_path / "metrics" / "fastscnn.json").read_text()) == {}
