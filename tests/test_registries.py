"""A metric and a masklet source added from outside the library, each as docs/extending.md says
(a class, and one registration: a line of `COMPUTERS` in replication/metrics/specs.py or of
`SOURCES` in replication/masks/base.py), reach the CLI, the results and the report's tables."""
import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from replication.cli import main
from replication.core.settings import setting
from replication.data.registry import get_dataset
from replication.experiments.ci_profile import CHECKPOINT
from replication.masks import base
from replication.masks.base import Source, add_masklet, empty_masklets
from replication.masks.store import encode
from replication.metrics import specs
from replication.metrics.specs import MetricSpec


@dataclass
class Grid(Source):
    """A toy source: the frame cut into cells x cells blocks, each one masklet over all frames."""

    cells: int = setting(2, "blocks per side", min=1)
    name: ClassVar[str] = "grid"

    def masklets(self, video, dataset):
        vm = empty_masklets(video, dataset, self.name)
        for i in range(self.cells):
            for j in range(self.cells):
                mask = np.zeros((vm.height, vm.width), bool)
                mask[i * vm.height // self.cells:(i + 1) * vm.height // self.cells,
                     j * vm.width // self.cells:(j + 1) * vm.width // self.cells] = True
                add_masklet(vm, [encode(mask[None])[0]] * len(video.frames))
        return vm


class PixelAccuracy:
    """A toy metric: pAcc, the share of labelled pixels predicted right, pooled over frames."""

    def __init__(self, num_classes, settings):
        from replication.metrics.counts import FrameCounts

        self.rows, self.video, self.units_ = [], [], FrameCounts(1)

    def specs(self):
        return [MetricSpec("pAcc", "region", "frame", "pooled-ratio")]

    def start_video(self, name, length):
        self.video = []

    def add_frame(self, gt, pred):
        keep = gt != 255
        self.video.append((int((gt[keep] == pred[keep]).sum()), int(keep.sum())))
        self.rows.append(self.video[-1])
        self.units_.add(np.array([self.video[-1][0]]), np.array([self.video[-1][1]]))

    def end_video(self):
        return {"pAcc": sum(c for c, _ in self.video) / sum(n for _, n in self.video)}

    def values(self):
        return {"pAcc": sum(c for c, _ in self.rows) / sum(n for _, n in self.rows)}

    def details(self, class_names):
        return {}

    def units(self):
        return {"pAcc": self.units_.arrays()}


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(base.SOURCES, "grid", Grid)
    monkeypatch.setitem(specs.COMPUTERS, "pacc", PixelAccuracy)


def test_a_toy_source_and_a_toy_metric_reach_the_tables(registered, tmp_path, camvid_small):
    params = {"datasets": ["camvid"],
              "benchmarks": {"camvid": {"root": str(camvid_small), "eval": ["val", "test"],
                                        "masks": ["val", "test"]}},
              "baselines": {"fastscnn": {}}, "refine": {"sources": ["grid"]},
              "masks": {"grid": {"source": "grid", "cells": 3}},
              "metrics": {"tc-flow": "none"}, "report": {"resamples": 50}}
    path = tmp_path / "params.yaml"
    path.write_text(json.dumps(params))
    common = ["--params", str(path), "--dataset", "camvid"]
    pred, masks = tmp_path / "predictions" / "camvid", tmp_path / "masks" / "camvid"
    assert main(["predict", *common, "--checkpoint", str(CHECKPOINT), "--device", "cpu",
                 "--out", str(pred / "fastscnn")]) == 0
    assert main(["masks", *common, "--entry", "grid", "--cells", "2",  # the flag wins
                 "--out", str(masks / "grid")]) == 0
    assert main(["refine", *common, "--pred", str(pred / "fastscnn"), "--masks",
                 str(masks / "grid"), "--out", str(pred / "fastscnn+refine-grid")]) == 0
    assert main(["score", *common, "--predictions", str(pred), "--out",
                 str(tmp_path / "results" / "camvid"), "--metrics",
                 str(tmp_path / "results" / "metrics" / "camvid"), "--counts",
                 str(tmp_path / "counts" / "camvid"), "--quiet"]) == 0
    assert main(["report", "--params", str(path), "--results", str(tmp_path / "results"),
                 "--counts", str(tmp_path / "counts"),
                 "--out", str(tmp_path / "reports"), "--predictions", str(tmp_path /
                                                                           "predictions"),
                 "--masks-root", str(tmp_path / "masks")]) == 0

    from replication.data.labels import read_label
    from replication.data.video import prediction_path
    from replication.masks.store import load

    assert json.loads((masks / "grid" / "record.json").read_text())["settings"] == {"cells": 2}
    assert {len(load(p).masklets) for p in (masks / "grid").rglob("*.json.gz")} == {4}
    result = json.loads((tmp_path / "results" / "camvid" / "fastscnn.json").read_text())
    dataset = get_dataset("camvid", camvid_small)
    right = labelled = 0
    for video in dataset.videos("test"):
        for frame in video.frames:
            gt = dataset.load_label(frame)
            guess = read_label(prediction_path(pred / "fastscnn", video, frame))
            right += int((guess[gt != 255] == gt[gt != 255]).sum())
            labelled += int((gt != 255).sum())
    assert result["test"]["pAcc"] == right / labelled  # the toy metric, by hand
    assert result["test"]["metrics"]["pAcc"]["unit"] == "frame"
    table = (tmp_path / "reports" / "tables" / "refiner.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| Method"))
    assert "| pAcc |" in header and "| ΔpAcc |" in header
    assert "| + refine | grid |" in table
    row = next(line for line in table.splitlines() if line.startswith("| fastscnn |"))
    assert f"{100 * right / labelled:.1f} [" in row  # with its bootstrap interval
    assert "pAcc" in (tmp_path / "reports" / "headline.md").read_text()
