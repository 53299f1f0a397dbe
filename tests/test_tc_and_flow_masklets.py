"""TC (VSPW's TC_cal.py definition) on hand-made translated videos and against a plain version
of the toolkit's code; the flow-linked superpixel source on synthetic and real frames."""
import numpy as np
import pytest

from replication.data.labels import write_label
from replication.data.video import Frame, Video
from replication.metrics.tc import temporal_consistency
from tests.reference import reference_tc

pytest.importorskip("torch")


class KnownFlow:
    """A flow backend that returns given flows in turn (the flows of a hand-made video)."""

    def __init__(self, flows):
        self.flows = list(flows)

    def __call__(self, a, b):
        return self.flows.pop(0)


def video_on_disk(tmp_path, name, preds, size):
    """A video of blank frames (the flow comes from KnownFlow) and its predictions."""
    from PIL import Image

    frames = []
    for t, pred in enumerate(preds):
        image = tmp_path / "img" / name / f"{t:03d}.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((*size, 3), np.uint8)).save(image)
        frames.append(Frame(f"{t:03d}", image, image))
        write_label(tmp_path / "pred" / name / f"{t:03d}.png", pred)
    return Video(name, tuple(frames))


def test_translated_predictions_along_their_flow_by_hand(tmp_path):
    """A 6x8 frame: class 1 in the first 4+t columns, 0 in the rest, the edge moving 1 px to
    the right per frame, with the true flow (+1 in x). Warped back, the next prediction
    matches frame i wherever the toolkit reads inside; its normalisation quirk puts the last
    row and the last two columns outside (read as 0). Per pair i: the 4+i class-1 pixels of the
    last row become 0; every other pixel agrees."""
    h, w = 6, 8
    preds = []
    for t in range(3):
        p = np.zeros((h, w), np.uint8)
        p[:, : 4 + t] = 1
        preds.append(p)
    flow = np.zeros((h, w, 2), np.float32)
    flow[..., 0] = 1.0
    video = video_on_disk(tmp_path, "v", preds, (h, w))
    result = temporal_consistency([video], {"m": tmp_path / "pred"}, 2,
                                  KnownFlow([flow, flow]), progress=False)["m"]
    inter1, union1 = 5 * 4 + 5 * 5, 6 * 4 + 6 * 5          # class 1 over the two pairs
    inter0, union0 = 6 * 4 + 6 * 3, 6 * 4 + 6 * 3 + 4 + 5  # class 0, plus the lost 1s
    assert result["TC"] == pytest.approx((inter1 / union1 + inter0 / union0) / 2)
    strict = temporal_consistency([video], {"m": tmp_path / "pred"}, 2,
                                  KnownFlow([flow, flow]), strict=True, progress=False)["m"]
    assert strict["TC"] == 1.0  # with the outside pixels dropped the match is perfect
    assert result["pairs"] == 2 and set(result["per_video"]) == {"v"}


def test_tc_averages_over_the_classes_of_the_earlier_predictions_as_the_toolkit(tmp_path):
    """Every prediction all class 1, zero flow: the toolkit reads the last row and column
    outside the frame, as class 0. Class 0 is then in the warped predictions only; TC_cal.py's
    Evaluator averages over the classes of the earlier frame (row sum > 0): class 1 alone,
    IoU 35/48, not (35/48 + 0) / 2 as a mean over the classes with a union would give."""
    h, w = 6, 8
    preds = [np.ones((h, w), np.uint8)] * 2
    video = video_on_disk(tmp_path, "v", preds, (h, w))
    flow = np.zeros((h, w, 2), np.float32)
    result = temporal_consistency([video], {"m": tmp_path / "pred"}, 2, KnownFlow([flow]),
                                  progress=False)["m"]
    inside = (h - 1) * (w - 1)  # 35 pixels agree; 13 read 0
    assert result["TC"] == inside / (h * w)
    assert reference_tc({"v": preds}, {"v": [flow]}, 2) == inside / (h * w)


def test_tc_matches_a_plain_version_of_the_toolkit(tmp_path):
    rng = np.random.default_rng(3)
    videos, flows, on_disk = {}, {}, []
    for v in range(3):
        h, w = rng.integers(5, 20, 2)
        n = int(rng.integers(2, 5))
        preds = [rng.integers(0, 4, (h, w)).astype(np.uint8) for _ in range(n)]
        for p in preds:
            p[rng.random((h, w)) < 0.05] = 255
        fl = [(rng.normal(size=(h, w, 2)) * rng.choice([0.5, 2, 6])).astype(np.float32)
              for _ in range(n - 1)]
        videos[f"v{v}"], flows[f"v{v}"] = preds, fl
        on_disk.append(video_on_disk(tmp_path, f"v{v}", preds, (h, w)))
    ours = temporal_consistency(on_disk, {"m": tmp_path / "pred"}, 4,
                                KnownFlow([f for v in flows.values() for f in v]),
                                progress=False)["m"]["TC"]
    assert ours == pytest.approx(reference_tc(videos, flows, 4), abs=1e-12)


def test_dis_flow_recovers_a_translation_of_a_real_frame(camvid_small):
    from replication.data.images import read_image
    from replication.metrics.flow import flow_backend

    image = read_image(camvid_small / "val" / "0016E5_07959.png")
    moved = np.roll(image, (2, 3), axis=(0, 1))  # 3 px right, 2 px down
    flow = flow_backend("dis")(image, moved)
    centre = flow[40:-40, 40:-40]
    assert np.median(centre[..., 0]) == pytest.approx(3, abs=0.3)
    assert np.median(centre[..., 1]) == pytest.approx(2, abs=0.3)


def test_raft_without_weights_is_unavailable_with_the_fix():
    from replication.metrics.flow import FlowUnavailable, flow_backend

    with pytest.raises(FlowUnavailable, match="RAFT needs its weights") as info:
        flow_backend("raft", None)
    assert "raft-weights" in info.value.fix


def test_flow_linked_superpixels_follow_moving_blobs(tmp_path):
    """Three coloured squares moving 2 px per frame on a grey background: the flow-linked
    source keeps each square one masklet through the window; per-frame superpixels do not."""
    from PIL import Image

    from replication.masks.superpixel import Superpixel
    from replication.masks.superpixel_flow import SuperpixelFlow
    from tests.test_masks_refine import TinyDataset

    frames = []
    for t in range(6):
        image = np.full((48, 64, 3), 128, np.uint8)
        for k, colour in enumerate(([255, 0, 0], [0, 255, 0], [0, 0, 255])):
            image[8 + 12 * k: 18 + 12 * k, 4 + 2 * t + 16 * k: 16 + 2 * t + 16 * k] = colour
        Image.fromarray(image).save(tmp_path / f"f{t}.png")
        write_label(tmp_path / f"f{t}.label.png", np.zeros((48, 64), np.uint8))
        frames.append(Frame(f"f{t}", tmp_path / f"f{t}.png", tmp_path / f"f{t}.label.png"))
    video, dataset = Video("v", tuple(frames)), TinyDataset(tmp_path)
    linked = SuperpixelFlow(scale=100, min_size=20).masklets(video, dataset)
    lengths = sorted(len(m.rle) - m.rle.count(None) for m in linked.masklets)
    assert lengths[-4:] == [6, 6, 6, 6]  # background and the three squares, whole video
    single = Superpixel(scale=100, min_size=20).masklets(video, dataset)
    assert all(len(m.rle) - m.rle.count(None) == 1 for m in single.masklets)
    assert len(linked.masklets) < len(single.masklets) / 2
    windowed = SuperpixelFlow(scale=100, min_size=20, window=3).masklets(video, dataset)
    assert max(len(m.rle) - m.rle.count(None) for m in windowed.masklets) == 3
