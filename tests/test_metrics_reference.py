"""The streaming evaluator against plain reference loops (tests/reference.py) and mmseg."""
import numpy as np
import pytest

from replication.metrics.evaluator import StreamingEvaluator
from tests.reference import perturb, random_video, reference_metrics


def make_videos(seed, num_classes):
    rng = np.random.default_rng(seed)
    videos = {}
    specs = [(20, (37, 53)), (17, (24, 24)), (9, (60, 41)), (5, (13, 70)), (16, (31, 29))]
    for i, (length, shape) in enumerate(specs):
        absent = tuple(rng.choice(num_classes, size=2, replace=False))
        gts = random_video(rng, length, shape, num_classes, absent=absent,
                           change=rng.uniform(0.0, 0.1))
        videos[f"video{i}"] = [(g, perturb(rng, g, num_classes, noise=rng.uniform(0, 0.1)))
                               for g in gts]
    return videos


def streaming(videos, num_classes, **options):
    ev = StreamingEvaluator(num_classes, **options)
    for name, frames in videos.items():
        ev.start_video(name, len(frames))
        for gt, pred in frames:
            ev.add_frame(gt, pred)
        ev.end_video()
    return ev.summary(tuple(map(str, range(num_classes))))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("strict", [False, True])
def test_streaming_matches_reference_on_random_videos(seed, strict):
    n = 7
    videos = make_videos(seed, n)
    ks = (3, 8, 16)
    ratio = [0.02, 0.05, 0.1, 0.005][seed]
    got = streaming(videos, n, vc_windows=ks, strict_vc=strict, boundary_ratio=ratio)
    want = reference_metrics(videos, n, ks=ks, ratio=ratio, strict=strict)
    iou = np.array([got["per_class"][str(c)]["IoU"] for c in range(n)])
    biou = np.array([got["per_class"][str(c)]["BIoU"] for c in range(n)])
    np.testing.assert_allclose(iou, want["IoU"], atol=1e-9)
    np.testing.assert_allclose(biou, want["BIoU"], atol=1e-9)
    for metric in ("mIoU", "mBIoU", "mVC3", "mVC8", "mVC16"):
        assert got[metric] == pytest.approx(want[metric], abs=1e-9, nan_ok=True), metric
    # the videos cover every case: some shorter than 8 and 16, some with NaN classes
    assert not np.isnan(got["mVC16"]) and got["vc_windows_scored"]["16"] > 0
    assert got["frames"] == sum(len(v) for v in videos.values())


def test_per_video_values_match_reference_on_each_video():
    n = 5
    videos = make_videos(7, n)
    got = streaming(videos, n, vc_windows=(8,))
    for name, frames in videos.items():
        want = reference_metrics({name: frames}, n, ks=(8,))
        assert got["per_video"][name]["mIoU"] == pytest.approx(want["mIoU"], abs=1e-9)
        assert got["per_video"][name]["mBIoU"] == pytest.approx(want["mBIoU"], abs=1e-9)
        assert got["per_video"][name]["mVC8"] == pytest.approx(want["mVC8"], abs=1e-9,
                                                               nan_ok=True)


def mmseg_iou(frames, num_classes):
    """mmsegmentation 1.x IoUMetric over the same frames: (unrounded per-class IoU, mIoU in %)."""
    torch = pytest.importorskip("torch")
    iou_metric = pytest.importorskip("mmseg.evaluation.metrics.iou_metric")
    metric = iou_metric.IoUMetric(ignore_index=255, iou_metrics=["mIoU"])
    metric.dataset_meta = {"classes": [str(c) for c in range(num_classes)]}
    metric.process({}, [{"pred_sem_seg": {"data": torch.from_numpy(p.astype(np.int64))[None]},
                         "gt_sem_seg": {"data": torch.from_numpy(g.astype(np.int64))[None]}}
                        for g, p in frames])
    totals = [sum(r[i] for r in metric.results) for i in range(4)]
    per_class = metric.total_area_to_metrics(*totals, ["mIoU"])["IoU"]
    summary = metric.compute_metrics(metric.results)
    return np.asarray(per_class, float), summary["mIoU"]


@pytest.mark.parametrize("seed", [10, 11])
def test_miou_equals_mmsegmentation_iou_metric(seed):
    # labels use classes 0..5; class 6 is only ever predicted, class 7 appears nowhere
    n = 8
    videos = make_videos(seed, 6)
    for frames in videos.values():
        frames[0][1][:2, :3] = 6
    frames = [f for v in videos.values() for f in v]
    per_class, miou_percent = mmseg_iou(frames, n)
    got = streaming(videos, n)
    ours = np.array([got["per_class"][str(c)]["IoU"] for c in range(n)])
    np.testing.assert_allclose(ours, per_class, atol=1e-6)
    assert ours[6] == 0.0 and np.isnan(ours[7]) and np.isnan(per_class[7])
    assert got["mIoU"] == pytest.approx(np.nanmean(per_class), abs=1e-6)
    assert round(got["mIoU"] * 100, 2) == pytest.approx(miou_percent, abs=1e-9)


def test_per_frame_counts_window_scores_and_band_sweep_agree_with_the_summary():
    rng = np.random.default_rng(5)
    evaluator = StreamingEvaluator(4, boundary_ratio=0.02, vc_windows=(3,),
                                   boundary_sweep=(0.02, 0.05))
    wide = StreamingEvaluator(4, boundary_ratio=0.05, vc_windows=(3,))
    gts = [rng.integers(0, 4, (20, 30)).astype(np.uint8) for _ in range(7)]
    preds = []
    for g in gts:
        noise = rng.integers(0, 4, g.shape).astype(np.uint8)
        noise[rng.random(g.shape) < 0.2] = 255
        preds.append(np.where(rng.random(g.shape) < 0.8, g, noise))
    for e in (evaluator, wide):
        e.start_video("v", len(gts))
        for t, (g, p) in enumerate(zip(gts, preds)):
            e.add_frame(g, p, f"f{t}")
        e.end_video()
    s, w = evaluator.summary(("a", "b", "c", "d")), wide.summary(("a", "b", "c", "d"))
    from replication.metrics.counts import sparse

    units = s["units"]
    assert units["frames"] == {"stems": [f"f{t}" for t in range(7)], "video": [0] * 7}
    for metric, num, den in (("mIoU", "intersection", "union"),
                             ("mBIoU", "band_intersection", "band_union")):
        for side, key in (("num", num), ("den", den)):
            frames = sparse(units["metrics"][metric], side).toarray()
            assert frames.shape == (7, 4)
            assert np.sum(frames, axis=0).tolist() == [s["per_class"][c][key] for c in "abcd"]
    scores = units["metrics"]["mVC3"]["scores"]
    assert len(scores) == 7 - 3 and np.mean(scores) == pytest.approx(s["mVC3"])
    assert units["metrics"]["mVC3"]["video"].tolist() == [0] * 4
    assert s["boundary_sweep"]["0.02"] == s["mBIoU"]
    assert s["boundary_sweep"]["0.05"] == pytest.approx(w["mBIoU"])
