"""Training frames streamed from disk: the crops of every batch are drawn in the main process
(the seed's random stream, as it needs the frames' sizes), read and augmented in DataLoader
workers, so memory holds a few batches whatever the split's size."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from replication.core.errors import InputError
from replication.data.dataset import Dataset
from replication.data.images import image_size, read_image
from replication.data.video import IGNORE


def enet_weights(counts: np.ndarray) -> np.ndarray:
    """ENet class weights 1 / ln(1.02 + p_c) of class counts, scaled to mean 1."""
    weights = 1.0 / np.log(1.02 + counts / max(counts.sum(), 1))
    return weights / weights.mean()


@dataclass(frozen=True)
class Crop:
    """One training sample: frame `index` rescaled by `scale`, cropped at (y, x), maybe
    flipped."""

    index: int
    scale: float
    y: int
    x: int
    flip: bool


class TrainFrames:
    """The labelled frames of a split (the first `limit`), read from disk when a crop needs one."""

    def __init__(self, dataset: Dataset, split: str, limit: int | None = None):
        self.dataset = dataset
        self.frames = [f for v in dataset.videos(split) for f in v.frames
                       if f.label is not None][:limit]
        if not self.frames:
            raise InputError(f"{dataset.name} {split}: no labelled frame to train on")
        self._sizes: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.frames)

    def size(self, i: int) -> tuple[int, int]:
        """(height, width) of frame i, read from the files' headers once; image and label must
        agree."""
        if i not in self._sizes:
            frame = self.frames[i]
            image, label = image_size(frame.image), image_size(frame.label)
            if image != label:
                raise InputError(f"{frame.image}: image {image} and label {label} "
                                 f"({frame.label}) differ in size")
            self._sizes[i] = image
        return self._sizes[i]

    def class_weights(self, num_classes: int, sample: int, seed: int) -> tuple[list[float], int]:
        """ENet weighting 1 / ln(1.02 + p_c) of the class frequencies (scaled to mean 1), counted
        in one streaming pass over every frame, or over `sample` of them drawn with `seed` when
        there are more; returns the weights and how many frames were counted."""
        indices = range(len(self)) if len(self) <= sample else sorted(
            np.random.default_rng(seed).choice(len(self), size=sample, replace=False))
        counts = np.zeros(num_classes, np.int64)
        for i in indices:
            label = self.dataset.load_label(self.frames[i])
            counts += np.bincount(label[label != IGNORE], minlength=num_classes)[:num_classes]
        return enet_weights(counts).round(4).tolist(), len(indices)

    def draw(self, rng: np.random.Generator, size: int, crop: tuple[int, int],
             scale: tuple[float, float]) -> list[Crop]:
        """A batch of `size` crops, drawn as the seed's stream draws them: the frames first,
        then per frame its scale, crop position and flip."""
        ch, cw = crop
        crops = []
        for i in rng.integers(0, len(self), size=size):
            s = rng.uniform(*scale)
            h, w = self.size(int(i))
            sh, sw = max(max(1, round(h * s)), ch), max(max(1, round(w * s)), cw)
            y = int(rng.integers(0, sh - ch + 1))
            x = int(rng.integers(0, sw - cw + 1))
            crops.append(Crop(int(i), float(s), y, x, bool(rng.random() < 0.5)))
        return crops

    def load(self, c: Crop, crop: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The image and label of a crop: rescaled, padded (labels with ignore) to the crop
        size, cropped, flipped."""
        frame = self.frames[c.index]
        return augment(read_image(frame.image), self.dataset.load_label(frame), c, crop)


def augment(image: np.ndarray, label: np.ndarray, c: Crop,
            crop: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    h, w = label.shape
    size = (max(1, round(w * c.scale)), max(1, round(h * c.scale)))
    image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
    ch, cw = crop
    pad_h, pad_w = max(0, ch - label.shape[0]), max(0, cw - label.shape[1])
    if pad_h or pad_w:
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)))
        label = np.pad(label, ((0, pad_h), (0, pad_w)), constant_values=IGNORE)
    image, label = image[c.y:c.y + ch, c.x:c.x + cw], label[c.y:c.y + ch, c.x:c.x + cw]
    if c.flip:
        image, label = image[:, ::-1], label[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(label)
