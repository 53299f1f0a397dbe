"""Masklet files: one gzipped JSON per video, SA-V style, written atomically.

    {"video": "0016E5", "frames": [stems...], "height": 360, "width": 480, "source": "oracle",
     "masklets": [{"id": 0, "score": 1.0, "rle": [COCO RLE or null, one per frame]}, ...]}

RLEs are pycocotools' compressed RLE with `counts` as a string.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from replication.atomic import atomic_path


@dataclass
class Masklet:
    id: int
    score: float
    rle: list[dict | None]  # one entry per frame of the video; None where the masklet is absent


@dataclass
class VideoMasklets:
    video: str
    frames: list[str]
    height: int
    width: int
    source: str
    masklets: list[Masklet] = field(default_factory=list)

    def at_frame(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices (into `masklets`) present at frame `t` and their masks (n, H, W) bool."""
        present = [i for i, m in enumerate(self.masklets) if m.rle[t] is not None]
        if not present:
            return np.zeros(0, np.intp), np.zeros((0, self.height, self.width), bool)
        masks = mask_utils.decode([self.masklets[i].rle[t] for i in present])
        return np.array(present, np.intp), np.moveaxis(masks, 2, 0).astype(bool)


def encode(masks: np.ndarray) -> list[dict]:
    """COCO RLEs (counts as str) of a boolean stack (n, H, W)."""
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(np.moveaxis(masks, 0, 2).astype(np.uint8)))
    return [{"size": r["size"], "counts": r["counts"].decode("ascii")} for r in rles]


def masklet_path(root: Path, video: str) -> Path:
    return Path(root) / f"{video}.json.gz"


def save(path: Path, vm: VideoMasklets) -> None:
    doc = {"video": vm.video, "frames": vm.frames, "height": vm.height, "width": vm.width,
           "source": vm.source,
           "masklets": [{"id": m.id, "score": m.score, "rle": m.rle} for m in vm.masklets]}
    with atomic_path(path) as tmp:
        with gzip.open(tmp, "wt") as fh:
            json.dump(doc, fh)


def load(path: Path) -> VideoMasklets:
    """Read a masklet file; a missing, truncated or malformed file is named in the error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: masklet file not found; run the masks stage "
                                "(`vss masks`) for this video")
    try:
        with gzip.open(path, "rt") as fh:
            doc = json.load(fh)
        vm = VideoMasklets(doc["video"], doc["frames"], doc["height"], doc["width"],
                           doc["source"], [Masklet(m["id"], m["score"], m["rle"])
                                           for m in doc["masklets"]])
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable masklet file ({exc}); delete it and re-run "
                         "the masks stage") from exc
    if any(len(m.rle) != len(vm.frames) for m in vm.masklets):
        raise ValueError(f"{path}: a masklet's RLE list does not match the {len(vm.frames)} "
                         "frames of the video")
    return vm
