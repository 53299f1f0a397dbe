"""Masklet storage and weight-free sources, and the refiner's vote on hand-made cases."""
import gzip

import numpy as np
import pytest

from replication.approaches.refine import refine_video
from replication.core.errors import InputError
from replication.data.dataset import Dataset
from replication.data.labels import write_label
from replication.data.video import Frame, Video
from replication.masks.generate import generate
from replication.masks.oracle import Oracle
from replication.masks.store import Masklet, VideoMasklets, encode, load, masklet_path, save


def masklets(frames, *masks_per_masklet):
    """VideoMasklets from, per masklet, one boolean mask (or None) per frame."""
    h, w = next(m for ms in masks_per_masklet for m in ms if m is not None).shape
    vm = VideoMasklets("v", [f"f{t}" for t in range(frames)], h, w, "test")
    for i, per_frame in enumerate(masks_per_masklet):
        vm.masklets.append(Masklet(i, 1.0, [None if m is None else encode(m[None])[0]
                                            for m in per_frame]))
    return vm


def box(shape, ys, xs):
    m = np.zeros(shape, bool)
    m[ys, xs] = True
    return m


def test_store_round_trip_and_errors(tmp_path):
    a = box((4, 5), slice(1, 3), slice(0, 2))
    vm = masklets(2, [a, None], [None, ~a])
    path = masklet_path(tmp_path, "val", "v")
    save(path, vm)
    back = load(path)
    assert back.frames == ["f0", "f1"] and len(back.masklets) == 2
    ids, masks = back.at_frame(1)
    assert ids.tolist() == [1] and np.array_equal(masks[0], ~a)
    with gzip.open(path, "wb") as fh:
        fh.write(b'{"video": "v"')
    with pytest.raises(ValueError, match="not a readable masklet file"):
        load(path)
    with pytest.raises(FileNotFoundError, match="run the masks stage"):
        load(tmp_path / "none.json.gz")


def test_stats_count_masklets_union_coverage_and_speed(tmp_path):
    from replication.masks.stats import masklet_stats

    a = box((4, 5), slice(0, 2), slice(0, 5))  # 10 px
    b = box((4, 5), slice(1, 3), slice(0, 5))  # 10 px, 5 of them shared with a
    vm = masklets(3, [a, a, None], [b, None, None], [None, None, None])
    vm.seconds = 1.5
    save(masklet_path(tmp_path, "val", "v"), vm)
    video = Video("v", tuple(Frame(f"f{t}", None, None) for t in range(3)))
    stats = masklet_stats(tmp_path, [("val", video)])
    assert stats["masklets"] == 3 and stats["frames"] == 3
    assert stats["masklets_per_frame"] == {"mean": 1.0, "median": 1.0, "max": 2}
    assert stats["frames_per_masklet"] == pytest.approx((2 + 1 + 0) / 3, abs=0.01)
    assert stats["coverage"] == pytest.approx((15 / 20 + 10 / 20 + 0) / 3, abs=1e-4)
    assert stats["seconds"] == 1.5 and stats["fps"] == 2.0


def test_a_video_without_masklets_keeps_the_baseline():
    vm = VideoMasklets("v", ["f0"], 2, 3, "test")
    pred = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    for vote in ("masklet", "frame"):
        assert refine_video([pred], vm, 3, vote)[0].tolist() == pred.tolist()


def test_masklet_vote_spans_frames_and_frame_vote_does_not():
    shape = (2, 4)
    m = np.ones(shape, bool)
    preds = [np.array([[1, 1, 1, 1], [1, 1, 1, 2]], np.uint8),   # 7 x class 1
             np.array([[2, 2, 2, 2], [2, 2, 1, 1]], np.uint8)]   # 6 x class 2
    vm = masklets(2, [m, m])
    by_masklet = refine_video(preds, vm, 3, vote="masklet")
    assert all((r == 1).all() for r in by_masklet)  # 9 votes for 1 against 7 for 2
    by_frame = refine_video(preds, vm, 3, vote="frame")
    assert (by_frame[0] == 1).all() and (by_frame[1] == 2).all()


def test_votes_that_weigh_the_baselines_confidence_by_hand():
    # one 1 x 10 frame: masklet M1 on pixels 0-3, M2 on pixels 4-9
    pred = np.array([[0, 0, 0, 1, 0, 0, 0, 0, 2, 2]], np.uint8)
    confidence = np.array([[51, 51, 51, 230, 200, 200, 200, 200, 200, 200]], np.uint8)
    vm = masklets(1, [box((1, 10), 0, slice(0, 4))], [box((1, 10), 0, slice(4, 10))])

    def refined(vote, **kw):
        return refine_video([pred], vm, 3, vote, [confidence], **kw)[0][0].tolist()

    assert refined("masklet") == [0] * 10  # 3 of 4 and 4 of 6 pixels say 0
    # M1: class 0 weighs 3 x 51 / 255 = 0.6, class 1 230 / 255 = 0.90; M2: 0 weighs twice 2
    assert refined("confidence") == [1] * 4 + [0] * 6
    # decisive: M1's winner holds 230 / (153 + 230) = 0.6005 of the vote, M2's 4 / 6
    assert refined("decisive", tau=0.6) == [1] * 4 + [0] * 6
    assert refined("decisive", tau=0.65) == [0, 0, 0, 1] + [0] * 6  # M1 leaves the baseline
    # ditta: reliability x area^0.3 x (1 - frequency)^0.8, frequencies 0.7, 0.1, 0.2 here;
    # M1: 0.2 x 3^0.3 x 0.3^0.8 = 0.106 < 0.902 x 1 x 0.9^0.8 = 0.829 -> 1
    # M2: 0.784 x 4^0.3 x 0.3^0.8 = 0.454 < 0.784 x 2^0.3 x 0.8^0.8 = 0.807 -> 2
    assert refined("ditta") == [1] * 4 + [2] * 6
    with pytest.raises(InputError, match="needs the baseline's confidence"):
        refine_video([pred], vm, 3, "confidence")


def test_confidence_votes_sum_over_the_masklets_frames():
    m = np.ones((1, 2), bool)
    preds = [np.array([[0, 0]], np.uint8), np.array([[1, 1]], np.uint8)]
    confidences = [np.full((1, 2), 100, np.uint8), np.full((1, 2), 120, np.uint8)]
    refined = refine_video(preds, masklets(2, [m, m]), 2, "confidence", confidences)
    assert [r.tolist() for r in refined] == [[[1, 1]], [[1, 1]]]  # 240 against 200


def test_ties_go_to_the_lowest_class_and_ignore_does_not_vote():
    pred = np.array([[3, 3, 1, 1, 255, 255, 255]], np.uint8)
    vm = masklets(1, [np.ones((1, 7), bool)])
    assert refine_video([pred], vm, 4)[0].tolist() == [[1] * 7]
    only_ignore = np.full((1, 7), 255, np.uint8)
    assert refine_video([only_ignore], vm, 4)[0].tolist() == [[255] * 7]


def test_smaller_masklets_are_painted_over_larger_and_outside_is_kept():
    pred = np.array([[0, 0, 0, 0, 2, 2],
                     [0, 0, 1, 1, 2, 2]], np.uint8)
    big = box((2, 6), slice(0, 2), slice(0, 4))      # 8 px: majority 0
    small = box((2, 6), slice(1, 2), slice(1, 4))    # 3 px inside big: majority 1
    out = refine_video([pred], masklets(1, [big], [small]), 3)[0]
    assert out.tolist() == [[0, 0, 0, 0, 2, 2],
                            [0, 1, 1, 1, 2, 2]]
    # the same, listed the other way round: order comes from area, not from the file
    out2 = refine_video([pred], masklets(1, [small], [big]), 3)[0]
    assert np.array_equal(out, out2)


def test_mismatched_inputs_are_named():
    vm = masklets(2, [np.ones((2, 2), bool), None])
    with pytest.raises(ValueError, match="1 baseline frames for 2"):
        refine_video([np.zeros((2, 2), np.uint8)], vm, 2)
    with pytest.raises(ValueError, match="vote must be one of"):
        refine_video([np.zeros((2, 2), np.uint8)] * 2, vm, 2, vote="pixel")


class TinyDataset(Dataset):
    name = "tiny"
    classes = ("a", "b", "c")
    splits = ("val",)
    raw_to_train = np.arange(256, dtype=np.uint8)

    def videos(self, split):
        return [Video(d.name, tuple(Frame(p.stem, None, p) for p in sorted(d.glob("*.png"))))
                for d in sorted(self.root.iterdir())]


def test_oracle_links_components_through_time_within_windows(tmp_path):
    frames = []
    for t in range(5):
        label = np.zeros((6, 8), np.uint8)
        label[1:3, t : t + 2] = 1            # a moving object: one masklet per window
        label[5, :] = 255                    # ignore: in no masklet
        frames.append(label)
        write_label(tmp_path / "data" / "v" / f"{t}.png", label)
    ds = TinyDataset(tmp_path / "data")
    vm = Oracle(window=3).masklets(ds.videos("val")[0], ds)
    # windows [0, 3) and [3, 5): background and the object in each -> 4 masklets
    assert len(vm.masklets) == 4
    for t, label in enumerate(frames):
        ids, masks = vm.at_frame(t)
        assert len(ids) == 2
        union = masks.any(0)
        assert np.array_equal(union, label != 255)
        assert not (masks[0] & masks[1]).any()
    # oracle masks refine any labelling of the ground truth back to it
    preds = [np.where(l == 255, 0, l).astype(np.uint8) for l in frames]
    noisy = [p.copy() for p in preds]
    noisy[1][1, 1] = 0  # one wrong pixel inside the object
    refined = refine_video(noisy, vm, 3)
    assert all(np.array_equal(r[:5], p[:5]) for r, p in zip(refined, preds))


def test_generate_resumes_and_shards(tmp_path):
    for v in ("a", "b", "c"):
        write_label(tmp_path / "data" / v / "0.png", np.zeros((4, 4), np.uint8))
    ds = TinyDataset(tmp_path / "data")
    out = tmp_path / "masks"
    assert generate(Oracle(), ds, ["val"], out, shard=(1, 2))["made"] == 1  # only "b"
    assert sorted(p.name for p in (out / "val").iterdir()) == ["b.json.gz", "b.timing.json"]
    masklet_path(out, "val", "b").write_bytes(b"truncated")  # an unreadable file is made again
    stats = generate(Oracle(), ds, ["val"], out)
    assert stats == {"videos": 3, "made": 3, "already_done": 0, "failed": {}}
    assert generate(Oracle(), ds, ["val"], out)["already_done"] == 3
    # videos of the same name in two splits (CamVid's 0016E5) are two files, not one
    assert generate(Oracle(), ds, ["val", "test"], out)["made"] == 3
    assert masklet_path(out, "test", "a").is_file()
    # processes in parallel make the same files
    assert generate(Oracle(), ds, ["val"], tmp_path / "par", workers=2)["made"] == 3
    for v in ("a", "b", "c"):  # byte for byte (the seconds are kept beside the file)
        serial, parallel = (masklet_path(d, "val", v) for d in (out, tmp_path / "par"))
        assert parallel.read_bytes() == serial.read_bytes()
        assert load(serial).seconds is not None


def test_superpixels_follow_colour_regions_one_frame_each(tmp_path):
    from PIL import Image

    from replication.masks.superpixel import Superpixel

    image = np.zeros((20, 20, 3), np.uint8)
    image[:, :10] = (200, 30, 30)
    image[:, 10:] = (30, 30, 200)
    frames = []
    for t in range(2):
        Image.fromarray(image).save(tmp_path / f"{t}.png")
        write_label(tmp_path / f"{t}.label.png", np.zeros((20, 20), np.uint8))
        frames.append(Frame(str(t), tmp_path / f"{t}.png", tmp_path / f"{t}.label.png"))
    ds = TinyDataset(tmp_path)
    vm = Superpixel(scale=100, sigma=0, min_size=5).masklets(Video("v", tuple(frames)), ds)
    assert len(vm.masklets) == 4  # two regions in each of two frames, no linking
    ids, masks = vm.at_frame(1)
    assert sorted(m.sum() for m in masks) == [200, 200]
    assert any(np.array_equal(m, np.arange(20)[None, :].repeat(20, 0) < 10) for m in masks)


def test_oracle_refiner_improves_a_degraded_labelling_end_to_end(tmp_path, camvid_small):
    import json

    from replication.cli import main

    root = ["--dataset", "camvid", "--root", str(camvid_small)]
    pred, masks, refined = tmp_path / "pred", tmp_path / "masks", tmp_path / "refined"
    assert main(["degrade", *root, "--out", str(pred), "--downscale", "8", "--jitter", "3"]) == 0
    assert main(["masks", *root, "--splits", "val", "test", "--source", "oracle",
                 "--out", str(masks), "--stats", str(tmp_path / "stats.json")]) == 0
    assert sorted(str(p.relative_to(masks)) for p in masks.rglob("*.gz")) == [
        "test/Seq05VD.json.gz", "val/0016E5.json.gz"]
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["frames"] == 5 and stats["source"] == "oracle"
    assert 0.9 < stats["coverage"] < 1  # all but the void pixels
    assert main(["refine", *root, "--pred", str(pred), "--masks", str(masks),
                 "--out", str(refined)]) == 0
    info = json.loads((refined / "inference.json").read_text())
    assert info["frames"] == 5 and info["vote"] == "masklet"
    assert info["masklets_per_frame"] == stats["masklets_per_frame"]["mean"] > 10
    # degraded GT has no inference time and oracle masks come from the GT: the refiner alone
    assert list(info["fps_parts"]) == ["refiner"] and info["fps"] == info["fps_parts"]["refiner"]
    scores = {}
    for name, folder in (("degraded", pred), ("refined", refined)):
        out = tmp_path / f"{name}.json"
        assert main(["evaluate", *root, "--pred", str(folder), "--out", str(out), "--quiet"]) == 0
        scores[name] = json.loads(out.read_text())["test"]
    assert scores["refined"]["mIoU"] > scores["degraded"]["mIoU"]
    assert scores["refined"]["mBIoU"] > scores["degraded"]["mBIoU"] + 0.1


def test_paint_order_follows_each_frames_areas():
    """Masklet a (votes 1) is the larger in frame 0 and the smaller in frame 1, masklet b
    (votes 2) the other way round: the smaller is on top in each frame."""
    from benchmarks.refine import plain_refine

    a0, b0 = box((4, 6), slice(0, 4), slice(0, 4)), box((4, 6), slice(0, 2), slice(2, 6))
    a1, b1 = box((4, 6), slice(0, 2), slice(1, 3)), box((4, 6), slice(0, 4), slice(0, 6))
    vm = masklets(2, [a0, a1], [b0, b1])
    preds = [np.where(a0, 1, 0).astype(np.uint8), np.where(a1, 1, 2).astype(np.uint8)]
    preds[0][b0] = 2
    for vote in ("masklet", "frame"):
        out = refine_video(preds, vm, 3, vote)
        assert all(np.array_equal(o, p) for o, p in zip(out, plain_refine(preds, vm, 3, vote)))
        assert (out[0][a0 & b0] == 2).all() and (out[0][a0 & ~b0] == 1).all()
        assert (out[1][a1] == 1).all() and (out[1][b1 & ~a1] == 2).all()


def test_equal_areas_put_the_later_masklet_on_top():
    from benchmarks.refine import plain_refine

    a, b = box((2, 4), slice(0, 2), slice(0, 2)), box((2, 4), slice(0, 2), slice(1, 3))
    pred = np.array([[1, 1, 2, 2], [1, 1, 2, 2]], np.uint8)
    pred[:, 2] = 0
    vm = masklets(1, [a], [b])  # a votes 1; b's pixels: two 1s and two 0s, a tie -> 0
    out = refine_video([pred], vm, 3)[0]
    assert np.array_equal(out, plain_refine([pred], vm, 3)[0])
    assert out[0, 0] == 1 and out[0, 1] == 0 and out[0, 2] == 0  # b (the later) on top


def test_a_masklet_without_votes_lets_the_voted_one_below_show():
    from benchmarks.refine import plain_refine

    big, small = box((3, 3), slice(0, 3), slice(0, 3)), box((3, 3), slice(1, 2), slice(1, 2))
    pred = np.full((3, 3), 2, np.uint8)
    pred[1, 1] = 255  # the small masklet covers only ignore: it has no vote
    vm = masklets(1, [big], [small])
    for vote in ("masklet", "frame"):
        out = refine_video([pred], vm, 3, vote)[0]
        assert np.array_equal(out, plain_refine([pred], vm, 3, vote)[0])
        assert out[1, 1] == 2  # painted by the big masklet, not left at 255


def test_refiner_matches_the_plain_loops_on_random_overlapping_masklets():
    from benchmarks.refine import plain_refine

    rng = np.random.default_rng(7)
    for trial in range(40):
        frames, (h, w) = int(rng.integers(1, 5)), rng.integers(2, 12, 2)
        per_masklet = []
        for _ in range(int(rng.integers(0, 7))):
            per_masklet.append([None if rng.random() < 0.3 else
                                rng.random((h, w)) < rng.random() for _ in range(frames)])
        per_masklet = [m for m in per_masklet if any(x is not None for x in m)]
        if not per_masklet:
            continue
        vm = masklets(frames, *per_masklet)
        preds = [rng.choice([0, 1, 2, 255], (h, w)).astype(np.uint8) for _ in range(frames)]
        for vote in ("masklet", "frame"):
            got, want = refine_video(preds, vm, 3, vote), plain_refine(preds, vm, 3, vote)
            assert all(np.array_equal(g, x) for g, x in zip(got, want)), (trial, vote)
