"""TC, temporal consistency by optical flow, as the VSPW toolkit's TC_cal.py defines it.

For every pair of consecutive frames (i, i+1) of every video: the flow from frame i to frame
i+1 (RAFT in the toolkit; DIS here by default, RAFT when its weights are given), the prediction
of frame i+1 warped back to frame i along it (nearest; where the flow leaves the frame the
toolkit reads 0, i.e. class 0, and its coordinate normalisation puts the last row and column
outside even for zero flow: kept), then a confusion matrix of (prediction i, warped prediction)
pooled over all pairs of all videos, pixels where prediction i is not a class (255) dropped.
TC = the mean of its per-class IoU over the classes present in the earlier frames' predictions
(confusion row sum > 0, as the toolkit's Evaluator averages). Only meaningful on consecutive
frames (CamVid's 15 Hz val clip, VSPW); one pass computes it for several prediction folders,
so the flow of each pair is computed once. `strict` drops the pixels the flow takes outside the
frame instead of counting them as class 0. Warped pixels of 255 are dropped too (the toolkit's
evaluator would misplace them in its confusion matrix; network predictions never hold 255).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from replication.data.images import read_image
from replication.data.labels import read_label
from replication.data.video import Video, prediction_path
from replication.metrics.flow import sample_index


def temporal_consistency(videos: list[Video], pred_dirs: dict[str, Path], num_classes: int,
                         flow, *, strict: bool = False, progress: bool = True) -> dict[str, dict]:
    """{name: {"TC", "pairs", "per_video": {video: TC}}} of each prediction folder."""
    n = num_classes
    totals = {name: np.zeros((n, n), np.int64) for name in pred_dirs}
    per_video = {name: {} for name in pred_dirs}
    pairs = sum(max(len(v.frames) - 1, 0) for v in videos)
    with tqdm(total=pairs, desc="TC", unit="pair", disable=not progress) as bar:
        for video in videos:
            frames = video.frames
            if len(frames) < 2:  # no pair
                continue
            counts = {name: np.zeros((n, n), np.int64) for name in pred_dirs}
            image = read_image(frames[0].image)
            now = {name: read_label(prediction_path(folder, video, frames[0]))
                   for name, folder in pred_dirs.items()}
            for b in frames[1:]:  # each frame read once: pair (a, b), then b is the next a
                following = read_image(b.image)
                rows, cols, inside = sample_index(flow(image, following))
                for name, folder in pred_dirs.items():
                    after = read_label(prediction_path(folder, video, b))
                    warped = np.where(inside, after[rows, cols], 0)
                    keep = (now[name] < n) & (warped < n) & (inside | (not strict))
                    counts[name] += np.bincount(
                        now[name][keep].astype(np.int64) * n + warped[keep],
                        minlength=n * n).reshape(n, n)
                    now[name] = after
                image = following
                bar.update()
            for name in pred_dirs:
                totals[name] += counts[name]
                per_video[name][video.name] = mean_iou(counts[name])
    return {name: {"TC": mean_iou(totals[name]), "pairs": pairs, "per_video": per_video[name],
                   "variant": "strict" if strict else "vspw"} for name in pred_dirs}


def mean_iou(confusion: np.ndarray) -> float:
    """The toolkit's mean of diag / (row + column - diag) over the classes of the earlier
    frames' predictions (confusion row sum > 0; TC_cal.py's Evaluator: `isval`), so a class
    that appears only in the warped predictions (e.g. class 0 read outside the frame) does not
    count."""
    inter = np.diag(confusion).astype(float)
    union = confusion.sum(0) + confusion.sum(1) - inter
    present = confusion.sum(1) > 0
    return float((inter[present] / union[present]).mean()) if present.any() else float("nan")

