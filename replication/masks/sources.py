"""Weight-free masklet sources: `oracle` (ground-truth components) and `superpixel`.

Each source turns one video into `VideoMasklets`; `generate` runs a source over dataset splits,
one atomic file per video, skipping videos already done (so an interrupted run resumes, and
`shard` splits the videos between processes or machines: no source needs to see every video).
"""
from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from replication.data.dataset import Dataset
from replication.data.images import read_image
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
             shard: tuple[int, int] = (0, 1), workers: int = 1) -> dict:
    """Write `<out_dir>/<split>/<video>.json.gz` for the videos of this shard, in `workers`
    processes (longest videos first); returns statistics."""
    index, count = shard
    videos = split_videos(dataset, splits)[index::count]
    todo = sorted((sv for sv in videos if not _done(masklet_path(out_dir, sv[0], sv[1].name))),
                  key=lambda sv: -len(sv[1].frames))
    jobs = [(source, dataset, split, video, out_dir) for split, video in todo]
    bar = dict(total=len(todo), desc=f"masks {source.name}", unit="video")
    if workers > 1 and len(todo) > 1:
        with ProcessPoolExecutor(min(workers, len(todo))) as pool:
            for future in tqdm(as_completed([pool.submit(_make, *job) for job in jobs]), **bar):
                future.result()
    else:
        for job in tqdm(jobs, **bar):
            _make(*job)
    return {"videos": len(videos), "made": len(todo), "already_done": len(videos) - len(todo)}


def _done(path: Path) -> bool:
    """Whether a video's masklet file is there and readable (else it is made again)."""
    try:
        load(path)
        return True
    except (FileNotFoundError, ValueError):
        return False


def _make(source, dataset: Dataset, split: str, video: Video, out_dir: Path) -> None:
    start = time.perf_counter()
    vm = source.masklets(video, dataset)
    vm.seconds = round(time.perf_counter() - start, 3)  # this video's time in its process
    save(masklet_path(out_dir, split, video.name), vm)


def split_videos(dataset: Dataset, splits: list[str]) -> list[tuple[str, Video]]:
    return [(split, video) for split in splits for video in dataset.videos(split)]


def _empty(video: Video, dataset: Dataset, source: str) -> VideoMasklets:
    h, w = dataset.load_label(video.frames[0]).shape
    return VideoMasklets(video.name, [f.stem for f in video.frames], h, w, source)


def _masklet(vm: VideoMasklets, rle: list) -> Masklet:
    return Masklet(len(vm.masklets), 1.0, rle)
