"""Bootstrap confidence intervals of the headline metrics, and paired ones of their differences.

Each metric's spec (replication.metrics.specs) says what it resamples and how: mIoU and mBIoU
(`pooled-ratio` over frames) pool intersections and unions over frames, so a resample of frames
(with replacement) is scored by re-pooling its frames' per-class counts: a multinomial count per
frame and one matrix product give every resample at once. mVC_k (`mean` over windows) is a mean
over windows, so windows are resampled. A delta (method B minus method A on the same frames or
windows) reuses one set of resamples for both: the paired bootstrap. Frames of a video are correlated, so these intervals
are narrower than a resample of videos would give; with CamVid's 2 test videos, frames are the
only unit there is (the captions say so).
"""
from __future__ import annotations

import numpy as np

from replication.core.errors import InputError
from replication.metrics.specs import result_specs

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
    """Bootstrap samples of one metric of a results split, by its spec's estimator over its
    stored units (see `units`)."""
    spec, data = result_specs(split)[metric], split["units"]["metrics"][metric]
    if spec.estimator == "pooled-ratio":
        return pooled_mean_ratio(weights, np.asarray(data["num"], float),
                                 np.asarray(data["den"], float))
    return weighted_mean(weights, np.asarray(data["scores"], float))


def units(split: dict, metric: str) -> int:
    """How many units a metric resamples (frames or windows, as its spec says); 0 for a metric
    without (TC: its confusion is pooled over pairs, kept whole: no interval) and for results
    written without units."""
    spec = result_specs(split).get(metric)
    data = split.get("units", {}).get("metrics", {}).get(metric)
    if spec is None or spec.estimator is None or data is None:
        return 0
    return len(data["num"] if spec.estimator == "pooled-ratio" else data["scores"])


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
    if result_specs(a)[metric].unit == "frame" and (
            a["units"]["frames"]["stems"] != b["units"]["frames"]["stems"]):
        raise InputError("paired bootstrap needs the same frames in both results")
    weights = resample_weights(n, resamples, seed)
    return interval(metric_samples(b, metric, weights) - metric_samples(a, metric, weights))
