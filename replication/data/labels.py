"""Reading and writing uint8 label PNGs (255 = ignore)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from replication.core.atomic import atomic_path
from replication.core.errors import InputError


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
        raise LabelError(f"{path}: unreadable image ({exc}); re-create or re-fetch this file") from exc


def write_label(path: Path, label: np.ndarray) -> None:
    """Write a uint8 label PNG atomically (a temporary file renamed into place)."""
    if label.dtype != np.uint8 or label.ndim != 2:
        raise LabelError(f"{path}: labels must be a 2-D uint8 array, got {label.dtype} {label.shape}")
    with atomic_path(path) as tmp:
        Image.fromarray(label).save(tmp, format="PNG")
