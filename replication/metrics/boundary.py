"""Boundary bands of label maps, as in Boundary IoU (Cheng et al. 2021, boundary-iou-api)."""
from __future__ import annotations

import cv2
import numpy as np


def boundary_width(height: int, width: int, ratio: float = 0.02) -> int:
    """d = max(1, round(ratio * image diagonal)), the band width in pixels."""
    return max(1, int(round(ratio * float(np.sqrt(height**2 + width**2)))))


def boundary_band(label: np.ndarray, d: int) -> np.ndarray:
    """Boolean map of pixels lying in the boundary band of their own class region.

    For every class c, `band[label == c]` equals boundary-iou-api's `mask_to_boundary(label == c)`:
    the mask minus its erosion by a 3x3 square d times after zero-padding by 1 px. Eroding d times
    by 3x3 is one erosion by a (2d+1)^2 square, and a pixel survives the erosion of its own class
    mask iff its whole window lies inside the image and holds one value, i.e. the window's min
    equals its max. So one min and one max filter give the bands of all classes at once.
    """
    kernel = np.ones((2 * d + 1, 2 * d + 1), np.uint8)
    lo = cv2.erode(label, kernel, borderType=cv2.BORDER_REPLICATE)
    hi = cv2.dilate(label, kernel, borderType=cv2.BORDER_REPLICATE)
    band = lo != hi
    band[:d] = True
    band[-d:] = True
    band[:, :d] = True
    band[:, -d:] = True
    return band
