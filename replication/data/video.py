"""The video dataset contract shared by every stage: videos of ordered frames."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from replication.core.errors import MissingInput

IGNORE = 255
INFERENCE_FILE = "inference.json"  # a prediction folder's record of how fast it was made


@dataclass(frozen=True)
class Frame:
    stem: str
    image: Path | None
    label: Path | None


@dataclass(frozen=True)
class Video:
    name: str
    frames: tuple[Frame, ...]


def prediction_path(pred_dir: Path, video: Video, frame: Frame) -> Path:
    """Where a method's label PNG for `frame` lives: `<pred_dir>/<video>/<stem>.png`."""
    return Path(pred_dir) / video.name / f"{frame.stem}.png"


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
