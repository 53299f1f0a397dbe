"""Reading and writing uint8 label PNGs (255 = ignore)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from replication.core.atomic import atomic_path
from replication.core.errors import InputError

IGNORE = 255


class LabelError(InputError):
    """A label file that cannot be used: unreadable, wrong mode, wrong size or values."""


def read_label(path: Path) -> np.ndarray:
    """Read a single-channel label PNG ('L' or palette 'P' mode) as a uint8 array."""
    try:
        with Image.open(path) as im:
            if im.mode not in ("L", "P"):
                raise LabelError(f"{path}: not a label image (mode {im.mode}); expected a "
                                 "single-channel 8-bit PNG of class ids")
            return np.asarray(im)
    except FileNotFoundError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise LabelError(f"{path}: unreadable image ({exc}); re-create or re-fetch this "
                         "file") from exc


def check_values(label: np.ndarray, num_classes: int, path: Path) -> np.ndarray:
    """`label` if its values are class ids 0..num_classes-1 or 255 (ignore), else LabelError
    naming the file and the values."""
    bad = (label >= num_classes) & (label != IGNORE)
    if bad.any():
        values = np.unique(label[bad])[:10].tolist()
        raise LabelError(f"{path}: label values {values} outside 0..{num_classes - 1} and not "
                         f"{IGNORE} (ignore); wrong --num-classes or an unmapped label file?")
    return label


def check_label_file(path: Path, shape: tuple[int, int], num_classes: int) -> None:
    """A prediction file as evaluation takes it: a single-channel 8-bit PNG of `shape` whose
    values are class ids or 255; else LabelError naming the file."""
    label = read_label(path)
    if label.shape != tuple(shape):
        raise LabelError(f"{path}: {label.shape[0]}x{label.shape[1]}, but its ground truth is "
                         f"{shape[0]}x{shape[1]}; predictions are at ground-truth size")
    check_values(label, num_classes, path)


def write_label(path: Path, label: np.ndarray) -> None:
    """Write a uint8 label PNG atomically (a temporary file renamed into place)."""
    if label.dtype != np.uint8 or label.ndim != 2:
        raise LabelError(f"{path}: labels must be a 2-D uint8 array, got {label.dtype} "
                         f"{label.shape}")
    with atomic_path(path) as tmp:
        Image.fromarray(label).save(tmp, format="PNG")
