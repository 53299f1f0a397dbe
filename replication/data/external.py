"""Bring-your-own predictions: copy another project's outputs into our prediction layout."""
from __future__ import annotations

import shutil
from pathlib import Path

from tqdm import tqdm

from replication.core.atomic import check_not_input, staged_dir
from replication.core.records import write_record
from replication.data.dataset import Dataset
from replication.data.images import image_size
from replication.data.labels import check_label_file
from replication.data.video import INFERENCE_FILE, check_predictions_exist, prediction_path


def import_predictions(src: Path, dataset: Dataset, splits: list[str], out_dir: Path) -> int:
    """Copy `<src>/<video>/<stem>.png` of every frame of `splits` into `out_dir`.

    Stops before copying anything if a frame lacks its prediction or a prediction is not what
    evaluation takes (a single-channel 8-bit PNG at ground-truth size, of class ids or 255). An
    `inference.json` (FPS and device of the external method, as our predict stage writes) is
    copied along when present.
    """
    videos = [v for s in splits for v in dataset.videos(s)]
    check_predictions_exist(videos, Path(src))
    check_not_input([out_dir], [src, dataset.root])
    for video in tqdm(videos, desc=f"check {Path(src).name}", unit="video"):
        for frame in video.frames:  # every file, as evaluation reads it, before any is copied
            shape = image_size(frame.label if frame.label is not None else frame.image)
            check_label_file(prediction_path(src, video, frame), shape, dataset.num_classes)
    with staged_dir(out_dir, inputs=[src, dataset.root]) as staging:
        pairs = [(prediction_path(src, v, f), prediction_path(staging, v, f))
                 for v in videos for f in v.frames]
        for source, target in tqdm(pairs, desc=f"import {Path(out_dir).name}", unit="frame"):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        if (Path(src) / INFERENCE_FILE).is_file():
            shutil.copyfile(Path(src) / INFERENCE_FILE, staging / INFERENCE_FILE)
        write_record(staging, "external", dataset=dataset.name, splits=list(splits), src=src)
    return len(pairs)
