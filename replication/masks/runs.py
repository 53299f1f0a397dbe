"""Masks as runs: the refiner's and classifier's work done on COCO RLEs without decoding them.

A frame's masklets are parsed once into foreground runs (mask, start, stop) over the frame
flattened in column-major order, which is how COCO RLE counts pixels. Label counts inside every
mask are then one `bincount` over the covered pixels, and painting (smaller over larger) keeps,
for each pixel, the highest-ranked mask that covers it: work proportional to the pixels the
masks cover, not to masks x pixels, and no mask is ever materialised.

The parser follows pycocotools' rleFrString: 5 bits per character (offset 48), bit 0x20 means
"more characters follow", bit 0x10 of the last character is the sign, and from the fourth
count on each count is stored as the difference to the count two before. Runs alternate
background and foreground, starting with background, and must cover the frame exactly: a
corrupt string (pycocotools would decode garbage without a word) raises.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IGNORE = 255


@dataclass(frozen=True)
class FrameRuns:
    """Foreground runs of n masks of a height x width frame (column-major flat positions)."""

    n: int
    height: int
    width: int
    mask: np.ndarray   # (R,) which mask each run belongs to (0..n-1)
    start: np.ndarray  # (R,) first flat position
    stop: np.ndarray   # (R,) one past the last

    def areas(self) -> np.ndarray:
        """Pixels of each mask (n,)."""
        return np.bincount(self.mask, weights=self.stop - self.start,
                           minlength=self.n).astype(np.int64)

    def pixels(self, runs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(mask, flat position) of every covered pixel of the runs selected by `runs` (a bool
        selection; all by default); a pixel covered by k masks appears k times."""
        start, stop, mask = ((self.start, self.stop, self.mask) if runs is None else
                             (self.start[runs], self.stop[runs], self.mask[runs]))
        lengths = stop - start
        offsets = np.repeat(start - np.cumsum(lengths) + lengths, lengths)
        return np.repeat(mask, lengths), offsets + np.arange(lengths.sum())


def parse(counts: list[str], height: int, width: int) -> FrameRuns | int:
    """The runs of COCO RLE `counts` strings of one frame, or the index of the first string
    that is not a valid RLE of a height x width mask."""
    n = len(counts)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return FrameRuns(0, height, width, empty, empty, empty)
    lengths = np.fromiter(map(len, counts), np.int64, n)
    if not lengths.all():
        return int(np.flatnonzero(lengths == 0)[0])
    chars = np.frombuffer("".join(counts).encode("latin-1"), np.uint8).astype(np.int64) - 48
    string_of = np.repeat(np.arange(n), lengths)
    bad = (chars < 0) | (chars > 63)
    last = np.cumsum(lengths) - 1
    bad[last] |= (chars[last] & 0x20) != 0  # a string must not end inside a value
    if bad.any():
        return int(string_of[np.flatnonzero(bad)[0]])
    ends = np.flatnonzero((chars & 0x20) == 0)
    starts = np.r_[0, ends[:-1] + 1]
    digits = np.arange(chars.size) - np.repeat(starts, ends - starts + 1)
    values = np.add.reduceat((chars & 0x1F) << (5 * digits), starts)
    negative = (chars[ends] & 0x10) != 0
    values[negative] -= 1 << (5 * (ends - starts + 1))[negative]
    seg = string_of[ends]                            # the string of each count
    index = np.arange(values.size) - _segment_starts(seg)[seg]  # m: its place in the string
    for parity in (1, 0):  # counts from the 4th on are differences to the one two before
        chain = (index % 2 == parity) & (index >= 1 + (parity == 0))
        values[chain] = _segment_cumsum(values[chain], seg[chain])
    ends_at = _segment_cumsum(values, seg)
    totals = ends_at[np.r_[np.flatnonzero(np.diff(seg)), seg.size - 1]]
    wrong = (totals != height * width) | (np.bincount(seg, weights=values < 0, minlength=n) > 0)
    if wrong.any():
        return int(np.flatnonzero(wrong)[0])
    foreground = (index % 2 == 1) & (values > 0)
    stop = ends_at[foreground]
    return FrameRuns(n, height, width, seg[foreground], stop - values[foreground], stop)


def histograms(runs: FrameRuns, labels: np.ndarray, num_classes: int,
               weights: np.ndarray | None = None) -> np.ndarray:
    """(n, num_classes) counts of the class ids of `labels` (H, W) inside each mask (with
    `weights` (H, W): their sums, float); 255 (and any id >= num_classes) is not counted."""
    mask, position = runs.pixels()
    values = np.ravel(labels, order="F")[position].astype(np.int64)
    keep = values < num_classes
    weight = None if weights is None else np.ravel(weights, order="F")[position][keep]
    counts = np.bincount(mask[keep] * num_classes + values[keep], weights=weight,
                         minlength=runs.n * num_classes)
    return counts.reshape(runs.n, num_classes)


def paint(runs: FrameRuns, classes: np.ndarray, base: np.ndarray) -> np.ndarray:
    """`base` (H, W) uint8 with each mask painted in its class (`classes`, (n,); -1: the mask is
    not painted), larger masks first so smaller ones end on top (equal areas: the later mask on
    top), as painting the decoded masks in that order would."""
    painted = classes >= 0
    if not painted.any():
        return base.copy()
    top = _top(runs, painted)
    out = np.ravel(base, order="F").copy()
    covered = top >= 0
    out[covered] = classes[top[covered]]
    return out.reshape(runs.width, runs.height).T.copy()


def top_masks(runs: FrameRuns) -> np.ndarray:
    """(H, W) int64: the index of the mask `paint` leaves on top at each pixel, -1 where none."""
    top = _top(runs, np.ones(runs.n, bool))
    return top.reshape(runs.width, runs.height).T.copy()


def _top(runs: FrameRuns, painted: np.ndarray) -> np.ndarray:
    """Flat (column-major) index of the top mask among `painted` at each pixel, -1 where none:
    larger masks first, so smaller ones end on top (equal areas: the later one)."""
    order = np.flatnonzero(painted)[np.argsort(-runs.areas()[painted], kind="stable")]
    rank = np.full(runs.n, -1, np.int64)
    rank[order] = np.arange(order.size)
    mask, position = runs.pixels(painted[runs.mask])
    top = np.full(runs.height * runs.width, -1, np.int64)
    np.maximum.at(top, position, rank[mask])
    return np.where(top >= 0, order[np.maximum(top, 0)], -1) if order.size else top


def _segment_starts(seg: np.ndarray) -> np.ndarray:
    """Index of the first element of each segment id (ids 0..max, non-decreasing)."""
    starts = np.zeros(seg.max() + 1 if seg.size else 0, np.int64)
    first = np.r_[True, seg[1:] != seg[:-1]]
    starts[seg[first]] = np.flatnonzero(first)
    return starts


def _segment_cumsum(values: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each new segment id (`seg` non-decreasing)."""
    if not values.size:
        return values
    total = np.cumsum(values)
    first = np.r_[True, seg[1:] != seg[:-1]]
    base = (total - values)[first]
    return total - np.repeat(base, np.diff(np.r_[np.flatnonzero(first), values.size]))
