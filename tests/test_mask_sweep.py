"""The mask-quality sweep: each degradation by hand on a made video, seeded, and the quality
figures it must move (or must not) on CamVid's oracle masklets."""
import json

import numpy as np
import pytest

from replication.cli import main
from replication.core.errors import SettingsError
from replication.masks.axes import parse_level
from replication.masks.degraded import degrade
from replication.masks.store import load
from replication.report.sweep import Step, break_even
from tests.test_masks_refine import box, masklets

SHAPE = (8, 12)
LEFT = box(SHAPE, slice(2, 6), slice(0, 6))    # 24 px, touches RIGHT along column 5|6
RIGHT = box(SHAPE, slice(2, 6), slice(6, 10))  # 16 px


def two(frames=3):
    return masklets(frames, [LEFT] * frames, [RIGHT] * frames)


def decoded(vm):
    """{masklet index: {frame: mask}} of a VideoMasklets."""
    out = {}
    for t in range(len(vm.frames)):
        present, masks = vm.at_frame(t)
        for i, mask in zip(present, masks):
            out.setdefault(int(i), {})[t] = mask
    return out


def test_level_zero_of_every_axis_is_the_source_itself():
    vm = decoded(two())
    for level in ("boundary-0", "over-1", "under-0", "miss-0", "fragment-3"):
        same = decoded(degrade(two(), *parse_level(level), seed=5))
        assert same.keys() == vm.keys(), level
        assert all(np.array_equal(same[i][t], vm[i][t]) for i in vm for t in vm[i]), level


def test_misses_drop_that_share_of_the_masklets_whole():
    kept = decoded(degrade(two(), "miss", 0.5))
    assert len(kept) == 1  # round(0.5 x 2)
    (frames,) = kept.values()
    assert sorted(frames) == [0, 1, 2]
    assert any(np.array_equal(frames[0], m) for m in (LEFT, RIGHT))
    assert decoded(degrade(two(), "miss", 1.0)) == {}


def test_fragments_are_runs_of_at_most_l_frames_cut_at_multiples_of_l():
    runs = decoded(degrade(two(5), "fragment", 2))
    assert sorted(sorted(f) for f in runs.values()) == [[0, 1], [0, 1], [2, 3], [2, 3], [4], [4]]
    assert len(decoded(degrade(two(5), "fragment", 1))) == 10


def test_over_segmentation_cuts_each_masklet_into_equal_pieces_over_its_frames():
    pieces = decoded(degrade(two(), "over", 2))
    assert len(pieces) == 4
    for frames in pieces.values():
        assert sorted(frames) == [0, 1, 2]
        assert len({int(m.sum()) for m in frames.values()}) == 1  # the same piece each frame
    areas = sorted(int(f[0].sum()) for f in pieces.values())
    assert areas == [8, 8, 12, 12]  # halves of 16 and 24 px
    union = sum(f[0].astype(int) for f in pieces.values())
    assert np.array_equal(union, (LEFT | RIGHT).astype(int))  # disjoint, nothing lost


def test_under_segmentation_merges_touching_masklets_with_probability_p():
    merged = decoded(degrade(two(), "under", 1.0))
    assert len(merged) == 1 and np.array_equal(merged[0][1], LEFT | RIGHT)
    apart = masklets(1, [box(SHAPE, 0, 0)], [box(SHAPE, 7, 11)])  # do not touch
    assert len(decoded(degrade(apart, "under", 1.0))) == 2


def test_boundaries_move_by_k_pixels_and_the_seed_decides_how():
    lone = masklets(1, [box((20, 20), slice(6, 14), slice(6, 14))])  # 8 x 8
    areas = set()
    for seed in range(8):
        (mask,) = decoded(degrade(lone, "boundary", 2, seed))[0].values()
        areas.add(int(mask.sum()))
        again = decoded(degrade(lone, "boundary", 2, seed))[0][0]
        assert np.array_equal(mask, again)  # seeded
    # cv2's radius-2 disc: a 5 x 5 square whose first and last rows keep only their middle
    # pixel. Eroded: the 4 x 4 core; dilated: the 12 x 12 square less 2 pixels at each corner
    assert areas == {16, 12 * 12 - 4 * 2}


def test_a_level_that_is_not_an_axis_step_is_named():
    for bad in ("blur-2", "boundary-1.5", "under-2", "over-0", "fragment", "miss-x",
                "boundary-nan", "over-inf"):
        with pytest.raises(SettingsError, match="sweep level"):
            parse_level(bad)


@pytest.fixture(scope="module")
def swept(tmp_path_factory, camvid_small):
    root = tmp_path_factory.mktemp("sweep")
    data = ["--dataset", "camvid", "--root", str(camvid_small)]
    assert main(["masks", *data, "--source", "oracle", "--out", str(root / "oracle")]) == 0
    params = root / "params.yaml"
    params.write_text(f"sweep: {{source: oracle, seed: 0}}\nbenchmarks:\n  camvid:\n"
                      f"    root: {camvid_small}\n    eval: [val, test]\n")
    quality = {}
    for level in ("boundary-4", "over-3", "under-1", "miss-0.5", "fragment-1"):
        stats = root / f"{level}.json"
        out = root / f"sweep-{level}"
        entry = ["--of", str(root / "oracle")]
        assert main(["masks", "--params", str(params), *data, "--sweep", level, *entry,
                     "--out", str(out), "--stats", str(stats)]) == 0
        quality[level] = json.loads(stats.read_text())["quality"]
    return root, quality


def test_cuts_drops_and_fragments_keep_the_ceiling_merges_and_moved_edges_lower_it(swept):
    root, quality = swept
    for level in ("over-3", "miss-0.5", "fragment-1"):  # every masklet stays in one class
        q = quality[level]["overall"]
        assert q["asa_miou"] == q["temporal_purity"] == 1 and q["undersegmentation_error"] == 0
    assert quality["miss-0.5"]["overall"]["coverage"] < 1
    assert quality["over-3"]["overall"]["boundary_precision"] < 0.9
    for level in ("boundary-4", "under-1"):
        q = quality[level]["overall"]
        assert q["asa_miou"] < 0.95 and q["undersegmentation_error"] > 0
    frag = quality["fragment-1"]["overall"]
    assert frag["asa_miou"] == frag["asa_miou_frame"]  # one frame per masklet: the same vote
    assert set(quality["boundary-4"]) == {"val", "test", "overall", "boundary_ratio"}
    vm = load(next((root / "sweep-fragment-1").glob("*/*.json.gz")))
    assert vm.source == "degraded" and all(
        sum(r is not None for r in m.rle) == 1 for m in vm.masklets)


def test_break_even_is_the_first_level_whose_interval_reaches_zero_then_lies_below():
    def steps(rows):
        return [Step("net", "miss", level, "", {}, None, {"mIoU": (d, ci)})
                for level, d, ci in rows]

    falling = steps([(0, .30, (.20, .40)), (.25, .10, (.05, .15)), (.5, .00, (-.02, .03)),
                     (.75, -.10, (-.20, -.05)), (.9, -.20, (-.30, -.10))])
    assert break_even(falling, "mIoU") == (.5, .75)
    assert break_even(steps([(0, .3, (.2, .4)), (.5, .2, (.1, .3))]), "mIoU") == (None, None)
    assert break_even(steps([(0, .3, None), (.5, -.2, (-.3, -.1))]), "mIoU") == (.5, .5)
