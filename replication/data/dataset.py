"""Base class of the dataset readers and the registry that finds them by name."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

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
    raw_to_train: np.ndarray

    def __init__(self, root: Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"{self.root}: {self.name} dataset folder not found; run `vss fetch {self.name}` "
                "or pass the folder that holds it")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def videos(self, split: str) -> list[Video]:
        raise NotImplementedError

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise ValueError(f"{self.name}: unknown split {split!r}; choose one of {self.splits}")

    def load_label(self, frame: Frame) -> np.ndarray:
        """The frame's ground truth as class ids 0..N-1 and 255 (ignore)."""
        if frame.label is None:
            raise FileNotFoundError(f"{self.name}: frame {frame.stem} has no label file")
        return cv2.LUT(read_label(frame.label), self.raw_to_train)


def dataset_readers() -> dict[str, type[Dataset]]:
    from replication.data.camvid import CamVid
    from replication.data.cityscapes import Cityscapes
    from replication.data.vspw import VSPW

    return {cls.name: cls for cls in (CamVid, VSPW, Cityscapes)}


def get_dataset(name: str, root: Path) -> Dataset:
    """The reader registered under `name`, opened on `root`."""
    readers = dataset_readers()
    if name not in readers:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(readers)}")
    return readers[name](root)
