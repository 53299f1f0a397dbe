"""What each metric is, and the registry of the computers that make them.

A `MetricSpec` says what the tables and intervals need to know of a metric: the split role that
scores it (`region`: mIoU-like, on the benchmark's region split; `temporal`: on its temporal
split), what its bootstrap resamples (`frame` or `window` units, with the estimator that
re-pools them: `pooled-ratio` sums per-class numerators and denominators over the units and
averages the ratios over classes, `mean` averages unit scores), which way is better, and
whether the headline tables show it. Each results split carries the specs of its metrics, so
the evaluator, score, collect, the tables and the bootstrap all read them from there.

The streaming evaluator runs one computer per entry of `COMPUTERS` (a class, or
"module:Class" imported when used): a computer is fed a video frame by frame and reports its
metrics' values, per-video values and resampling units (see `FrameMetric`). TC is computed in
its own pass over frame pairs (replication.metrics.tc); its spec is `TC_SPEC`. Adding a metric
is one module and one line here (docs/extending.md).
"""
from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from replication.core.settings import Settings, setting

ROLES = ("region", "temporal")
ESTIMATORS = ("pooled-ratio", "mean")


@dataclass(frozen=True)
class MetricSpec:
    name: str                     # its column, e.g. "mIoU"
    role: str                     # one of ROLES
    unit: str | None              # what its bootstrap resamples: "frame", "window"; None: none
    estimator: str | None = None  # how resampled units re-pool: one of ESTIMATORS
    higher_is_better: bool = True
    headline: bool = True         # shown in the tables

    def as_dict(self) -> dict:
        return asdict(self)


TC_SPEC = MetricSpec("TC", "temporal", None)  # its confusion is pooled over pairs: no interval


@dataclass
class MetricSettings(Settings):
    """The `metrics:` section of params and the flags of `vss evaluate`."""

    boundary_ratio: float = setting(0.02, "boundary band width d as a fraction of the image "
                                    "diagonal: d = max(1, round(ratio * diagonal))", above=0,
                                    below=1)
    vc_windows: tuple[int, ...] = setting((8, 16), "VC window lengths (mVC8, mVC16)", min=2,
                                          max=255)
    boundary_sweep: tuple[float, ...] = setting((), "also mBIoU at these band ratios (the "
                                                "band-width curve)", above=0, below=1)
    strict_vc: bool = setting(False, "VC over every window with ignore pixels dropped, TC "
                              "without the pixels the flow takes outside the frame (default: "
                              "VSPW's definitions)")
    tc_flow: str = setting("dis", "TC's optical flow on the temporal split (DIS: weight-free; "
                           "RAFT: raft-weights; none: no TC)", choices=("dis", "raft", "none"))
    raft_weights: Path | None = setting(None, "torchvision's raft_large weights (a local file) "
                                        "for tc-flow raft")
    tc_videos: int | None = setting(None, "TC on the first N videos of the temporal split only "
                                    "(VSPW's toolkit scores the first 100 of val: set 100 to "
                                    "match published TC); default: every video", min=1)

    def validate(self) -> None:
        if not self.vc_windows:
            self.reject("vc_windows", "at least one window length")
        if self.raft_weights in ("", None):
            self.raft_weights = None
        else:
            self.raft_weights = Path(self.raft_weights)


class FrameMetric(Protocol):
    """A metric computer of the streaming evaluator (fed one video at a time)."""

    def specs(self) -> list[MetricSpec]: ...

    def start_video(self, name: str, length: int) -> None: ...

    def add_frame(self, gt: np.ndarray, pred: np.ndarray) -> None: ...

    def end_video(self) -> dict[str, float]:
        """The finished video's values, by metric name."""

    def values(self) -> dict[str, float]:
        """Each metric's value over all videos, by name."""

    def details(self, class_names: tuple[str, ...]) -> dict:
        """Anything else the results keep (per-class values, settings)."""

    def units(self) -> dict[str, dict]:
        """Per metric with a unit: frame units for pooled-ratio (the per-class numerators and
        denominators of each frame, in frame order: `FrameCounts.arrays()` of
        replication.metrics.counts), or window units {"scores": (windows,), "video": (windows,)}
        for mean (`video`: the index of each window's video)."""


COMPUTERS: dict[str, str | type] = {
    "region": "replication.metrics.region:RegionMetrics",      # mIoU, mBIoU
    "vc": "replication.metrics.temporal:VideoConsistency",     # mVC_k
}


def register(name: str, target: str | type) -> None:
    """Add (or replace) a metric computer: a class taking (num_classes, MetricSettings), or
    "module:Class"."""
    COMPUTERS[name] = target


def computers(num_classes: int, settings: MetricSettings) -> list[FrameMetric]:
    made = []
    for name, target in list(COMPUTERS.items()):
        if isinstance(target, str):
            module, attr = target.split(":")
            target = COMPUTERS[name] = getattr(importlib.import_module(module), attr)
        made.append(target(num_classes, settings))
    return made


def result_specs(split: dict) -> dict[str, MetricSpec]:
    """The specs a results split carries, by name (results without any: none)."""
    return {name: MetricSpec(**spec) for name, spec in (split.get("metrics") or {}).items()}


def headline_metrics(summary: dict) -> dict:
    """The scalar metrics of a results split (its specs' values), frames and videos."""
    return {key: summary[key] for key in (*result_specs(summary), "frames", "videos")
            if key in summary}
