"""Region metrics: mIoU and boundary IoU (mBIoU), pooled over frames, with per-frame counts.

mIoU: per class, intersection and union pooled over all frames (ignore pixels dropped), mean
over classes with a union. mBIoU: the same on boundary bands of width d (Boundary IoU, Cheng et
al. 2021; replication.metrics.boundary). One bincount per frame gives every count of both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from replication.metrics.boundary import boundary_band, boundary_width
from replication.metrics.counts import FrameCounts
from replication.metrics.specs import MetricSettings, MetricSpec

COUNTS = ("intersection", "union", "band_intersection", "band_union")


@dataclass
class ClassCounts:
    """Per-class intersection and union of regions and of boundary bands."""

    num_classes: int
    intersection: np.ndarray = field(init=False)
    union: np.ndarray = field(init=False)
    band_intersection: np.ndarray = field(init=False)
    band_union: np.ndarray = field(init=False)

    def __post_init__(self):
        for name in COUNTS:
            setattr(self, name, np.zeros(self.num_classes, np.int64))

    def add(self, other: "ClassCounts") -> None:
        for name in COUNTS:
            np.add(getattr(self, name), getattr(other, name), out=getattr(self, name))

    def iou(self) -> np.ndarray:
        return ratio(self.intersection, self.union)

    def biou(self) -> np.ndarray:
        return ratio(self.band_intersection, self.band_union)


def frame_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int, d: int) -> ClassCounts:
    """Counts of one frame; `gt` and `pred` hold ids < num_classes or 255 (ignore).

    One bincount over a joint code per pixel (gt id, pred id, in gt band, in pred band) gives
    every count: 255 maps to an extra id n, whose gt row is dropped (ignore) and whose pred
    column counts only in unions.
    """
    n = num_classes
    bins = (n + 1) * (n + 1) * 4
    dtype = np.uint16 if bins <= 1 << 16 else np.uint32
    code = np.minimum(gt, n).astype(dtype)
    code *= n + 1
    code += np.minimum(pred, n)
    code <<= 2
    code += boundary_band(gt, d).view(np.uint8) << 1
    code += boundary_band(pred, d).view(np.uint8)
    joint = np.bincount(code.ravel(), minlength=bins).reshape(n + 1, n + 1, 2, 2)[:n]
    confusion = joint.sum((2, 3))
    counts = ClassCounts(n)
    counts.intersection = np.diagonal(confusion)[:n].copy()
    counts.union = confusion.sum(1) + confusion.sum(0)[:n] - counts.intersection
    gt_band_area = joint[:, :, 1, :].sum((1, 2))
    pred_band_area = joint[:, :, :, 1].sum((0, 2))[:n]
    counts.band_intersection = np.diagonal(joint[:, :n, 1, 1]).copy()
    counts.band_union = gt_band_area + pred_band_area - counts.band_intersection
    return counts


class RegionMetrics:
    """mIoU and mBIoU (and mBIoU at the `boundary_sweep` ratios), with each frame's counts
    (sparse in the classes present: replication.metrics.counts) as the bootstrap's units."""

    def __init__(self, num_classes: int, settings: MetricSettings):
        self.n, self.ratio = num_classes, settings.boundary_ratio
        self.totals = ClassCounts(num_classes)
        self.sweep_totals = {r: ClassCounts(num_classes) for r in settings.boundary_sweep}
        self.units_iou, self.units_biou = FrameCounts(num_classes), FrameCounts(num_classes)

    def specs(self) -> list[MetricSpec]:
        return [MetricSpec("mIoU", "region", "frame", "pooled-ratio"),
                MetricSpec("mBIoU", "region", "frame", "pooled-ratio")]

    def start_video(self, name: str, length: int) -> None:
        self._counts = ClassCounts(self.n)

    def add_frame(self, gt: np.ndarray, pred: np.ndarray) -> None:
        d = boundary_width(*gt.shape, self.ratio)
        counts = frame_counts(gt, pred, self.n, d)
        self._counts.add(counts)
        self.units_iou.add(counts.intersection, counts.union)
        self.units_biou.add(counts.band_intersection, counts.band_union)
        for r, totals in self.sweep_totals.items():
            d_r = boundary_width(*gt.shape, r)
            totals.add(counts if d_r == d else frame_counts(gt, pred, self.n, d_r))

    def end_video(self) -> dict[str, float]:
        self.totals.add(self._counts)
        return {"mIoU": nanmean(self._counts.iou()), "mBIoU": nanmean(self._counts.biou())}

    def values(self) -> dict[str, float]:
        return {"mIoU": nanmean(self.totals.iou()), "mBIoU": nanmean(self.totals.biou())}

    def details(self, class_names: tuple[str, ...]) -> dict:
        t = self.totals
        iou, biou = t.iou(), t.biou()
        return {
            "settings": {"boundary_ratio": self.ratio},
            "per_class": {
                name: {"IoU": float(iou[c]), "BIoU": float(biou[c]),
                       **{key: int(getattr(t, key)[c]) for key in COUNTS}}
                for c, name in enumerate(class_names)},
            "boundary_sweep": {str(r): nanmean(s.biou()) for r, s in self.sweep_totals.items()},
        }

    def units(self) -> dict[str, dict]:
        return {"mIoU": self.units_iou.arrays(), "mBIoU": self.units_biou.arrays()}


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")
