"""Video consistency VC_k (VSPW's VC_perclip.py), computed with running run lengths.

VSPW, for a video of L frames (skipped when L <= k) and each start i in range(L - k):
    gt_common   = pixels whose GT in frames i+1..i+k-1 equals frame i's GT
    pred_common = the same for predictions
    score_i     = |gt_common & pred_common| / |gt_common|       (NaN when gt_common is empty)
and mVC_k = nanmean of the scores of all windows of all videos. Ignore pixels are not masked, and
the last possible window (i = L - k) is left out: both kept for comparability with published
numbers. The `strict` variant includes the last window and drops ignore pixels from gt_common.

Instead of comparing k frames per window, keep per pixel the length of the run of equal values
ending at the current frame; window [i, i+k-1] is constant at a pixel iff that run, read at frame
i+k-1, is >= k. That is O(1) work per frame and pixel whatever k is.
"""
from __future__ import annotations

from array import array

import numpy as np

from replication.data.video import IGNORE
from replication.metrics.specs import MetricSettings, MetricSpec


class TemporalConsistency:
    """Accumulates VC_k window scores for several k over videos fed frame by frame."""

    def __init__(self, ks: tuple[int, ...] = (8, 16), *, strict: bool = False):
        if not ks or min(ks) < 2 or max(ks) > 255:
            raise ValueError(f"window lengths must lie in 2..255, got {ks}")
        self.ks = tuple(ks)
        self.strict = strict
        self.sums = {k: 0.0 for k in ks}
        self.counts = {k: 0 for k in ks}

    def start_video(self, length: int) -> None:
        self._length = length
        self._t = -1
        self.video_scores = {k: [] for k in self.ks}  # the video's window scores, in order

    def add_frame(self, gt: np.ndarray, pred: np.ndarray) -> None:
        self._t += 1
        if self._t == 0:
            self._run_gt = np.ones(gt.shape, np.uint8)
            self._run_pred = np.ones(gt.shape, np.uint8)
        else:
            _extend_runs(self._run_gt, gt == self._prev_gt)
            _extend_runs(self._run_pred, pred == self._prev_pred)
        self._prev_gt, self._prev_pred = gt, pred
        last_end = self._length - 1 if self.strict else self._length - 2
        for k in self.ks:
            if k - 1 <= self._t <= last_end:
                gt_common = self._run_gt >= k
                if self.strict:
                    gt_common &= gt != IGNORE
                denom = np.count_nonzero(gt_common)
                if denom:
                    score = np.count_nonzero(gt_common & (self._run_pred >= k)) / denom
                    self.video_scores[k].append(score)

    def end_video(self) -> dict[int, float]:
        """The finished video's mean score per k (NaN where it has no scored window)."""
        if self._t + 1 != self._length:
            raise RuntimeError(f"video announced {self._length} frames but got {self._t + 1}")
        for k in self.ks:
            self.sums[k] += sum(self.video_scores[k])
            self.counts[k] += len(self.video_scores[k])
        return {k: _mean(sum(self.video_scores[k]), len(self.video_scores[k])) for k in self.ks}

    def result(self) -> dict[int, float]:
        """mVC_k pooled over all windows of all videos (NaN where there is none)."""
        return {k: _mean(self.sums[k], self.counts[k]) for k in self.ks}


def _extend_runs(run: np.ndarray, same: np.ndarray) -> None:
    """run <- run + 1 where the value repeats, else 1; saturates at 255 (k <= 255)."""
    np.minimum(run, 254, out=run)
    np.multiply(run, same, out=run)
    run += 1


def _mean(total: float, count: int) -> float:
    return total / count if count else float("nan")


class VideoConsistency:
    """mVC_k for each k of `vc_windows` (VSPW's definition, or `strict_vc`), with the window
    scores as the bootstrap's units."""

    def __init__(self, num_classes: int, settings: MetricSettings):
        self.ks = tuple(settings.vc_windows)
        self.vc = TemporalConsistency(self.ks, strict=settings.strict_vc)
        self.scores = {k: array("d") for k in self.ks}  # flat: 8 bytes a window
        self.video_of = {k: array("q") for k in self.ks}
        self.videos = 0

    def specs(self) -> list[MetricSpec]:
        return [MetricSpec(f"mVC{k}", "temporal", "window", "mean") for k in self.ks]

    def start_video(self, name: str, length: int) -> None:
        self.vc.start_video(length)

    def add_frame(self, gt: np.ndarray, pred: np.ndarray) -> None:
        self.vc.add_frame(gt, pred)

    def end_video(self) -> dict[str, float]:
        means = self.vc.end_video()
        for k in self.ks:
            self.scores[k].extend(self.vc.video_scores[k])
            self.video_of[k].extend([self.videos] * len(self.vc.video_scores[k]))
        self.videos += 1
        return {f"mVC{k}": v for k, v in means.items()}

    def values(self) -> dict[str, float]:
        return {f"mVC{k}": v for k, v in self.vc.result().items()}

    def details(self, class_names: tuple[str, ...]) -> dict:
        return {"vc_windows_scored": {str(k): self.vc.counts[k] for k in self.ks},
                "settings": {"vc_variant": "strict" if self.vc.strict else "vspw"}}

    def units(self) -> dict[str, dict]:
        return {f"mVC{k}": {"scores": np.frombuffer(self.scores[k], float).copy(),
                            "video": np.frombuffer(self.video_of[k], np.int64).copy()}
                for k in self.ks}
