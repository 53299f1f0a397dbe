"""Training frames in memory and their augmentation (random rescale, crop, flip)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from tqdm import tqdm

from replication.core.errors import InputError
from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.video import IGNORE


def enet_weights(counts: np.ndarray) -> np.ndarray:
    """ENet class weights 1 / ln(1.02 + p_c) of class counts, scaled to mean 1."""
    weights = 1.0 / np.log(1.02 + counts / max(counts.sum(), 1))
    return weights / weights.mean()


@dataclass
class TrainFrames:
    images: list[np.ndarray]
    labels: list[np.ndarray]

    @classmethod
    def load(cls, dataset: Dataset, split: str, limit: int | None = None) -> "TrainFrames":
        frames = [f for v in dataset.videos(split) for f in v.frames][:limit]
        images, labels = [], []
        for frame in tqdm(frames, desc=f"load {dataset.name} {split}", unit="frame"):
            image, label = read_image(frame.image), dataset.load_label(frame)
            if image.shape[:2] != label.shape:
                raise InputError(f"{frame.image}: image {image.shape[:2]} and label "
                                 f"{label.shape} ({frame.label}) differ in size")
            images.append(image)
            labels.append(label)
        return cls(images, labels)

    def class_weights(self, num_classes: int) -> list[float]:
        """ENet weighting 1 / ln(1.02 + p_c) of the class frequencies, scaled to mean 1."""
        counts = sum(np.bincount(l[l != IGNORE], minlength=num_classes) for l in self.labels)
        return enet_weights(counts).round(4).tolist()

    def batch(self, rng: np.random.Generator, size: int, crop: tuple[int, int],
              scale: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """`size` random crops: images (N, H, W, 3) uint8 and labels (N, H, W) uint8."""
        images, labels = [], []
        for i in rng.integers(0, len(self.images), size=size):
            image, label = augment(self.images[i], self.labels[i], rng, crop, scale)
            images.append(image)
            labels.append(label)
        return np.stack(images), np.stack(labels)


def augment(image, label, rng, crop, scale):
    s = rng.uniform(*scale)
    h, w = label.shape
    size = (max(1, round(w * s)), max(1, round(h * s)))
    image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
    ch, cw = crop
    pad_h, pad_w = max(0, ch - label.shape[0]), max(0, cw - label.shape[1])
    if pad_h or pad_w:
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)))
        label = np.pad(label, ((0, pad_h), (0, pad_w)), constant_values=IGNORE)
    y = rng.integers(0, label.shape[0] - ch + 1)
    x = rng.integers(0, label.shape[1] - cw + 1)
    image, label = image[y : y + ch, x : x + cw], label[y : y + ch, x : x + cw]
    if rng.random() < 0.5:
        image, label = image[:, ::-1], label[:, ::-1]
    return image, label
