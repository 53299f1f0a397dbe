"""Streaming evaluator: mIoU, mBIoU and mVC_k in one pass, a video at a time."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from replication.data.video import IGNORE
from replication.metrics.boundary import boundary_band, boundary_width
from replication.metrics.temporal import TemporalConsistency


@dataclass
class ClassCounts:
    """Per-class intersection and union of regions and of boundary bands."""

    num_classes: int
    intersection: np.ndarray = field(init=False)
    union: np.ndarray = field(init=False)
    band_intersection: np.ndarray = field(init=False)
    band_union: np.ndarray = field(init=False)

    def __post_init__(self):
        for name in ("intersection", "union", "band_intersection", "band_union"):
            setattr(self, name, np.zeros(self.num_classes, np.int64))

    def add(self, other: "ClassCounts") -> None:
        for name in ("intersection", "union", "band_intersection", "band_union"):
            np.add(getattr(self, name), getattr(other, name), out=getattr(self, name))

    def iou(self) -> np.ndarray:
        return _ratio(self.intersection, self.union)

    def biou(self) -> np.ndarray:
        return _ratio(self.band_intersection, self.band_union)


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


class StreamingEvaluator:
    """Feed videos frame by frame; read pooled and per-video metrics at the end.

    Memory holds the running counts and two frames per video, independent of their number.
    """

    def __init__(self, num_classes: int, *, boundary_ratio: float = 0.02,
                 vc_windows: tuple[int, ...] = (8, 16), strict_vc: bool = False,
                 boundary_sweep: tuple[float, ...] = ()):
        if not 1 <= num_classes <= IGNORE:
            raise ValueError(f"num_classes must be 1..{IGNORE} (ids 0..N-1 in uint8 label PNGs, "
                             f"{IGNORE} = ignore), got {num_classes}")
        for ratio in (boundary_ratio, *boundary_sweep):
            if not 0 < ratio < 1:
                raise ValueError(f"boundary ratios are fractions of the image diagonal in (0, 1) "
                                 f"(the paper's 0.02), got {ratio}")
        if any(k < 2 for k in vc_windows):
            raise ValueError(f"VC windows are frame counts >= 2 (the paper's 8 and 16), got "
                             f"{list(vc_windows)}")
        self.num_classes = num_classes
        self.boundary_ratio = boundary_ratio
        self.boundary_sweep = tuple(boundary_sweep)  # extra band ratios: mBIoU against width
        self.sweep_totals = {r: ClassCounts(num_classes) for r in self.boundary_sweep}
        self.per_frame: dict[str, list] = {"stems": [], "intersection": [], "union": [],
                                           "band_intersection": [], "band_union": []}
        self.totals = ClassCounts(num_classes)
        self.temporal = TemporalConsistency(tuple(vc_windows), strict=strict_vc)
        self.per_video: dict[str, dict] = {}
        self.frames = 0

    def start_video(self, name: str, length: int) -> None:
        self._video, self._length, self._shape = name, length, None
        self._counts = ClassCounts(self.num_classes)
        self.temporal.start_video(length)

    def add_frame(self, gt: np.ndarray, pred: np.ndarray, name: str | None = None) -> None:
        """Score one frame; `name` (its stem) labels its counts in `per_frame`."""
        if gt.shape != pred.shape:
            raise ValueError(f"prediction shape {pred.shape} differs from ground truth {gt.shape}")
        if self._shape is None:
            self._shape = gt.shape
            self._d = boundary_width(*gt.shape, self.boundary_ratio)
        elif gt.shape != self._shape:
            raise ValueError(f"frame size {gt.shape} differs from the video's first frame "
                             f"{self._shape}; all frames of a video must share one size")
        counts = frame_counts(gt, pred, self.num_classes, self._d)
        self._counts.add(counts)
        self.per_frame["stems"].append(name if name is not None else str(self.frames))
        for key in ("intersection", "union", "band_intersection", "band_union"):
            self.per_frame[key].append(getattr(counts, key).tolist())
        for ratio, totals in self.sweep_totals.items():
            d = boundary_width(*gt.shape, ratio)
            totals.add(counts if d == self._d else frame_counts(gt, pred, self.num_classes, d))
        self.temporal.add_frame(gt, pred)
        self.frames += 1

    def end_video(self) -> None:
        vc = self.temporal.end_video()
        self.totals.add(self._counts)
        self.per_video[self._video] = {
            "frames": self._length,
            "mIoU": _nanmean(self._counts.iou()),
            "mBIoU": _nanmean(self._counts.biou()),
            **{f"mVC{k}": v for k, v in vc.items()},
            "window_scores": {str(k): s for k, s in self.temporal.video_scores.items()},
        }

    def summary(self, class_names: tuple[str, ...]) -> dict:
        """Headline metrics, per-class values and counts, as written to results JSON."""
        if len(class_names) != self.num_classes:
            raise ValueError(f"{len(class_names)} class names for {self.num_classes} classes")
        t = self.totals
        iou, biou = t.iou(), t.biou()
        vc = self.temporal.result()
        return {
            "mIoU": _nanmean(iou),
            "mBIoU": _nanmean(biou),
            **{f"mVC{k}": v for k, v in vc.items()},
            "frames": self.frames,
            "videos": len(self.per_video),
            "vc_windows_scored": {str(k): self.temporal.counts[k] for k in self.temporal.ks},
            "settings": {"num_classes": self.num_classes, "boundary_ratio": self.boundary_ratio,
                         "vc_variant": "strict" if self.temporal.strict else "vspw"},
            "per_class": {
                name: {"IoU": float(iou[c]), "BIoU": float(biou[c]),
                       "intersection": int(t.intersection[c]), "union": int(t.union[c]),
                       "band_intersection": int(t.band_intersection[c]),
                       "band_union": int(t.band_union[c])}
                for c, name in enumerate(class_names)
            },
            "per_video": self.per_video,
            "per_frame": self.per_frame,
            "boundary_sweep": {str(r): _nanmean(t.biou()) for r, t in self.sweep_totals.items()},
        }


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")
