"""Weight-free masklet sources: `oracle` (ground-truth components) and `superpixel`.

Each source turns one video into `VideoMasklets`; `generate` runs a source over dataset splits,
one atomic file per video, skipping videos already done (so an interrupted run resumes, and
`shard` splits the videos between processes or machines: no source needs to see every video).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from replication.data.dataset import Dataset
from replication.data.video import IGNORE, Video
from replication.masks.store import Masklet, VideoMasklets, encode, load, masklet_path, save


@dataclass
class Oracle:
    """Connected components of each ground-truth class, linked through time within windows of
    `window` frames (face connectivity in x, y and t): the masks a perfect source would give."""

    window: int = 32
    name: str = "oracle"

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        vm = _empty(video, dataset, self.name)
        for start in range(0, len(video.frames), self.window):
            stack = np.stack([dataset.load_label(f) for f in video.frames[start:start + self.window]])
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
                    vm.masklets.append(_masklet(vm, rle))
        return vm


@dataclass
class Superpixel:
    """Felzenszwalb-Huttenlocher segments of each frame (scikit-image), one masklet per segment
    and frame: weight-free, with no temporal linking."""

    scale: float = 200.0
    sigma: float = 0.8
    min_size: int = 200
    name: str = "superpixel"

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        from skimage.segmentation import felzenszwalb

        from baselines.frames import read_image

        vm = _empty(video, dataset, self.name)
        for t, frame in enumerate(video.frames):
            segments = felzenszwalb(read_image(frame.image), scale=self.scale, sigma=self.sigma,
                                    min_size=self.min_size) + 1
            for k, box in enumerate(ndimage.find_objects(segments), start=1):
                if box is None:
                    continue
                mask = np.zeros(segments.shape, bool)
                mask[box] = segments[box] == k
                rle = [None] * len(video.frames)
                rle[t] = encode(mask[None])[0]
                vm.masklets.append(_masklet(vm, rle))
        return vm


def generate(source, dataset: Dataset, splits: list[str], out_dir: Path, *,
             shard: tuple[int, int] = (0, 1)) -> dict:
    """Write `<out_dir>/<video>.json.gz` for the videos of this shard; returns statistics."""
    index, count = shard
    videos = split_videos(dataset, splits)[index::count]
    done = made = 0
    for split, video in tqdm(videos, desc=f"masks {source.name}", unit="video"):
        path = masklet_path(out_dir, split, video.name)
        if path.is_file():
            try:
                load(path)
                done += 1
                continue
            except ValueError:
                pass  # unreadable: make it again
        start = time.perf_counter()
        vm = source.masklets(video, dataset)
        vm.seconds = round(time.perf_counter() - start, 3)
        save(path, vm)
        made += 1
    return {"videos": len(videos), "made": made, "already_done": done}


def split_videos(dataset: Dataset, splits: list[str]) -> list[tuple[str, Video]]:
    return [(split, video) for split in splits for video in dataset.videos(split)]


def _empty(video: Video, dataset: Dataset, source: str) -> VideoMasklets:
    h, w = dataset.load_label(video.frames[0]).shape
    return VideoMasklets(video.name, [f.stem for f in video.frames], h, w, source)


def _masklet(vm: VideoMasklets, rle: list) -> Masklet:
    return Masklet(len(vm.masklets), 1.0, rle)
