"""SAM2 only where it can finish: with a (random-weight) SAM2 checkpoint at the default path and
no GPU, the default pipeline's SAM2 stages time a short window, estimate the whole of CamVid,
and record "not run" with that estimate and the fix, and the rest of the pipeline goes on;
with the params switch on, SAM2 runs on the CPU.

Random weights rate their own masks low: at the default thresholds they keep none, and SAM2
would then run only its generator (a window's automatic masks: about 30 s here, 13 minutes for
CamVid's 25 windows, within the budget). With both thresholds at 0 they keep about as many
masks as SAM2's own weights do, so the estimate is the one a real checkpoint gets. The limit is
set to one minute so that the outcome does not depend on this CPU's speed (the estimates are
hours for the masklets and about half an hour for the features here)."""
import json

import pytest

from replication.cli import main
from replication.core import yaml_text
from tests.conftest import SAM2_CONFIG
from tests.pipeline_project import dvc, project_copy

pytest.importorskip("sam2")


def test_the_default_pipeline_records_sam2_on_the_cpu_as_not_run(tmp_path, camvid_root,
                                                                  monkeypatch):
    from replication.masks.sam2.checkpoint import write_random_checkpoint

    monkeypatch.setenv("VSS_CAMVID_MIRROR", str(camvid_root))
    project = project_copy(tmp_path / "project")
    write_random_checkpoint(SAM2_CONFIG, project / "checkpoints" / "sam2.1_hiera_tiny.pt")
    params = yaml_text.parse((project / "params.yaml").read_text())
    params["masks"]["sam2-tiny"].update({"pred-iou-thresh": 0, "stability-score-thresh": 0})
    params["sam2_cpu"]["limit-minutes"] = 1
    params["baselines"]["fastscnn"]["train"].update(  # the refiner's input, not what is tested
        {"iterations": 2, "batch": 2, "crop": [64, 64]})
    params["classify"]["sources"] = ["oracle", "sam2-tiny"]  # the features' (not superpixels)
    (project / "params.yaml").write_text(json.dumps(params))
    dvc(project, "repro", "masks@camvid-sam2-tiny", "masks@camvid-oracle", check=True)
    dvc(project, "repro", "-s", "features-sam2@camvid-sam2-tiny",
        "classify-sam2@camvid-oracle-sam2-tiny", check=True)
    record = json.loads((project / "results" / "sam2" / "sam2-tiny.json").read_text())
    assert record["available"]  # the checkpoint is there and loads: only the time stops it
    stats = json.loads((project / "results" / "masks" / "camvid" / "sam2-tiny.json")
                       .read_text())
    assert stats["status"] == "not run"
    assert "sam2 masklets of 6 videos on the CPU would take about" in stats["reason"]
    assert "s per frame to track them, for 701 frames in 25 windows" in stats["reason"]
    assert "sam2_cpu.run-anyway: true" in stats["fix"] and "more than the 1-minute limit" in (
        stats["reason"])
    classifier = json.loads((project / "models" / "camvid" / "classify-oracle-sam2-tiny" /
                             "NOT_RUN.json").read_text())
    assert "SAM2 features of 6 videos on the CPU would take about" in classifier["reason"]
    # the stages after them pass the record on, with its estimate
    refined = dvc(project, "repro", "refine@camvid-fastscnn-sam2-tiny")
    assert refined.returncode == 0, refined.stderr[-2000:]
    assert "would take about" in (project / "predictions" / "camvid" /
                                  "fastscnn+refine-sam2-tiny" / "NOT_RUN.json").read_text()


def test_with_the_switch_on_sam2_runs_on_the_cpu(tmp_path, camvid_small, random_checkpoint):
    out = tmp_path / "masks"
    args = ["masks", "--dataset", "camvid", "--root", str(camvid_small), "--splits", "test",
            "--source", "sam2", "--sam2-checkpoint", str(random_checkpoint),
            "--points-per-side", "2", "--pred-iou-thresh", "0", "--stability-score-thresh",
            "0", "--max-masklets", "2", "--device", "cpu", "--out", str(out)]
    assert main([*args, "--sam2-cpu-limit", "0", "--record-not-run"]) == 0
    assert "would take about" in json.loads((out / "NOT_RUN.json").read_text())["reason"]
    assert main([*args, "--sam2-cpu-limit", "0", "--sam2-cpu-run-anyway"]) == 0
    assert [p.name for p in (out / "test").glob("*.json.gz")] == ["Seq05VD.json.gz"]
