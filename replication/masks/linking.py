"""Identities across windows, the same for every windowed source (oracle, superpixel-flow, SAM2).

At each window boundary b (b = window, 2 window, ...), a masklet that ends there (present on
frame b-1, on no frame from b on) continues as a masklet that starts there (present on frame b,
on no frame before) when their masks on frames b-1 and b match at IoU >= `link_iou`; pairs are
taken best first (ties: the lower ids), each masklet at most once, so the matching is one to
one. Masks are compared where they are, without motion compensation: consecutive frames of a
video, as in every windowed source's own linking within a window.
"""
from __future__ import annotations

import numpy as np

from replication.masks.store import Masklet, VideoMasklets


def link_across_windows(vm: VideoMasklets, window: int, link_iou: float) -> VideoMasklets:
    """`vm` with the masklets that continue across window boundaries merged (the module's
    rule): a merged masklet has the frames of its parts and the first part's score; masklets
    are renumbered in the order of their first part."""
    n = len(vm.masklets)
    frames = [[t for t, r in enumerate(m.rle) if r is not None] for m in vm.masklets]
    first = np.array([f[0] if f else -1 for f in frames])
    last = np.array([f[-1] if f else -1 for f in frames])
    head = np.arange(n)  # each masklet -> the first part of its chain
    for b in range(window, len(vm.frames), window):
        ending = [i for i in vm.present(b - 1) if last[i] == b - 1]
        starting = [i for i in vm.present(b) if first[i] == b]
        for a, c in _matches(vm, b, ending, starting, link_iou):
            head[c] = head[a]
    parts: dict[int, list[int]] = {}
    for i in range(n):
        parts.setdefault(int(head[i]), []).append(i)
    merged = []
    for h, members in parts.items():
        rle = [None] * len(vm.frames)
        for i in members:
            for t in frames[i]:
                rle[t] = vm.masklets[i].rle[t]
        merged.append(Masklet(len(merged), vm.masklets[h].score, rle))
    return VideoMasklets(vm.video, vm.frames, vm.height, vm.width, vm.source, merged,
                         vm.seconds, vm.settings)


def _matches(vm: VideoMasklets, b: int, ending: list[int], starting: list[int],
             threshold: float) -> list[tuple[int, int]]:
    """One-to-one (ending, starting) pairs at IoU >= threshold, best first."""
    if not ending or not starting:
        return []
    iou = pairwise_iou(_masks(vm, b - 1, ending), _masks(vm, b, starting))
    rows, cols = np.nonzero(iou >= threshold)
    order = np.lexsort((cols, rows, -iou[rows, cols]))
    pairs, used_a, used_c = [], set(), set()
    for k in order:
        r, q = int(rows[k]), int(cols[k])
        if r not in used_a and q not in used_c:
            pairs.append((ending[r], starting[q]))
            used_a.add(r)
            used_c.add(q)
    return pairs


def pairwise_iou(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """IoU of each mask of `a` with each of `c` (stacks of masks of one size; 0 where both are
    empty), as an (len(a), len(c)) array."""
    a, c = a.reshape(len(a), -1).astype(np.float32), c.reshape(len(c), -1).astype(np.float32)
    inter = a @ c.T
    union = a.sum(1)[:, None] + c.sum(1)[None] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _masks(vm: VideoMasklets, t: int, ids: list[int]) -> np.ndarray:
    """The masks of masklets `ids` on frame `t`."""
    present, masks = vm.at_frame(t)
    where = {int(i): k for k, i in enumerate(present)}
    return masks[[where[i] for i in ids]]

