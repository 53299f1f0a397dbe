"""Base class of the dataset readers and the registry that finds them by name."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from replication.core.errors import InputError, MissingInput
from replication.data.labels import read_label
from replication.data.video import Frame, Video


class Dataset:
    """A benchmark on disk: its classes, its splits and their videos.

    Subclasses set `name`, `classes`, `splits`, `raw_to_train` (a 256-entry lookup table from the
    raw label value on disk to a class id or 255) and implement `videos(split)`.
    """

    name: str
    classes: tuple[str, ...]
    splits: tuple[str, ...]
    eval_splits: tuple[str, ...]  # labelled splits to predict and score, by default
    raw_to_train: np.ndarray
    temporal = True  # consecutive frames are labelled, so mVC is defined

    def __init__(self, root: Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise MissingInput(f"{self.root}: {self.name} dataset folder not found; "
                                    + self.how_to_get(self.root))

    @classmethod
    def how_to_get(cls, dest: Path) -> str:
        """How a user gets this benchmark into `dest` (the fix of a not-run row)."""
        return f"run `vss fetch {cls.name} --dest {dest}`"

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def videos(self, split: str) -> list[Video]:
        raise NotImplementedError

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise InputError(f"{self.name}: unknown split {split!r}; choose one of {self.splits}")

    def load_label(self, frame: Frame) -> np.ndarray:
        """The frame's ground truth as class ids 0..N-1 and 255 (ignore)."""
        if frame.label is None:
            raise MissingInput(f"{self.name}: frame {frame.stem} has no label file")
        return cv2.LUT(read_label(frame.label), self.raw_to_train)


def split_videos(dataset: Dataset, splits: list[str]) -> list[tuple[str, Video]]:
    """(split, video) of every video of `splits`, in order."""
    return [(split, video) for split in splits for video in dataset.videos(split)]
