"""The `oracle` source: connected components of the ground truth, the upper bound of any source."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import ndimage

from replication.core.settings import setting
from replication.data.dataset import Dataset
from replication.data.video import IGNORE, Video
from replication.masks.base import Windowed, add_masklet, empty_masklets
from replication.masks.store import VideoMasklets, encode


@dataclass
class Oracle(Windowed):
    """Connected components of each ground-truth class, linked through time within windows of
    `window` frames (face connectivity in x, y and t): the masks a perfect source would give.
    A frame without a label (most of a Cityscapes snippet) has no masklet and breaks the
    linking through it."""

    window: int = setting(32, "frames per window: components are linked through time within "
                          "it", min=1)
    name: ClassVar[str] = "oracle"

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        vm = empty_masklets(video, dataset, self.name)
        for start in range(0, len(video.frames), self.window):
            unlabelled = np.full((vm.height, vm.width), IGNORE, np.uint8)
            stack = np.stack([dataset.load_label(f) if f.label is not None else unlabelled
                              for f in video.frames[start:start + self.window]])
            for c in np.unique(stack):
                if c == IGNORE:
                    continue
                components, _ = ndimage.label(stack == c, ndimage.generate_binary_structure(3, 1))
                for k, box in enumerate(ndimage.find_objects(components), start=1):
                    rle = [None] * len(video.frames)
                    for t in range(box[0].start, box[0].stop):
                        mask = np.zeros(stack.shape[1:], bool)
                        mask[box[1:]] = components[t][box[1:]] == k
                        if mask.any():
                            rle[start + t] = encode(mask[None])[0]
                    add_masklet(vm, rle)
        return vm
