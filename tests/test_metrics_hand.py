"""Metric definitions pinned by cases computed by hand (see docs/metrics.md)."""
import numpy as np
import pytest

from replication.metrics.boundary import boundary_band, boundary_width
from replication.metrics.evaluator import StreamingEvaluator


def run(videos, num_classes, **options):
    ev = StreamingEvaluator(num_classes, **options)
    for name, frames in videos.items():
        ev.start_video(name, len(frames))
        for gt, pred in frames:
            ev.add_frame(np.asarray(gt, np.uint8), np.asarray(pred, np.uint8))
        ev.end_video()
    return ev.summary(tuple(f"c{c}" for c in range(num_classes)))


def test_iou_counts_ignore_and_255_predictions_by_hand():
    gt = [[0, 0, 1], [1, 2, 255]]
    pred = [[0, 1, 1], [1, 255, 0]]
    r = run({"v": [(gt, pred)]}, 3)
    iou = [r["per_class"][f"c{c}"]["IoU"] for c in range(3)]
    # class 0: inter 1, union 2 (the prediction on the ignore pixel is dropped)
    # class 1: inter 2, union 3; class 2: predicted 255, inter 0, union 1
    assert iou == pytest.approx([1 / 2, 2 / 3, 0.0])
    assert r["mIoU"] == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)


def test_classes_absent_everywhere_do_not_count_but_false_positives_do():
    gt = [[0, 0], [0, 0]]
    pred = [[0, 0], [0, 2]]
    r = run({"v": [(gt, pred)]}, 4)
    assert r["per_class"]["c0"]["IoU"] == pytest.approx(3 / 4)
    assert r["per_class"]["c2"]["IoU"] == 0.0  # predicted, never in GT: union 1
    assert np.isnan(r["per_class"]["c1"]["IoU"]) and np.isnan(r["per_class"]["c3"]["IoU"])
    assert r["mIoU"] == pytest.approx((3 / 4 + 0) / 2)


def test_boundary_width_follows_the_diagonal():
    assert boundary_width(10, 10) == 1  # 0.28 -> max(1, 0)
    assert boundary_width(360, 480) == 12  # diagonal 600
    assert boundary_width(480, 853) == 20  # round(19.57)


def square_scene(col0):
    label = np.zeros((10, 10), np.uint8)
    label[3:7, col0 : col0 + 4] = 1
    return label


def test_boundary_band_of_a_square_by_hand():
    band = boundary_band(square_scene(3), 1)
    # class 1: the 4x4 square minus its 2x2 interior
    assert band[3:7, 3:7].sum() == 12 and not band[4:6, 4:6].any()
    # class 0: the image border (36 px) and the ring around the square (20 px)
    background = square_scene(3) == 0
    assert (band & background).sum() == 56


def test_boundary_iou_of_a_shifted_square_by_hand():
    gt, pred = square_scene(3), square_scene(4)
    r = run({"v": [(gt, pred)]}, 2)
    # class 1: bands of 12 px each share 6 -> 6/18; class 0: bands of 56 share 46 -> 46/66
    assert r["per_class"]["c1"]["BIoU"] == pytest.approx(6 / 18)
    assert r["per_class"]["c0"]["BIoU"] == pytest.approx(46 / 66)
    assert r["mBIoU"] == pytest.approx((6 / 18 + 46 / 66) / 2)
    assert r["per_class"]["c1"]["IoU"] == pytest.approx(12 / 20)
    assert r["per_class"]["c0"]["IoU"] == pytest.approx(80 / 88)


GT = [[0, 0, 1, 255], [0, 0, 1, 255], [0, 1, 1, 255], [0, 1, 1, 255], [0, 1, 1, 255]]
PRED = [[0, 0, 1, 1], [0, 1, 1, 1], [0, 1, 1, 0], [0, 1, 1, 0], [1, 1, 1, 0]]


def test_video_consistency_vspw_windows_by_hand():
    video = {"v": [([g], [p]) for g, p in zip(GT, PRED)]}
    r = run(video, 2, vc_windows=(3,))
    # windows start at range(5 - 3) = 0, 1; each keeps 2 of its 3 gt-consistent pixels
    assert r["vc_windows_scored"] == {"3": 2}
    assert r["mVC3"] == pytest.approx(2 / 3)


def test_video_consistency_strict_variant_by_hand():
    video = {"v": [([g], [p]) for g, p in zip(GT, PRED)]}
    r = run(video, 2, vc_windows=(3,), strict_vc=True)
    # every window (0, 1, 2); ignore pixels leave gt_common: 1, 1, 2/3
    assert r["vc_windows_scored"] == {"3": 3}
    assert r["mVC3"] == pytest.approx((1 + 1 + 2 / 3) / 3)


def test_video_consistency_is_nan_when_every_video_is_too_short():
    frames = [(g, g) for g in ([[0, 1]],) * 8]
    r = run({"a": frames, "b": frames[:3]}, 2)
    assert np.isnan(r["mVC8"]) and np.isnan(r["mVC16"])
    assert r["mIoU"] == 1.0 and r["mBIoU"] == 1.0
    assert r["per_video"]["a"]["frames"] == 8


def test_video_consistency_pools_windows_not_videos():
    still = [([[0, 0]], [[0, 0]])] * 5  # 3 windows of score 1 for k=2
    flicker = [([[0, 0]], [[i % 2, 0]]) for i in range(3)]  # 1 window, score 1/2
    r = run({"a": still, "b": flicker}, 2, vc_windows=(2,))
    assert r["mVC2"] == pytest.approx((3 * 1 + 0.5) / 4)
    assert r["per_video"]["b"]["mVC2"] == pytest.approx(0.5)


def test_frame_size_change_inside_a_video_is_an_error():
    ev = StreamingEvaluator(2)
    ev.start_video("v", 2)
    ev.add_frame(np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="differs from the video's first frame"):
        ev.add_frame(np.zeros((5, 4), np.uint8), np.zeros((5, 4), np.uint8))
