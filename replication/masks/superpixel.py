"""The `superpixel` source: Felzenszwalb segments of each frame, weight-free, not linked."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import ndimage

from replication.core.settings import setting
from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.video import Video
from replication.masks.base import Source, add_masklet, empty_masklets
from replication.masks.store import VideoMasklets, encode


@dataclass
class Felzenszwalb(Source):
    """The segmentation of Felzenszwalb & Huttenlocher (scikit-image) and its settings."""

    scale: float = setting(200.0, "Felzenszwalb scale: larger gives larger segments", above=0)
    sigma: float = setting(0.8, "Gaussian pre-smoothing of the frame", min=0)
    min_size: int = setting(200, "smallest segment in pixels", min=1)

    def segments(self, image: np.ndarray) -> np.ndarray:
        """Segment ids 0..n-1 of an RGB frame."""
        from skimage.segmentation import felzenszwalb

        return felzenszwalb(image, scale=self.scale, sigma=self.sigma, min_size=self.min_size)


@dataclass
class Superpixel(Felzenszwalb):
    """One masklet per segment and frame: weight-free, with no temporal linking."""

    name: ClassVar[str] = "superpixel"

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        vm = empty_masklets(video, dataset, self.name)
        for t, frame in enumerate(video.frames):
            segments = self.segments(read_image(frame.image)) + 1
            for k, box in enumerate(ndimage.find_objects(segments), start=1):
                if box is None:
                    continue
                mask = np.zeros(segments.shape, bool)
                mask[box] = segments[box] == k
                rle = [None] * len(video.frames)
                rle[t] = encode(mask[None])[0]
                add_masklet(vm, rle)
        return vm
