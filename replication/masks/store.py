"""Masklet files: one gzipped JSON per video (`<root>/<split>/<video>.json.gz`), SA-V style, written atomically.

    {"video": "0016E5", "frames": [stems...], "height": 360, "width": 480, "source": "oracle",
     "settings": {"window": 32},  # the source's settings (a re-run with others redoes the file)
     "seconds": 1.9,  # time the source took for this video (absent in files from elsewhere)
     "masklets": [{"id": 0, "score": 1.0, "rle": [COCO RLE or null, one per frame]}, ...]}

RLEs are pycocotools' compressed RLE with `counts` as a string; each is checked before it is
decoded (pycocotools decodes a corrupt string into garbage without a word).
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
    seconds: float | None = None
    settings: dict | None = None  # the source's settings, None in files from elsewhere
    path: Path | None = field(default=None, compare=False)  # the file it was read from
    _index: tuple | None = field(default=None, repr=False, compare=False)  # (n masklets, by frame)

    @property
    def timed_seconds(self) -> float | None:
        """The source's time for this video, None when untimed or made from the ground truth
        (oracle: not a method's cost)."""
        return None if self.source == "oracle" else self.seconds

    def present(self, t: int) -> list[int]:
        """Indices (into `masklets`) of the masklets present at frame `t` (indexed on first use,
        re-indexed when masklets were appended since)."""
        if self._index is None or self._index[0] != len(self.masklets):
            by_frame = [[] for _ in self.frames]
            for i, m in enumerate(self.masklets):
                for u, rle in enumerate(m.rle):
                    if rle is not None:
                        by_frame[u].append(i)
            self._index = (len(self.masklets), by_frame)
        return self._index[1][t]

    def rles(self, t: int) -> list[dict]:
        """The checked RLEs of the masklets present at frame `t` (in `present(t)` order); a
        corrupt one raises ValueError naming the file, the masklet and the frame."""
        rles = [self.masklets[i].rle[t] for i in self.present(t)]
        for i, rle in zip(self.present(t), rles):
            problem = rle_problem(rle, self.height, self.width)
            if problem:
                raise ValueError(f"{self.path or self.video}: masklet {self.masklets[i].id} at "
                                 f"frame {self.frames[t]}: corrupt RLE ({problem}); delete the "
                                 "file and re-run the masks stage")
        return rles

    def at_frame(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices (into `masklets`) present at frame `t` and their masks (n, H, W) bool."""
        present = self.present(t)
        if not present:
            return np.zeros(0, np.intp), np.zeros((0, self.height, self.width), bool)
        masks = mask_utils.decode(self.rles(t))
        return np.array(present, np.intp), np.moveaxis(masks, 2, 0).astype(bool)


def rle_problem(rle, height: int, width: int) -> str | None:
    """What is wrong with a COCO compressed RLE of a height x width mask, None if nothing. Its
    runs are parsed as pycocotools' rleFrString does (5 bits per character, continuation and sign
    bits, every run after the second stored as a difference to the run two before) and must
    cover the mask exactly."""
    if not isinstance(rle, dict) or not isinstance(rle.get("counts"), str):
        return "not an RLE with a `counts` string"
    if list(rle.get("size", ())) != [height, width]:
        return f"size {rle.get('size')} is not the file's {height}x{width}"
    chars = np.frombuffer(rle["counts"].encode("latin-1"), np.uint8).astype(np.int64) - 48
    if not chars.size or chars.min() < 0 or chars.max() > 63 or chars[-1] & 0x20:
        return "characters outside the RLE alphabet, or a truncated run"
    ends = np.flatnonzero((chars & 0x20) == 0)
    starts = np.r_[0, ends[:-1] + 1]
    position = np.arange(chars.size) - np.repeat(starts, ends - starts + 1)
    runs = np.add.reduceat((chars & 0x1F) << (5 * position), starts)
    negative = (chars[ends] & 0x10) != 0
    runs[negative] -= 1 << (5 * (ends - starts + 1))[negative]
    runs[3::2] = np.cumsum(runs[1::2])[1:]
    runs[4::2] = np.cumsum(runs[2::2])[1:]
    if runs.min() < 0 or runs.sum() != height * width:
        return f"its runs cover {runs.sum()} pixels, not {height * width}"
    return None


def encode(masks: np.ndarray) -> list[dict]:
    """COCO RLEs (counts as str) of a boolean stack (n, H, W)."""
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(np.moveaxis(masks, 0, 2).astype(np.uint8)))
    return [{"size": r["size"], "counts": r["counts"].decode("ascii")} for r in rles]


def masklet_path(root: Path, split: str, video: str) -> Path:
    """`<root>/<split>/<video>.json.gz`: a dataset's splits may hold different frames of
    videos of the same name (CamVid's 0016E5 is in train, val and test)."""
    return Path(root) / split / f"{video}.json.gz"


def save(path: Path, vm: VideoMasklets) -> None:
    doc = {"video": vm.video, "frames": vm.frames, "height": vm.height, "width": vm.width,
           "source": vm.source, "settings": vm.settings, "seconds": vm.seconds,
           "masklets": [{"id": m.id, "score": m.score, "rle": m.rle} for m in vm.masklets]}
    with atomic_path(path) as tmp:
        with gzip.open(tmp, "wt") as fh:
            json.dump(doc, fh)


def load_for_video(root: Path, split: str, video) -> VideoMasklets:
    """The masklets of a dataset video, checked to cover exactly its frames."""
    path = masklet_path(root, split, video.name)
    vm = load(path)
    if vm.frames != [f.stem for f in video.frames]:
        raise ValueError(f"{path}: frames differ from video {video.name} ({split}); re-run the "
                         "masks stage")
    return vm


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
                                           for m in doc["masklets"]], doc.get("seconds"),
                           doc.get("settings"), path)
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable masklet file ({exc}); delete it and re-run "
                         "the masks stage") from exc
    if any(len(m.rle) != len(vm.frames) for m in vm.masklets):
        raise ValueError(f"{path}: a masklet's RLE list does not match the {len(vm.frames)} "
                         "frames of the video")
    return vm
