"""The video dataset contract shared by every stage: videos of ordered frames."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from replication.core.errors import MissingInput

IGNORE = 255
INFERENCE_FILE = "inference.json"  # a prediction folder's record of how fast it was made
CONFIDENCE_DIR = ".confidence"  # in a baseline's prediction folder: its per-pixel confidence


def _split(stem: str, path: Path | str | None) -> tuple[str | None, str | None]:
    """`path` as (its folder, its name after `stem`), both interned; (None, path) if not so
    named; (None, None) for no file."""
    if path is None:
        return None, None
    folder, _, name = str(path).rpartition(os.sep)
    if not name.startswith(stem):
        return None, str(path)
    return sys.intern(folder), sys.intern(name[len(stem):])


class Frame:
    """One frame: its stem and the files of its image and label (None where absent).

    A split's frame list is what every stage holds whole (251k frames in VSPW), so a frame
    keeps its stem and, per file, its folder and the rest of its name as strings shared by
    the video's frames (about 140 bytes a frame against 800 with two Path objects); `image`
    and `label` give Paths.
    """
    __slots__ = ("stem", "_image_dir", "_image_rest", "_label_dir", "_label_rest")

    def __init__(self, stem: str, image: Path | str | None, label: Path | str | None):
        init = super().__setattr__
        init("stem", stem)
        for name, path in (("image", image), ("label", label)):
            folder, rest = _split(stem, path)
            init(f"_{name}_dir", folder)
            init(f"_{name}_rest", rest)

    def __setattr__(self, name, value):
        raise AttributeError("Frame is immutable")

    def _path(self, folder: str | None, rest: str | None) -> Path | None:
        if rest is None:
            return None
        return Path(rest) if folder is None else Path(folder, self.stem + rest)

    @property
    def image(self) -> Path | None:
        return self._path(self._image_dir, self._image_rest)

    @property
    def label(self) -> Path | None:
        return self._path(self._label_dir, self._label_rest)

    def _key(self) -> tuple:
        return self.stem, self.image, self.label

    def __eq__(self, other) -> bool:
        return isinstance(other, Frame) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self):
        return Frame, self._key()

    def __repr__(self) -> str:
        return f"Frame(stem={self.stem!r}, image={self.image!r}, label={self.label!r})"


@dataclass(frozen=True)
class Video:
    name: str
    frames: tuple[Frame, ...]


def prediction_path(pred_dir: Path, video: Video, frame: Frame) -> Path:
    """Where a method's label PNG for `frame` lives: `<pred_dir>/<video>/<stem>.png`."""
    return Path(pred_dir) / video.name / f"{frame.stem}.png"


def confidence_path(pred_dir: Path, video: Video, frame: Frame) -> Path:
    """Where a baseline's confidence for `frame` lives (max softmax probability x 255, uint8
    PNG): `<pred_dir>/.confidence/<video>/<stem>.png`, hidden from readers of the labels."""
    return Path(pred_dir) / CONFIDENCE_DIR / video.name / f"{frame.stem}.png"


def natural_key(text: str) -> tuple:
    """Sort key that orders embedded numbers by value ("f10" after "f9")."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def folder_videos(root: Path, *, suffix: str = ".png") -> list[Video]:
    """Videos of a `<root>/<video>/<stem>.png` folder (label-only frames), naturally sorted."""
    root = Path(root)
    if not root.is_dir():
        raise MissingInput(f"{root}: no such folder (expected <video>/<stem>{suffix} inside)")
    videos = []
    for vdir in sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                       key=lambda p: natural_key(p.name)):
        files = sorted(vdir.glob(f"*{suffix}"), key=lambda p: natural_key(p.stem))
        if files:
            videos.append(Video(vdir.name, tuple(Frame(f.stem, None, f) for f in files)))
    if not videos:
        raise MissingInput(f"{root}: no <video>/<stem>{suffix} files found")
    return videos


def check_predictions_exist(videos: list[Video], pred_dir: Path) -> None:
    if not pred_dir.is_dir():
        raise MissingInput(f"{pred_dir}: prediction folder not found")
    expected = ((f, prediction_path(pred_dir, v, f)) for v in videos for f in v.frames)
    missing = [(frame, path) for frame, path in expected if not path.is_file()]
    if missing:
        frame, path = missing[0]
        raise MissingInput(
            f"{len(missing)} prediction(s) missing, e.g. {path} for ground-truth frame "
            f"{frame.label}; predictions are laid out <pred_dir>/<video>/<stem>.png")
