"""Weight-free masklet sources: `oracle` (ground-truth components), `superpixel` (per frame) and
`superpixel-flow` (superpixels linked through time by optical flow).

Each source turns one video into `VideoMasklets`; `generate` runs a source over dataset splits,
one atomic file per video, skipping videos already done with the same settings (so an
interrupted run resumes, a run with other settings redoes them, and `shard` splits the videos
between processes or machines: no source needs to see every video).
"""
from __future__ import annotations

import functools
import json
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.video import IGNORE, Video
from replication.executor import Executor, run
from replication.masks.store import Masklet, VideoMasklets, encode, load, masklet_path, save
from replication.records import write_record


def source_settings(source) -> dict:
    """The settings that determine a source's masklets: its dataclass fields, less its name and
    device (which do not change what it makes)."""
    return {f.name: str(v) if isinstance(v := getattr(source, f.name), Path) else v
            for f in fields(source) if f.name not in ("name", "device")
            and not f.name.startswith("_")}


@dataclass
class Oracle:
    """Connected components of each ground-truth class, linked through time within windows of
    `window` frames (face connectivity in x, y and t): the masks a perfect source would give."""

    window: int = 32
    name: str = "oracle"
    settings = source_settings

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
    settings = source_settings

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


@dataclass
class SuperpixelFlow:
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

    scale: float = 200.0
    sigma: float = 0.8
    min_size: int = 200
    window: int = 32
    link_iou: float = 0.5
    flow: str = "dis"
    name: str = "superpixel-flow"
    settings = source_settings

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        from skimage.segmentation import felzenszwalb

        from replication.metrics.flow import flow_backend, follow

        flow = flow_backend(self.flow)
        vm = _empty(video, dataset, self.name)
        rles: list[list] = []  # per masklet, one RLE (or None) per frame
        previous = ids = None  # the previous frame and its masklet id per pixel
        for t, frame in enumerate(video.frames):
            image = read_image(frame.image)
            segments = felzenszwalb(image, scale=self.scale, sigma=self.sigma,
                                    min_size=self.min_size)
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


def generate(source, dataset: Dataset, splits: list[str], out_dir: Path, *,
             shard: tuple[int, int] = (0, 1), workers: int = 1,
             executor: Executor | None = None) -> dict:
    """Write `<out_dir>/<split>/<video>.json.gz` for the videos of this shard (longest first),
    skipping those already made with the same settings: in this process, in `workers`
    processes, or on a Ray cluster (`executor`, replication.executor: each worker loads the
    model once, the files are written here). Returns counts and the videos that failed.
    Worker processes end with this one, however it ends."""
    index, count = shard
    settings = source.settings()
    videos = split_videos(dataset, splits)[index::count]
    todo = sorted((sv for sv in videos
                   if not _done(masklet_path(out_dir, sv[0], sv[1].name), settings)),
                  key=lambda sv: -len(sv[1].frames))
    write_record(out_dir, "masks", dataset=dataset.name, source=source.name, settings=settings)
    counts = {"videos": len(videos), "made": len(todo), "already_done": len(videos) - len(todo),
              "failed": {}}
    desc = f"masks {source.name}"
    if executor is not None and executor.kind == "ray":
        outcome = run([(dataset, split, video) for split, video in todo],
                      functools.partial(_loaded, source), _masklets,
                      functools.partial(_save, out_dir), executor, desc=desc,
                      name=lambda job: f"{job[1]}/{job[2].name}")
        return {**counts, "made": outcome.done, "failed": outcome.failed,
                "retried": outcome.retried}
    jobs = [(source, (dataset, split, video), out_dir) for split, video in todo]
    if workers > 1 and len(todo) > 1:
        # Pool's exit terminates the workers, also on an error or SIGTERM; a watchdog in each
        # worker ends it if this process is killed outright (kill -9)
        with multiprocessing.Pool(min(workers, len(todo)), initializer=_exit_with_parent,
                                  initargs=(os.getpid(),)) as pool:
            for _ in tqdm(pool.imap_unordered(_make, jobs), total=len(jobs), desc=desc,
                          unit="video"):
                pass
    else:
        for job in tqdm(jobs, desc=desc, unit="video"):
            _make(job)
    return counts


def _exit_with_parent(parent: int) -> None:
    """Worker set-up: SIGTERM kills (as Pool.terminate expects; the parent's handler is
    inherited through fork), and a watchdog exits when the parent is gone."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _done(path: Path, settings: dict) -> bool:
    """Whether a video's masklet file is there, readable and made with `settings` (else it is
    made again)."""
    try:
        return load(path).settings == settings
    except (FileNotFoundError, ValueError):
        return False


def _loaded(source):
    """A worker's source, its model (if any) loaded once."""
    return source.load() if hasattr(source, "load") else source


def _masklets(source, job: tuple) -> VideoMasklets:
    """One video's masklets, with the source's settings and the seconds it took."""
    dataset, _, video = job
    start = time.perf_counter()
    vm = source.masklets(video, dataset)
    vm.seconds = round(time.perf_counter() - start, 3)  # this video's time in its process
    vm.settings = source.settings()
    return vm


def _save(out_dir: Path, job: tuple, vm: VideoMasklets) -> None:
    save(masklet_path(out_dir, job[1], job[2].name), vm)


def _make(job: tuple) -> None:
    source, video_job, out_dir = job
    _save(out_dir, video_job, _masklets(source, video_job))


def split_videos(dataset: Dataset, splits: list[str]) -> list[tuple[str, Video]]:
    return [(split, video) for split in splits for video in dataset.videos(split)]


def _empty(video: Video, dataset: Dataset, source: str) -> VideoMasklets:
    h, w = dataset.load_label(video.frames[0]).shape
    return VideoMasklets(video.name, [f.stem for f in video.frames], h, w, source)


def _masklet(vm: VideoMasklets, rle: list) -> Masklet:
    return Masklet(len(vm.masklets), 1.0, rle)


def make_source(spec: dict, *, sam2_records: Path = Path("results/sam2"), device: str = "auto"):
    """The masklet source of a `masks:` entry of params (`source` plus its flags; a `sam2`
    entry names its `model`, whose checkpoint comes from that model's `vss sam2-checkpoint`
    record). Raises MissingCheckpoint when the record says there is no checkpoint."""
    from replication.params import from_flags

    spec = {k: v for k, v in spec.items() if k != "workers"}
    kind = spec.pop("source", None)
    if kind == "oracle":
        return from_flags(Oracle, spec)
    if kind == "superpixel":
        return from_flags(Superpixel, spec)
    if kind == "superpixel-flow":
        return from_flags(SuperpixelFlow, spec)
    if kind == "sam2":
        from replication.masks.sam2_source import MissingCheckpoint, SAM2Source

        model = spec.pop("model", None)
        if model is None:
            raise ValueError("a sam2 masks entry names its `model` (an entry of `sam2:`)")
        record_path = Path(sam2_records) / f"{model}.json"
        if not record_path.is_file():
            raise FileNotFoundError(f"{record_path}: no record of SAM2 model {model}; run "
                                    f"`dvc repro sam2-checkpoint@{model}` first")
        record = json.loads(record_path.read_text())
        if not record["available"]:
            raise MissingCheckpoint(record["reason"], record["fix"])
        return from_flags(SAM2Source, spec, config=record["config"],
                          checkpoint=Path(record["checkpoint"]), device=device)
    raise ValueError(f"masks entry with source {kind!r}: one of oracle, superpixel, "
                     "superpixel-flow, sam2")
