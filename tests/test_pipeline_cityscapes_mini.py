"""The whole pipeline (`dvc repro`) on a Cityscapes miniature in the official layout: 30-frame
snippets of which gtFine labels one, and a sequence holding two labelled frames (two snippets,
never one video across the jump). Every stage handles the unlabelled frames: references and
scores use the labelled ones, masklets and refinements cover every frame, the classifier trains
on masklets of labelled frames. Every row runs and equals the reference implementation."""
import math

import pytest
import yaml

from replication.data.mini import make_cityscapes
from replication.data.registry import get_dataset
from tests.conftest import REPO
from tests.pipeline_project import dvc, project_copy, results, unchanged
from tests.reference import prediction_videos, reference_metrics


def cityscapes_params(sources: list[str]) -> dict:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params.update(
        device="cpu", datasets=["cityscapes"], extra_seeds=[],
        baselines={"fastscnn": {"net": {"model": "fastscnn"},
                                "train": {"iterations": 6, "batch": 2, "crop": [96, 128],
                                          "log-every": 2}}},
        masks={"oracle": {"source": "oracle"},
               "superpixel-flow": {"source": "superpixel-flow", "workers": 1}},
        refine={"sources": ["oracle", "superpixel-flow"], "vote_ablation": ["oracle"],
                "ablation_votes": ["frame"], "decisive-tau": 0.6},
        sweep={"source": "oracle", "seed": 0, "levels": []},  # no sweep: no stage of it
        report={"resamples": 50, "qualitative": {
            "dataset": "cityscapes", "frames": [], "methods": ["fastscnn",
                                                               "fastscnn+refine-oracle"],
            "masks": "oracle"}, "render": {"videos": 1}})
    params["benchmarks"]["cityscapes"]["source"] = sources
    params["classify"].update(sources=["oracle"], sam2_features=[])
    params["classify"]["train"].update(hidden=[16], epochs=3)
    return params


def test_cityscapes_miniature_runs_the_whole_pipeline(tmp_path, camvid_root):
    make_cityscapes(camvid_root, tmp_path / "official", archive=True)
    project = project_copy(tmp_path / "project")
    zips = [str(tmp_path / "official" / name) for name in (
        "leftImg8bit_sequence_trainvaltest.zip", "gtFine_trainvaltest.zip")]
    (project / "params.yaml").write_text(yaml.safe_dump(cityscapes_params(zips),
                                                        sort_keys=False))
    dvc(project, "repro", check=True)

    dataset = get_dataset("cityscapes", project / "data" / "cityscapes")
    videos = dataset.videos("val")
    assert [v.name for v in videos] == ["cambridge_000001_000019", "cambridge_000001_000119"]
    assert all(len(v.frames) == 30 for v in videos)
    rows = results(project, "cityscapes")
    assert set(rows) == {"gt", "gt-degraded", "fastscnn", "fastscnn+refine-oracle",
                         "fastscnn+refine-superpixel-flow", "fastscnn+refine-oracle-vote-frame",
                         "classify-oracle-fastscnn"}
    for name, result in rows.items():
        assert result.get("status") != "not run", (name, result.get("reason"))
        val = result["val"]
        assert val["frames"] == 2 and val["videos"] == 2, name  # the labelled frames
        want = reference_metrics(prediction_videos(project / "predictions" / "cityscapes" /
                                                   name, dataset, "val"), 19, ks=())
        for metric in ("mIoU", "mBIoU"):
            assert val[metric] == pytest.approx(want[metric], abs=1e-12), (name, metric)
        assert math.isnan(val["mVC8"])  # one labelled frame a snippet: no window to score
    # masklets and refinements cover every frame of each snippet, labelled or not
    refined = project / "predictions" / "cityscapes" / "fastscnn+refine-superpixel-flow"
    assert len(list(refined.rglob("*.png"))) == 60
    assert rows["gt"]["val"]["mIoU"] == 1.0
    report = (project / "reports" / "README.md").read_text()
    assert "cityscapes_qualitative.png" in report and "cityscapes_cambridge_000001_000019.gif" in (
        report)
    assert unchanged(project)
