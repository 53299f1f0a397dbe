"""How right a masklet source is, class-agnostic, against the ground truth.

Per split (and pooled over the splits), over the labelled frames:
- `asa_miou`, `asa_pixel`: achievable segmentation accuracy, the mIoU and pixel accuracy of the
  refiner run on the ground truth itself (replication.approaches.refine.refine_video: each
  masklet takes the majority ground-truth class over its frames; pixels outside masklets keep
  the ground truth), scored as `vss evaluate` scores (pooled counts, ignore pixels dropped):
  the ceiling of the refiner with this source. `asa_miou_frame`: the same with the vote per
  frame (what of the ceiling needs the masklets' temporal linking).
- `boundary_recall`: the share of ground-truth boundary pixels within d px (mBIoU's band,
  `boundary_ratio` of the diagonal) of a masklet boundary; `boundary_precision`: the share of
  masklet boundary pixels within d of a ground-truth boundary. Boundaries are the pixels with a
  4-neighbour of another value, in the ground truth between two classes (ignore pixels on
  neither side), in the masklets' partition of the frame (each pixel: the masklet painted on
  top, as the refiner paints, or none), the frame's edge not being one.
- `undersegmentation_error`: the leakage of Neubert and Protzel (2012), sum over masklet
  regions s of the partition and ground-truth class regions g of min(|s & g|, |s - g|), over
  the labelled pixels (a region that straddles classes is charged its smaller side).
- `temporal_purity`: the share of the masklets' labelled pixels, each masklet over all its
  frames, in that masklet's majority class.
- `coverage`: the share of labelled pixels some masklet covers.
The oracle's masklets (connected class regions) score 1 on the ASA and purity figures by
construction.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from replication.approaches.refine import refine_video
from replication.masks.runs import histograms, top_masks
from replication.metrics.boundary import boundary_width
from replication.metrics.region import ClassCounts, frame_counts, nanmean

IGNORE = 255
SUMS = ("valid", "covered", "pure", "masked", "leak", "gt_edges", "gt_edges_hit", "edges",
        "edges_hit", "asa_correct")


class QualityCounts:
    """Sums of a split's frames, from which every figure is a ratio (so splits pool)."""

    def __init__(self, num_classes: int):
        self.n = num_classes
        self.sums = dict.fromkeys(SUMS, 0)
        self.asa, self.asa_frame = ClassCounts(num_classes), ClassCounts(num_classes)

    def add(self, other: "QualityCounts") -> None:
        for key in SUMS:
            self.sums[key] += other.sums[key]
        self.asa.add(other.asa)
        self.asa_frame.add(other.asa_frame)

    def figures(self) -> dict:
        s = self.sums
        share = (lambda a, b: round(s[a] / s[b], 6) if s[b] else None)
        return {"asa_miou": _round(nanmean(self.asa.iou())),
                "asa_miou_frame": _round(nanmean(self.asa_frame.iou())),
                "asa_pixel": share("asa_correct", "valid"),
                "boundary_recall": share("gt_edges_hit", "gt_edges"),
                "boundary_precision": share("edges_hit", "edges"),
                "undersegmentation_error": share("leak", "valid"),
                "temporal_purity": share("pure", "masked"),
                "coverage": share("covered", "valid")}


def video_quality(vm, labels: list[np.ndarray | None], num_classes: int,
                  boundary_ratio: float) -> QualityCounts:
    """The counts of one video's masklets against its ground truth (`labels`: one per frame,
    None for an unlabelled frame, which counts nowhere)."""
    q = QualityCounts(num_classes)
    labelled = [t for t, label in enumerate(labels) if label is not None]
    if not labelled:
        return q
    for vote, counts in (("masklet", q.asa), ("frame", q.asa_frame)):
        # the refiner on the ground truth (unlabelled frames: all ignore, so they do not vote)
        blank = np.full((vm.height, vm.width), IGNORE, np.uint8)
        refined = refine_video([label if label is not None else blank for label in labels], vm,
                               num_classes, vote)
        for t in labelled:
            d = boundary_width(vm.height, vm.width, boundary_ratio)
            counts.add(frame_counts(labels[t], refined[t], num_classes, d))
            if vote == "masklet":
                valid = labels[t] != IGNORE
                q.sums["asa_correct"] += int(np.count_nonzero(refined[t][valid]
                                                              == labels[t][valid]))
    per_masklet = np.zeros((len(vm.masklets), num_classes), np.int64)
    for t in labelled:
        label, runs = labels[t], vm.runs(t)
        per_masklet[vm.present(t)] += histograms(runs, label, num_classes)
        valid = label != IGNORE
        top = top_masks(runs)  # (H, W): the masklet painted on top, -1 where none
        q.sums["valid"] += int(valid.sum())
        q.sums["covered"] += int(np.count_nonzero(valid & (top >= 0)))
        region = np.where(top >= 0, top, runs.n)  # uncovered pixels: no region
        table = np.bincount(region[valid] * num_classes + label[valid],
                            minlength=(runs.n + 1) * num_classes).reshape(-1, num_classes)[:-1]
        inside = table.sum(1, keepdims=True)
        q.sums["leak"] += int(np.minimum(table, inside - table)[table > 0].sum())
        d = boundary_width(vm.height, vm.width, boundary_ratio)
        gt_edges = _edges(label, label != IGNORE)
        edges = _edges(top, np.ones_like(valid))
        for key, mine, theirs in (("gt_edges", gt_edges, edges), ("edges", edges, gt_edges)):
            q.sums[key] += int(mine.sum())
            q.sums[f"{key}_hit"] += int(np.count_nonzero(mine & _near(theirs, d)))
    q.sums["pure"] += int(per_masklet.max(1).sum())
    q.sums["masked"] += int(per_masklet.sum())
    return q


def _edges(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Pixels with a valid 4-neighbour of another value (both valid); not the frame's edge."""
    edge = np.zeros(values.shape, bool)
    for axis in (0, 1):
        a = [slice(None)] * 2
        b = [slice(None)] * 2
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        differ = (values[tuple(a)] != values[tuple(b)]) & valid[tuple(a)] & valid[tuple(b)]
        edge[tuple(a)] |= differ
        edge[tuple(b)] |= differ
    return edge


def _near(edges: np.ndarray, d: int) -> np.ndarray:
    """Pixels within (Euclidean) distance d of an edge pixel."""
    if not edges.any():
        return np.zeros(edges.shape, bool)
    return ndimage.distance_transform_edt(~edges) <= d


def _round(value: float) -> float | None:
    return None if value != value else round(value, 6)


def source_quality(masks_dir, dataset, videos: list, boundary_ratio: float) -> dict:
    """The figures of a masks folder's `(split, video)` pairs, per split and `overall`
    (splits without a labelled frame are left out)."""
    from tqdm import tqdm

    from replication.masks.store import load_for_video

    by_split: dict[str, QualityCounts] = {}
    for split, video in tqdm(videos, desc="mask quality", unit="video"):
        vm = load_for_video(masks_dir, split, video)
        labels = [dataset.load_label(f) if f.label is not None else None for f in video.frames]
        by_split.setdefault(split, QualityCounts(dataset.num_classes)).add(
            video_quality(vm, labels, dataset.num_classes, boundary_ratio))
    overall = QualityCounts(dataset.num_classes)
    for counts in by_split.values():
        overall.add(counts)
    return {**{split: c.figures() for split, c in by_split.items() if c.sums["valid"]},
            "overall": overall.figures(), "boundary_ratio": boundary_ratio}
