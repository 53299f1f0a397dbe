"""Reference "methods" made from the ground truth, to exercise the pipeline end to end.

`gt` is the ground truth itself (every metric is 1). `gt-degraded` mimics a plausible network:
each frame's labels are downsampled by `downscale` and upsampled back with nearest neighbours
(coarse boundaries, lost thin objects), then shifted by a random offset of up to `jitter` pixels
per frame (temporal flicker). Neither is a model; both only check the wiring and the metrics.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from replication.core.atomic import staged_dir
from replication.core.records import write_record
from replication.core.settings import Settings, setting
from replication.data.dataset import Dataset
from replication.data.labels import write_label
from replication.data.video import prediction_path


def degrade(label: np.ndarray, downscale: int, jitter: int, rng: np.random.Generator) -> np.ndarray:
    h, w = label.shape
    out = label
    if downscale > 1:
        small = cv2.resize(out, (max(1, w // downscale), max(1, h // downscale)),
                           interpolation=cv2.INTER_NEAREST)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    if jitter > 0:
        dx, dy = rng.integers(-jitter, jitter + 1, size=2)
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        out = cv2.warpAffine(out, shift, (w, h), flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_REPLICATE)
    return out


@dataclass
class DegradeSettings(Settings):
    """A `reference_methods:` entry: how the ground truth is degraded (1 and 0: not at all)."""

    downscale: int = setting(1, "downsample by this factor and upsample back (nearest)", min=1)
    jitter: int = setting(0, "shift each frame by up to this many pixels", min=0)
    seed: int = setting(0, "seed of the shifts")


def write_reference_predictions(dataset: Dataset, splits: list[str], out_dir: Path,
                                settings: DegradeSettings = DegradeSettings()) -> int:
    """Write `<out_dir>/<video>/<stem>.png` for every labelled frame of `splits` (the frames a
    reference can be made of, and the ones scored); returns the frame count."""
    downscale, jitter = settings.downscale, settings.jitter
    rng = np.random.default_rng(settings.seed)
    frames = [(v, f) for split in splits for v in dataset.videos(split) for f in v.frames
              if f.label is not None]
    with staged_dir(out_dir, inputs=[dataset.root]) as staging:
        for video, frame in tqdm(frames, desc=f"write {Path(out_dir).name}", unit="frame"):
            label = degrade(dataset.load_label(frame), downscale, jitter, rng)
            write_label(prediction_path(staging, video, frame), label)
        write_record(staging, "reference", dataset=dataset.name, splits=list(splits),
                     downscale=downscale, jitter=jitter, seed=settings.seed)
    return len(frames)
