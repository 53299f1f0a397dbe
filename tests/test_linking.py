"""Masklet identities across windows (replication.masks.linking), on oracle masklets of a clip
longer than two windows and on hand-made masklets."""
import numpy as np

from replication.data.labels import write_label
from replication.masks.generate import generate
from replication.masks.linking import link_across_windows
from replication.masks.oracle import Oracle
from replication.masks.store import load, masklet_path
from tests.test_masks_refine import TinyDataset, box, masklets


def spans(vm):
    return sorted((min(f), max(f)) for m in vm.masklets
                  if (f := [t for t, r in enumerate(m.rle) if r is not None]))


def seven_frames(root):
    """7 frames: the background and a still object throughout; an object from frame 4 on; one
    that jumps elsewhere between frames 2 and 3."""
    for t in range(7):
        label = np.zeros((8, 12), np.uint8)
        label[1:4, 1:4] = 1                                   # still
        if t >= 4:
            label[5:7, 5:8] = 2                               # appears on frame 4
        label[1:3, 6:8] = 2 if t < 3 else 0                   # frames 0-2 only, at the top
        label[1:3, 9:11] = 2 if t >= 3 else 0                 # from frame 3, elsewhere
        write_label(root / "v" / f"{t}.png", label)
    return TinyDataset(root)


def test_oracle_masklets_span_windows_when_linked(tmp_path):
    """In windows of 3: the background and the still object continue through all three
    windows; the object that appears on frame 4 (inside a window) starts there, and the one that
    jumps across the frame between windows (IoU 0) is not continued."""
    ds = seven_frames(tmp_path / "data")
    vm = Oracle(window=3).masklets(ds.videos("val")[0], ds)
    assert spans(vm) == [(0, 2), (0, 2), (0, 2), (3, 5), (3, 5), (3, 5), (4, 5), (6, 6),
                         (6, 6), (6, 6), (6, 6)]
    linked = link_across_windows(vm, 3, 0.5)
    assert spans(linked) == [(0, 2), (0, 6), (0, 6), (3, 6), (4, 6)]
    assert [m.id for m in linked.masklets] == list(range(5))
    for t in range(7):  # the same pixels, in fewer masklets
        assert np.array_equal(vm.at_frame(t)[1].any(0), linked.at_frame(t)[1].any(0))
        assert len(linked.at_frame(t)[0]) == len(vm.at_frame(t)[0])


def test_the_runner_links_when_the_source_says_so(tmp_path):
    """`across_windows` on a windowed source: generate() writes the linked masklets and records
    the setting; off, the file and its settings are as before the option existed."""
    ds = seven_frames(tmp_path / "data")
    off, on = Oracle(window=3), Oracle(window=3, across_windows=0.5)
    assert off.settings() == {"window": 3}
    for source, folder in ((off, "off"), (on, "on")):
        generate(source, ds, ["val"], tmp_path / folder)
    linked = load(masklet_path(tmp_path / "on", "val", "v"))
    assert spans(linked) == [(0, 2), (0, 6), (0, 6), (3, 6), (4, 6)]
    assert linked.settings == {"across_windows": 0.5, "window": 3}
    assert len(load(masklet_path(tmp_path / "off", "val", "v")).masklets) == 11


def test_matches_are_one_to_one_best_first_above_the_threshold():
    shape = (4, 10)
    left, right = box(shape, slice(0, 4), slice(0, 4)), box(shape, slice(0, 4), slice(5, 10))
    wide = box(shape, slice(0, 4), slice(0, 5))                 # IoU 0.8 with left, 0 right
    early = box(shape, slice(0, 2), slice(5, 10))               # ends before the boundary
    vm = masklets(4, [left, left, None, None], [right, right, None, None],
                  [None, None, wide, wide], [None, None, box(shape, 0, slice(0, 4)), None],
                  [early, None, None, None], [None, None, right, None])
    linked = link_across_windows(vm, 2, 0.5)
    # left continues as wide (0.8 beats the row of left at 0.25); right continues as right;
    # the one-row mask and the early masklet stay on their own
    assert spans(linked) == [(0, 0), (0, 2), (0, 3), (2, 2)]
    assert len(link_across_windows(vm, 2, 0.9).masklets) == len(vm.masklets) - 1
