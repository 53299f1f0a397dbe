"""Bootstrap confidence intervals of the headline metrics, and paired ones of their differences.

Each metric's spec (replication.metrics.specs) says what it resamples and how: mIoU and mBIoU
(`pooled-ratio` over frames) pool intersections and unions over frames, so a resample of frames
(with replacement) is scored by re-pooling its frames' per-class counts: a multinomial count per
frame and one matrix product give every resample at once. mVC_k (`mean` over windows) is a mean
over windows, so windows are resampled. A delta (method B minus method A on the same frames or
windows) reuses one set of resamples for both: the paired bootstrap. Frames of a video are
correlated, so resampling them understates the spread; with enough videos (the report's
`resample: auto` takes videos from 30 on) whole videos are resampled instead: every unit of a
drawn video counts as often as its video is drawn. CamVid (2 test videos, one val clip) has
frames as its only unit (the captions say which unit each interval resamples).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.sparse import csr_matrix, issparse

from replication.core.errors import InputError
from replication.metrics.counts import sparse, unit_count
from replication.metrics.specs import result_specs

RESAMPLES = 1000
LEVEL = 0.95
CHUNK = 50  # resamples drawn and scored at a time: memory CHUNK x units, whatever `resamples`


def resample_weights(n: int, resamples: int = RESAMPLES, seed: int = 0) -> Iterator[np.ndarray]:
    """The (resamples, n) multiplicities of a bootstrap over n units, CHUNK rows at a time (the
    rows of one draw of all of them)."""
    rng, p = np.random.default_rng(seed), np.full(n, 1 / n)
    for first in range(0, resamples, CHUNK):
        yield rng.multinomial(n, p, size=min(CHUNK, resamples - first)).astype(np.float64)


def pooled_mean_ratio(weights: np.ndarray, num, den) -> np.ndarray:
    """Per resample: mean over classes (with den > 0) of sum(num) / sum(den) over its units.
    `num`, `den`: (units, classes) counts, dense or sparse; returns (resamples,)."""
    n, d = np.asarray(weights @ num), np.asarray(weights @ den)
    ratio = np.divide(n, d, out=np.full(n.shape, np.nan), where=d > 0)
    with np.errstate(invalid="ignore"):
        return np.nanmean(ratio, axis=1)


def weighted_mean(weights: np.ndarray, sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per resample: the mean of the scores of its units, each unit holding `counts` scores that
    add up to `sums` (a window: one score; a video: its windows')."""
    return (weights @ sums) / (weights @ counts)


def interval(samples: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of bootstrap samples."""
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def resampled_rows(split: dict, metric: str, by: str) -> tuple:
    """What a resample of a metric re-pools, a row per resampled unit: a frame or window
    (`by` = `frame`), or a video with its units pooled (`video`; the same sums, as every unit of
    a drawn video counts as often as its video). (num, den) counts of a pooled ratio (sparse
    over frames), or (sums, counts) of the scores of a mean."""
    spec, data = result_specs(split)[metric], split["units"]["metrics"][metric]
    if spec.estimator == "pooled-ratio":
        rows = (sparse(data, "num"), sparse(data, "den"))
        video = split["units"]["frames"]["video"]
    else:
        scores = np.asarray(data["scores"], float)
        rows, video = (scores, np.ones_like(scores)), data["video"]
    if by == "frame":
        return rows
    video = np.asarray(video, np.int64)
    pool = csr_matrix((np.ones(len(video)), (video, np.arange(len(video)))),
                      shape=(len(split["units"]["videos"]), len(video)))
    return tuple(np.asarray((pool @ r).todense()) if issparse(r) else pool @ r for r in rows)


def samples(splits: list[dict], metric: str, resamples: int = RESAMPLES, seed: int = 0,
            by: str = "frame") -> list[np.ndarray]:
    """Bootstrap samples of a metric of each of `splits` (results splits of the same units),
    all from the same resamples (the paired bootstrap), by the metric's spec's estimator."""
    score = (pooled_mean_ratio if result_specs(splits[0])[metric].estimator == "pooled-ratio"
             else weighted_mean)
    rows = [resampled_rows(s, metric, by) for s in splits]
    out = [[] for _ in splits]
    for weights in resample_weights(rows[0][0].shape[0], resamples, seed):
        for got, (num, den) in zip(out, rows):
            got.append(score(weights, num, den))
    return [np.concatenate(got) for got in out]


def units(split: dict, metric: str) -> int:
    """How many units a metric resamples (frames or windows, as its spec says); 0 for a metric
    without (TC: its confusion is pooled over pairs, kept whole: no interval) and for results
    read without their units."""
    spec = result_specs(split).get(metric)
    data = split.get("units", {}).get("metrics", {}).get(metric)
    if spec is None or spec.estimator is None or data is None:
        return 0
    return unit_count(data)


def confidence(split: dict, metric: str, resamples: int = RESAMPLES, seed: int = 0,
               by: str = "frame") -> tuple[float, float] | None:
    """CI of a metric of one results split; None when it has no unit to resample."""
    if units(split, metric) == 0:
        return None
    return interval(samples([split], metric, resamples, seed, by)[0])


def paired_delta(a: dict, b: dict, metric: str, resamples: int = RESAMPLES, seed: int = 0,
                 by: str = "frame") -> tuple[float, float] | None:
    """CI of metric(b) - metric(a) over the same resamples of their shared units."""
    n = units(a, metric)
    if n == 0 or units(b, metric) != n:
        return None
    if result_specs(a)[metric].unit == "frame" and (
            a["units"]["frames"]["stems"] != b["units"]["frames"]["stems"]):
        raise InputError("paired bootstrap needs the same frames in both results")
    got_a, got_b = samples([a, b], metric, resamples, seed, by)
    return interval(got_b - got_a)
