"""A VSPW_480p folder made here by hand (real naming and raw label numbering, not built from
CamVid) through the CLI chain a user runs: fetch --from, degrade, masks, refine, evaluate,
with metrics computed by hand."""
import json

import numpy as np
import pytest
from PIL import Image

from replication.cli import main
from replication.data.labels import write_label

H, W = 48, 64
VAL = {"101_street": 3, "7_park": 2}  # video -> frames


def gt_raw() -> np.ndarray:
    """Raw VSPW values: 0 and 255 are ignore, v is class v - 1. Row 0 is ignore; the left half
    is raw 3 (class 2), the right half raw 9 (class 8)."""
    raw = np.full((H, W), 3, np.uint8)
    raw[:, W // 2:] = 9
    raw[0], raw[0, 5] = 0, 255
    return raw


@pytest.fixture
def vspw_copy(tmp_path):
    root = tmp_path / "VSPW_480p"
    rng = np.random.default_rng(0)
    for video, n in {**VAL, "12_train": 2}.items():
        for t in range(1, n + 1):
            frame = root / "data" / video / "origin" / f"{t:08d}.jpg"
            frame.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (H, W, 3), np.uint8)).save(frame)
            write_label(root / "data" / video / "mask" / f"{t:08d}.png", gt_raw())
    (root / "train.txt").write_text("12_train\n")
    (root / "val.txt").write_text("".join(f"{v}\n" for v in VAL))
    (root / "test.txt").write_text("")
    return root


def scores(tmp_path, data: list[str], pred) -> dict:
    out = tmp_path / f"{pred.name}.json"
    assert main(["evaluate", *data, "--pred", str(pred), "--out", str(out), "--quiet",
                 "--tc-flow", "none"]) == 0
    return json.loads(out.read_text())["val"]


def test_a_hand_made_vspw_copy_through_the_cli(tmp_path, vspw_copy):
    dest = tmp_path / "data" / "vspw"
    assert main(["fetch", "vspw", "--from", str(vspw_copy), "--dest", str(dest),
                 "--manifest", str(tmp_path / "card.json")]) == 0
    data = ["--dataset", "vspw", "--root", str(dest), "--splits", "val"]

    # a prediction made by hand: perfect, except 16 columns of the right half (class 8)
    # predicted as class 2 in the last frame of 7_park
    pred = tmp_path / "hand"
    for video, n in VAL.items():
        for t in range(1, n + 1):
            label = np.full((H, W), 2, np.uint8)
            label[:, W // 2:] = 8
            if (video, t) == ("7_park", 2):
                label[:, W // 2: W // 2 + 16] = 2
            write_label(pred / video / f"{t:08d}.png", label)
    labelled = 5 * (H - 1) * (W // 2)  # pixels of each class over the 5 frames
    wrong = (H - 1) * 16
    iou2 = labelled / (labelled + wrong)  # class 2: every pixel hit, 752 false positives
    iou8 = (labelled - wrong) / labelled  # class 8: 752 missed
    assert scores(tmp_path, data, pred)["mIoU"] == pytest.approx((iou2 + iou8) / 2, abs=1e-12)

    # degrade the ground truth, refine it with oracle masklets: each masklet takes its majority
    # class, which the degradation leaves right, so the refined labels are the ground truth
    degraded, refined, masks = tmp_path / "degraded", tmp_path / "refined", tmp_path / "oracle"
    assert main(["degrade", *data, "--out", str(degraded), "--downscale", "4",
                 "--jitter", "2"]) == 0
    assert main(["masks", *data, "--source", "oracle", "--out", str(masks)]) == 0
    assert main(["refine", *data, "--pred", str(degraded), "--masks", str(masks),
                 "--out", str(refined)]) == 0
    before, after = scores(tmp_path, data, degraded), scores(tmp_path, data, refined)
    assert before["mIoU"] < 1 and before["mBIoU"] < after["mBIoU"]
    assert after["mIoU"] == 1.0 and after["frames"] == 5 and after["videos"] == 2
