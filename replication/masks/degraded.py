"""The `degraded` source: another source's masklets made worse in one controlled way.

The mask-quality sweep degrades the oracle's masklets along one axis at a time (`<axis>-<level>`,
e.g. `boundary-4`); every degradation is seeded per (seed, axis, video), so the same settings
always give the same masklets:

- `boundary-k`: each masklet is dilated or eroded (at random, per masklet) by a disc of radius k
  px, then shifted on each frame by a jitter of up to k // 2 px in x and y;
- `over-k`: each masklet is cut into k pieces of equal area on every frame, along x or y (at
  random, per masklet); piece i over the frames is one masklet;
- `under-p`: each pair of masklets that touch (4-neighbours, on any frame) is merged with
  probability p (merges chain: p = 1 joins every touching group);
- `miss-f`: a share f of the masklets (rounded) is dropped: the baseline shows through there;
- `fragment-L`: each masklet is cut at every frame whose index is a multiple of L, into runs of at
  most L frames (L = 1: no linking through time).

Boundary, over- and under-segmentation work on the masklets as the refiner paints them (smaller
over larger; the oracle's do not overlap). Level 0 of each axis (replication.masks.axes) is the
source itself.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
from scipy import ndimage

from replication.core.errors import InputError
from replication.core.settings import setting
from replication.data.dataset import Dataset
from replication.data.video import Video
from replication.masks.axes import AXES, parse_level
from replication.masks.base import Source
from replication.masks.runs import top_masks
from replication.masks.store import Masklet, VideoMasklets, encode, load


def degrade(vm: VideoMasklets, axis: str, level: float, seed: int = 0) -> VideoMasklets:
    """`vm` degraded along `axis` at `level` (see the module docstring); a new VideoMasklets."""
    rng = np.random.default_rng([seed, list(AXES).index(axis), zlib.crc32(vm.video.encode())])
    if axis == "miss":
        drop = rng.permutation(len(vm.masklets))[:round(level * len(vm.masklets))]
        kept = np.ones(len(vm.masklets), bool)
        kept[drop] = False
        return _renumbered(vm, [m.rle for m, k in zip(vm.masklets, kept) if k])
    if axis == "fragment":
        span = int(level)
        pieces = []
        for m in vm.masklets:
            for start in range(0, len(vm.frames), span):
                rle = [None] * start + m.rle[start:start + span]
                if any(r is not None for r in rle):
                    pieces.append(rle + [None] * (len(vm.frames) - len(rle)))
        return _renumbered(vm, pieces)
    return _renumbered(vm, _pixelwise(vm, axis, level, rng))


def _pixelwise(vm: VideoMasklets, axis: str, level: float, rng) -> list[list]:
    """The RLEs (per new masklet, per frame) of the boundary, over and under degradations."""
    n, frames = len(vm.masklets), len(vm.frames)
    if axis == "boundary":
        k = int(level)
        signs = rng.choice([-1, 1], size=n)
        shifts = rng.integers(-(k // 2), k // 2 + 1, size=(n, frames, 2))
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    elif axis == "over":
        pieces, along_x = int(level), rng.random(n) < 0.5
    else:  # under: the touching pairs over all frames, merged with probability `level`
        pairs = np.unique(np.concatenate([_touching(_ids(vm, t)) for t in range(frames)]
                                         or [np.zeros((0, 2), np.int64)]), axis=0)
        merge = pairs[rng.random(len(pairs)) < level]
        root = _groups(n, merge)
    out: dict = {}
    for t in range(frames):
        ids = _ids(vm, t)
        if axis == "under":
            ids = np.where(ids >= 0, root[np.maximum(ids, 0)], -1)
        for index, box in enumerate(ndimage.find_objects(ids + 1)):
            if box is None:
                continue
            if axis == "under":
                _put(out, index, t, ids[box] == index, box, vm)
            elif axis == "over":
                ys, xs = np.nonzero(ids[box] == index)
                order = np.lexsort((ys, xs) if along_x[index] else (xs, ys))
                piece = np.empty(len(order), np.int64)
                piece[order] = np.arange(len(order)) * pieces // len(order)
                for p in range(pieces):
                    mask = np.zeros([s.stop - s.start for s in box], bool)
                    mask[ys[piece == p], xs[piece == p]] = True
                    _put(out, (index, p), t, mask, box, vm)
            else:
                box = _padded(box, k + k // 2, ids.shape)
                mask = (ids[box] == index).astype(np.uint8)
                if k:
                    op = cv2.dilate if signs[index] > 0 else cv2.erode
                    mask = op(mask, disc, borderType=cv2.BORDER_REPLICATE)
                    dx, dy = shifts[index, t]
                    mask = cv2.warpAffine(mask, np.float32([[1, 0, dx], [0, 1, dy]]),
                                          mask.shape[::-1], flags=cv2.INTER_NEAREST)
                _put(out, index, t, mask.astype(bool), box, vm)
    return [out[key] for key in sorted(out)]


def _ids(vm: VideoMasklets, t: int) -> np.ndarray:
    """(H, W): the index (into vm.masklets) of the masklet painted on top, -1 where none."""
    present = np.asarray(vm.present(t), np.int64)
    top = top_masks(vm.runs(t))
    return np.where(top >= 0, present[np.maximum(top, 0)] if present.size else -1, -1)


def _touching(ids: np.ndarray) -> np.ndarray:
    """(P, 2) pairs (a < b) of masklet indices that are 4-neighbours somewhere in `ids`."""
    pairs = [np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], 1),
             np.stack([ids[:-1].ravel(), ids[1:].ravel()], 1)]
    pairs = np.concatenate(pairs)
    pairs = pairs[(pairs[:, 0] != pairs[:, 1]) & (pairs >= 0).all(1)]
    return np.unique(np.sort(pairs, 1), axis=0)


def _groups(n: int, pairs: np.ndarray) -> np.ndarray:
    """Each of n items' group (its smallest member) when the pairs join items."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1 if n else 0, n, np.int64)
    np.minimum.at(first, labels, np.arange(n))
    return first[labels]


def _padded(box: tuple, pad: int, shape: tuple) -> tuple:
    return tuple(slice(max(0, s.start - pad), min(size, s.stop + pad))
                 for s, size in zip(box, shape))


def _put(out: dict, key, t: int, mask: np.ndarray, box: tuple, vm: VideoMasklets) -> None:
    """Store the RLE of a crop's mask, placed in the frame, as masklet `key` at frame t."""
    if not mask.any():
        return
    full = np.zeros((1, vm.height, vm.width), bool)
    full[0][box] = mask
    out.setdefault(key, [None] * len(vm.frames))[t] = encode(full)[0]


def _renumbered(vm: VideoMasklets, rles: list[list]) -> VideoMasklets:
    return VideoMasklets(vm.video, vm.frames, vm.height, vm.width, Degraded.name,
                         [Masklet(i, 1.0, rle) for i, rle in enumerate(rles)])


@dataclass
class Degraded(Source):
    """The masklets of the masks folder `of`, degraded (`degrade`: `<axis>-<level>`, see the
    module docstring) with `seed`: the controlled steps of the mask-quality sweep."""

    of: str = setting("masks/camvid/oracle", "the masks folder whose masklets are degraded")
    degrade: str = setting("boundary-0", "<axis>-<level>: boundary-k px, over-k pieces, under-p "
                           "merge probability, miss-f share dropped, fragment-L frames")
    seed: int = setting(0, "seed of the degradation")
    name: ClassVar[str] = "degraded"

    def validate(self) -> None:
        parse_level(self.degrade)

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        found = sorted(Path(self.of).glob(f"*/{video.name}.json.gz"))  # <split>/<video>.json.gz
        kept = [vm for vm in map(load, found) if vm.frames == [f.stem for f in video.frames]]
        if not kept:
            raise InputError(f"{self.of}: no masklet file of video {video.name} with its "
                             "frames; run that masks stage first (`dvc repro masks`)")
        axis, level = parse_level(self.degrade)
        return degrade(kept[0], axis, level, self.seed)
