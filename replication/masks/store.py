"""Masklet files: one gzipped JSON per video (`<root>/<split>/<video>.json.gz`), SA-V style,
written atomically.

    {"video": "0016E5", "frames": [stems...], "height": 360, "width": 480, "source": "oracle",
     "settings": {"window": 32},  # the source's settings (a re-run with others redoes the file)
     "masklets": [{"id": 0, "score": 1.0, "rle": [COCO RLE or null, one per frame]}, ...]}

The seconds the source took for the video are kept beside it (`<video>.timing.json`), so that
the same masklets always give the same bytes wherever they were made. RLEs are pycocotools'
compressed RLE with `counts` as a string; each frame's are parsed into
runs (replication.masks.runs) once, which also checks them (pycocotools decodes a corrupt
string into garbage without a word).
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from replication.core.atomic import atomic_path, write_json
from replication.core.errors import InputError, MissingInput
from replication.masks.runs import FrameRuns, parse

UNTIMED = ("oracle", "degraded")  # sources made from the ground truth: their time is no cost


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
    _runs: dict = field(default_factory=dict, repr=False, compare=False)  # frame -> FrameRuns

    @property
    def timed_seconds(self) -> float | None:
        """The source's time for this video, None when untimed or made from the ground truth
        (UNTIMED: not a method's cost)."""
        return None if self.source in UNTIMED else self.seconds

    def present(self, t: int) -> list[int]:
        """Indices (into `masklets`) of the masklets present at frame `t` (indexed when the file
        is read; re-indexed when masklets were appended since)."""
        if self._index is None or self._index[0] != len(self.masklets):
            by_frame = [[] for _ in self.frames]
            for i, m in enumerate(self.masklets):
                for u, rle in enumerate(m.rle):
                    if rle is not None:
                        by_frame[u].append(i)
            self._index = (len(self.masklets), by_frame)
        return self._index[1][t]

    def runs(self, t: int) -> FrameRuns:
        """The foreground runs of the masklets present at frame `t` (in `present(t)` order),
        parsed once and checked; a corrupt RLE raises ValueError naming the file, the masklet
        and the frame."""
        if t not in self._runs:
            present = self.present(t)
            rles = [self.masklets[i].rle[t] for i in present]
            runs = next((k for k, r in enumerate(rles) if not isinstance(r, dict) or
                         not isinstance(r.get("counts"), str) or
                         list(r.get("size", ())) != [self.height, self.width]), None)
            if runs is None:
                runs = parse([r["counts"] for r in rles], self.height, self.width)
            if isinstance(runs, int):
                raise InputError(f"{self.path or self.video}: masklet "
                                 f"{self.masklets[present[runs]].id} at frame {self.frames[t]}: "
                                 "corrupt RLE (not a COCO RLE of the file's frame size); delete "
                                 "the file and re-run the masks stage")
            self._runs[t] = runs
        return self._runs[t]

    def at_frame(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices (into `masklets`) present at frame `t` and their decoded masks (n, H, W)."""
        present = self.present(t)
        if not present:
            return np.zeros(0, np.intp), np.zeros((0, self.height, self.width), bool)
        self.runs(t)  # checked before pycocotools decodes them
        masks = mask_utils.decode([self.masklets[i].rle[t] for i in present])
        return np.array(present, np.intp), np.moveaxis(masks, 2, 0).astype(bool)


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
    """Write the masklet file (the same masklets give the same bytes: no time or name in the
    gzip header) and, when the source was timed, its seconds beside it (`<video>.timing.json`)."""
    doc = {"video": vm.video, "frames": vm.frames, "height": vm.height, "width": vm.width,
           "source": vm.source, "settings": vm.settings,
           "masklets": [{"id": m.id, "score": m.score, "rle": m.rle} for m in vm.masklets]}
    if vm.seconds is not None:
        write_json(timing_path(path), {"seconds": vm.seconds})
    with atomic_path(path) as tmp, open(tmp, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(json.dumps(doc).encode())


def timing_path(path: Path) -> Path:
    """Where the seconds a source took for a video are kept, beside its masklet file."""
    return Path(path).with_name(Path(path).name.replace(".json.gz", ".timing.json"))


def _seconds(path: Path, doc: dict) -> float | None:
    """The source's time for the video: its timing file, or (older files) the document."""
    timing = timing_path(path)
    return json.loads(timing.read_text())["seconds"] if timing.is_file() else doc.get("seconds")


def load_for_video(root: Path, split: str, video) -> VideoMasklets:
    """The masklets of a dataset video, checked to cover exactly its frames."""
    path = masklet_path(root, split, video.name)
    vm = load(path)
    if vm.frames != [f.stem for f in video.frames]:
        raise InputError(f"{path}: frames differ from video {video.name} ({split}); re-run the "
                         "masks stage")
    return vm


def load(path: Path) -> VideoMasklets:
    """Read a masklet file; a missing, truncated or malformed file is named in the error."""
    path = Path(path)
    if not path.is_file():
        raise MissingInput(f"{path}: masklet file not found; run the masks stage "
                                "(`vss masks`) for this video")
    try:
        with gzip.open(path, "rt") as fh:
            doc = json.load(fh)
        vm = VideoMasklets(doc["video"], doc["frames"], doc["height"], doc["width"],
                           doc["source"], [Masklet(m["id"], m["score"], m["rle"])
                                           for m in doc["masklets"]], _seconds(path, doc),
                           doc.get("settings"), path)
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a readable masklet file ({exc}); delete it and re-run "
                         "the masks stage") from exc
    if any(len(m.rle) != len(vm.frames) for m in vm.masklets):
        raise InputError(f"{path}: a masklet's RLE list does not match the {len(vm.frames)} "
                         "frames of the video")
    if vm.frames:
        vm.present(0)  # index the masklets by frame now, once
    return vm
