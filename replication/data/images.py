"""Reading video frames."""
from __future__ import annotations

import numpy as np
from PIL import Image


def read_image(path) -> np.ndarray:
    """An RGB uint8 frame (a writable array); a clear error names an unreadable file."""
    try:
        with Image.open(path) as im:
            return np.array(im.convert("RGB"))
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"{path}: unreadable image ({exc})") from exc
