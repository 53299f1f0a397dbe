"""Bootstrap confidence intervals of the headline metrics, and paired ones of their differences.

mIoU and mBIoU pool intersections and unions over frames, so a resample of frames (with
replacement) is scored by re-pooling its frames' per-class counts: a multinomial count per frame
and one matrix product give every resample at once. mVC_k is a mean over windows, so windows
are resampled. A delta (method B minus method A on the same frames or windows) reuses one set of
resamples for both: the paired bootstrap. Frames of a video are correlated, so these intervals
are narrower than a resample of videos would give; with CamVid's 2 test videos, frames are the
only unit there is (the captions say so).
"""
from __future__ import annotations

import numpy as np

RESAMPLES = 1000
LEVEL = 0.95


def resample_weights(n: int, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """(resamples, n) multiplicities of a bootstrap over n units."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1 / n), size=resamples).astype(np.float64)


def pooled_mean_ratio(weights: np.ndarray, num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Per resample: mean over classes (with den > 0) of sum(num) / sum(den) over its frames.
    `num`, `den`: (frames, classes) counts; returns (resamples,)."""
    n, d = weights @ num, weights @ den
    ratio = np.divide(n, d, out=np.full(n.shape, np.nan), where=d > 0)
    with np.errstate(invalid="ignore"):
        return np.nanmean(ratio, axis=1)


def weighted_mean(weights: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per resample: mean of `scores` (one per window) under the multiplicities."""
    return (weights @ scores) / weights.sum(1)


def interval(samples: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of bootstrap samples."""
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def metric_samples(split: dict, metric: str, weights: np.ndarray) -> np.ndarray:
    """Bootstrap samples of one headline metric of a results split (see `units`)."""
    if metric in ("mIoU", "mBIoU"):
        counts = split["per_frame"]
        num, den = (("intersection", "union") if metric == "mIoU"
                    else ("band_intersection", "band_union"))
        return pooled_mean_ratio(weights, np.asarray(counts[num], float),
                                 np.asarray(counts[den], float))
    return weighted_mean(weights, window_scores(split, int(metric[3:])))


def units(split: dict, metric: str) -> int:
    """How many units a metric resamples: frames (mIoU, mBIoU) or windows (mVC_k); 0 for
    results written without them and for TC (its confusion is pooled over pairs, kept whole:
    no interval)."""
    if metric in ("mIoU", "mBIoU"):
        return len(split.get("per_frame", {}).get("stems", []))
    if not metric.startswith("mVC"):
        return 0
    return len(window_scores(split, int(metric[3:])))


def window_scores(split: dict, k: int) -> np.ndarray:
    return np.array([s for video in split.get("per_video", {}).values()
                     for s in video.get("window_scores", {}).get(str(k), [])], float)


def confidence(split: dict, metric: str, resamples: int = RESAMPLES,
               seed: int = 0) -> tuple[float, float] | None:
    """CI of a metric of one results split; None when it has no unit to resample."""
    n = units(split, metric)
    if n == 0:
        return None
    return interval(metric_samples(split, metric, resample_weights(n, resamples, seed)))


def paired_delta(a: dict, b: dict, metric: str, resamples: int = RESAMPLES,
                 seed: int = 0) -> tuple[float, float] | None:
    """CI of metric(b) - metric(a) over the same resamples of their shared frames/windows."""
    n = units(a, metric)
    if n == 0 or units(b, metric) != n:
        return None
    if metric in ("mIoU", "mBIoU") and a["per_frame"]["stems"] != b["per_frame"]["stems"]:
        raise ValueError("paired bootstrap needs the same frames in both results")
    weights = resample_weights(n, resamples, seed)
    return interval(metric_samples(b, metric, weights) - metric_samples(a, metric, weights))
