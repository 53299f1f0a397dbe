"""Reading video frames."""
from __future__ import annotations

import numpy as np
from PIL import Image

from replication.core.errors import InputError


def read_image(path) -> np.ndarray:
    """An RGB uint8 frame (a writable array); a clear error names an unreadable file."""
    try:
        with Image.open(path) as im:
            return np.array(im.convert("RGB"))
    except (OSError, SyntaxError) as exc:
        raise InputError(f"{path}: unreadable image ({exc})") from exc


def image_size(path) -> tuple[int, int]:
    """(height, width) of an image file, read from its header."""
    try:
        with Image.open(path) as im:
            return im.height, im.width
    except (OSError, SyntaxError) as exc:
        raise InputError(f"{path}: unreadable image ({exc})") from exc
