"""The `superpixel-flow` source: superpixels linked through time by optical flow."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from replication.core.settings import setting
from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.video import Video
from replication.masks.base import Windowed, empty_masklets
from replication.masks.store import Masklet, VideoMasklets, encode
from replication.masks.superpixel import Felzenszwalb


@dataclass
class SuperpixelFlow(Felzenszwalb, Windowed):
    """The superpixels of each frame linked into masklets through time by dense optical flow,
    within windows of `window` frames: the weight-free stand-in for what SAM2's tracking adds.

    Linking rule, frame t to t+1 of a window: the masklet ids of frame t are warped to frame
    t+1 along the flow from t+1 to t (nearest; pixels whose flow leaves the frame get none).
    Every pair (segment of t+1, masklet) is scored by the IoU of the segment and the masklet's
    warped mask; pairs are taken best first, each segment and each masklet at most once, while
    the IoU is at least `link_iou`: the segment continues that masklet. A segment left over
    starts a new masklet; a masklet left over ends. On frames far apart (CamVid's test split is
    1 s apart) the flow means little, few segments pass the threshold, and the masklets are
    close to per-frame superpixels."""

    window: int = setting(32, "frames per window: segments are linked within it", min=1)
    link_iou: float = setting(0.5, "the IoU a segment needs with a masklet's flow-warped mask "
                              "to continue it", min=0, max=1)
    flow: str = setting("dis", "optical flow of the linking (OpenCV DIS, weight-free)",
                        choices=("dis",))
    name: ClassVar[str] = "superpixel-flow"

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        from replication.metrics.flow import flow_backend, follow

        flow = flow_backend(self.flow)
        vm = empty_masklets(video, dataset, self.name)
        rles: list[list] = []  # per masklet, one RLE (or None) per frame
        previous = ids = None  # the previous frame and its masklet id per pixel
        for t, frame in enumerate(video.frames):
            image = read_image(frame.image)
            segments = self.segments(image)
            n = int(segments.max()) + 1
            owner = np.full(n, -1, np.int64)  # segment -> masklet it continues
            if t % self.window and previous is not None:
                rows, cols, inside = follow(flow(image, previous))
                warped = np.where(inside, ids[rows, cols], -1)
                owner = _link(segments, warped, n, len(rles), self.link_iou)
            for segment in np.flatnonzero(owner < 0):
                owner[segment] = len(rles)
                rles.append([None] * len(video.frames))
            ids = owner[segments]
            masks = ids[None] == np.unique(ids)[:, None, None]
            for masklet, rle in zip(np.unique(ids), encode(masks)):
                rles[masklet][t] = rle
            previous = image
        vm.masklets = [Masklet(i, 1.0, r) for i, r in enumerate(rles)]
        return vm


def _link(segments: np.ndarray, warped: np.ndarray, n: int, masklets: int,
          threshold: float) -> np.ndarray:
    """Segment -> masklet it continues (-1: none), by the rule of SuperpixelFlow."""
    valid = warped >= 0
    pairs = np.bincount(segments[valid] * masklets + warped[valid],
                        minlength=n * masklets).reshape(n, masklets)
    seg_area = np.bincount(segments.ravel(), minlength=n)
    mask_area = np.bincount(warped[valid], minlength=masklets)
    s, m = np.nonzero(pairs)
    iou = pairs[s, m] / (seg_area[s] + mask_area[m] - pairs[s, m])
    owner = np.full(n, -1, np.int64)
    taken = np.zeros(masklets, bool)
    for k in np.lexsort((m, s, -iou)):  # best first; ties by segment, then masklet id
        if iou[k] < threshold:
            break
        if owner[s[k]] < 0 and not taken[m[k]]:
            owner[s[k]], taken[m[k]] = m[k], True
    return owner
