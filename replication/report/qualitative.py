"""Qualitative panels of fixed frames: the frame, its ground truth, each method's labels and the
masklets, as colour overlays on the frame (ignore pixels show the frame itself)."""
from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np

from replication.core.errors import InputError
from replication.data.dataset import Dataset, split_videos
from replication.data.images import read_image
from replication.data.labels import read_label
from replication.data.video import IGNORE, prediction_path
from replication.masks.runs import paint
from replication.masks.store import load_for_video


def palette(n: int) -> np.ndarray:
    """n distinguishable RGB colours (evenly spaced hues), uint8 (n, 3)."""
    return np.array([[round(255 * c) for c in colorsys.hsv_to_rgb(i / n, 0.75, 0.95)]
                     for i in range(n)], np.uint8)


def overlay(image: np.ndarray, label: np.ndarray, colours: np.ndarray,
            alpha: float = 0.6) -> np.ndarray:
    """`label` (ids, 255 = none) coloured over `image`."""
    out = image.astype(np.float32)
    shown = label != IGNORE
    out[shown] = (1 - alpha) * out[shown] + alpha * colours[label[shown] % len(colours)]
    return out.astype(np.uint8)


def masklet_image(vm, t: int, modulo: int = 255) -> np.ndarray:
    """Masklet ids (mod `modulo`, at most 255) of frame t painted smallest over largest (255
    where none)."""
    ids = np.array(vm.present(t), np.int64)
    return paint(vm.runs(t), ids % min(modulo, 255),
                 np.full((vm.height, vm.width), IGNORE, np.uint8))


def pick_frames(dataset: Dataset, splits: list[str], wanted: list[str],
                count: int = 3) -> list[str]:
    """The labelled frames of `wanted` that the splits hold; when none of them is there (or
    none is named: another benchmark's names), the first labelled frame of each of the first
    `count` videos."""
    labelled = [[f.stem for f in video.frames if f.label is not None]
                for _, video in split_videos(dataset, splits)]
    present = {stem for stems in labelled for stem in stems}
    found = [stem for stem in wanted if stem in present]
    return found or [stems[0] for stems in labelled if stems][:count]


def panels(dataset: Dataset, splits: list[str], stems: list[str], methods: dict[str, Path],
           masks_dir: Path | None) -> list[tuple[str, list[tuple[str, np.ndarray]]]]:
    """Rows of (title, image) panels for the frames named `stems` (in `splits`)."""
    colours, masklet_colours = palette(dataset.num_classes), palette(37)
    found = {f.stem: (split, video, t) for split, video in split_videos(dataset, splits)
             for t, f in enumerate(video.frames)}
    missing = [s for s in stems if s not in found]
    if missing:
        raise InputError(f"frames {missing} are not in {dataset.name} {splits}; pick frames "
                         "of the evaluated splits")
    rows = []
    for stem in stems:
        split, video, t = found[stem]
        frame = video.frames[t]
        image = read_image(frame.image)
        row = [("frame", image), ("ground truth", overlay(image, dataset.load_label(frame),
                                                          colours))]
        for name, pred_dir in methods.items():
            label = read_label(prediction_path(pred_dir, video, frame))
            row.append((name, overlay(image, label, colours)))
        if masks_dir is not None:
            vm = load_for_video(masks_dir, split, video)
            row.append((f"masklets ({Path(masks_dir).name})",
                        overlay(image, masklet_image(vm, t), masklet_colours, 0.7)))
        rows.append((stem, row))
    return rows
