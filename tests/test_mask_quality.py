"""Class-agnostic quality of masklet sources: hand-computed figures on a made video, the
oracle's ceiling of 1, and ASA equal to `vss refine` on the ground truth scored by
`vss evaluate`."""
import json

import numpy as np
import pytest

from replication.approaches.quality import video_quality
from replication.cli import main
from tests.test_masks_refine import box, masklets


def test_every_figure_by_hand_on_a_two_frame_video():
    # ground truth (2 x 6): frame 0 columns 0-2 class 0, 3-5 class 1; frame 1 column 0 class 0,
    # the rest class 1 but one ignore pixel at (0, 5)
    f0 = np.array([[0, 0, 0, 1, 1, 1]] * 2, np.uint8)
    f1 = np.array([[0, 1, 1, 1, 1, 255], [0, 1, 1, 1, 1, 1]], np.uint8)
    a = box((2, 6), slice(0, 2), slice(0, 4))  # columns 0-3 in both frames
    b = box((2, 6), slice(0, 2), slice(4, 6))  # columns 4-5, frame 0 only
    q = video_quality(masklets(2, [a, a], [b, None]), [f0, f1], 2, 0.02).figures()
    # A's votes over both frames: 8 of class 0, 8 of class 1 -> class 0 (ties: lowest id)
    # class 0: 8 px, 16 predicted, 8 right; class 1: 15 px, 7 predicted, 7 right
    assert q["asa_miou"] == pytest.approx((8 / 16 + 7 / 15) / 2, abs=1e-6)
    assert q["asa_pixel"] == pytest.approx(15 / 23, abs=1e-6)
    # per frame A votes 0 then 1: class 0 IoU 6 / 10, class 1 13 / 17
    assert q["asa_miou_frame"] == pytest.approx((6 / 10 + 13 / 17) / 2, abs=1e-6)
    assert q["temporal_purity"] == pytest.approx((8 + 4) / 20, abs=1e-6)
    assert q["coverage"] == pytest.approx(20 / 23, abs=1e-6)
    # A straddles two classes in each frame: min(6, 2) + min(2, 6), then min(2, 6) + min(6, 2)
    assert q["undersegmentation_error"] == pytest.approx(8 / 23, abs=1e-6)
    # d = 1 px: frame 0's ground-truth edge (columns 2|3) lies by A|B's (3|4), frame 1's (0|1)
    # is 2 px and more from A's edge (3|4); the ignore pixel makes no edge
    assert q["boundary_recall"] == 0.5 and q["boundary_precision"] == 0.5


def test_unlabelled_frames_count_nowhere():
    f0 = np.array([[0, 0, 1, 1]], np.uint8)
    a = box((1, 4), 0, slice(0, 4))
    with_blank = video_quality(masklets(2, [a, a]), [f0, None], 2, 0.02).figures()
    alone = video_quality(masklets(1, [a]), [f0], 2, 0.02).figures()
    assert with_blank == alone and alone["asa_pixel"] == 0.5 and alone["temporal_purity"] == 0.5


@pytest.fixture
def oracle(tmp_path, camvid_small):
    data = ["--dataset", "camvid", "--root", str(camvid_small)]
    stats = tmp_path / "oracle.json"
    assert main(["masks", *data, "--source", "oracle", "--out", str(tmp_path / "masks"),
                 "--stats", str(stats)]) == 0
    return tmp_path, data, json.loads(stats.read_text())["quality"]


def test_the_oracle_is_the_ceiling_by_construction(oracle):
    _, _, quality = oracle
    assert set(quality) == {"train", "val", "test", "overall", "boundary_ratio"}
    for figures in (quality[s] for s in ("train", "val", "test", "overall")):
        assert figures["asa_miou"] == figures["asa_miou_frame"] == figures["asa_pixel"] == 1
        assert figures["temporal_purity"] == 1 and figures["undersegmentation_error"] == 0
        assert figures["boundary_recall"] == 1 and figures["coverage"] == 1


def test_asa_is_refine_on_the_ground_truth_scored_by_evaluate(oracle, camvid_small):
    tmp_path, data, _ = oracle
    superpixel = tmp_path / "sp.json"
    assert main(["masks", *data, "--source", "superpixel", "--out", str(tmp_path / "sp"),
                 "--stats", str(superpixel)]) == 0
    quality = json.loads(superpixel.read_text())["quality"]
    assert main(["degrade", *data, "--downscale", "1", "--out", str(tmp_path / "gt")]) == 0
    for vote, key in (("masklet", "asa_miou"), ("frame", "asa_miou_frame")):
        refined = tmp_path / f"gt+sp-{vote}"
        assert main(["refine", *data, "--pred", str(tmp_path / "gt"), "--masks",
                     str(tmp_path / "sp"), "--vote", vote, "--out", str(refined)]) == 0
        assert main(["evaluate", *data, "--pred", str(refined), "--splits", "val", "test",
                     "--out", str(tmp_path / f"{vote}.json")]) == 0
        scored = json.loads((tmp_path / f"{vote}.json").read_text())
        for split in ("val", "test"):
            assert quality[split][key] == pytest.approx(scored[split]["mIoU"], abs=1e-6)
    assert 0 < quality["overall"]["asa_miou"] < 1
