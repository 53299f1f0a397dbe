"""Bring-your-own predictions: copy another project's outputs into our prediction layout."""
from __future__ import annotations

import shutil
from pathlib import Path

from tqdm import tqdm

from replication.core.atomic import staged_dir
from replication.core.records import write_record
from replication.data.dataset import Dataset
from replication.data.video import INFERENCE_FILE, check_predictions_exist, prediction_path


def import_predictions(src: Path, dataset: Dataset, splits: list[str], out_dir: Path) -> int:
    """Copy `<src>/<video>/<stem>.png` of every frame of `splits` into `out_dir`.

    Stops before copying anything if a frame lacks its prediction. An `inference.json` (FPS and
    device of the external method, as our predict stage writes) is copied along when present.
    """
    videos = [v for s in splits for v in dataset.videos(s)]
    check_predictions_exist(videos, Path(src))
    with staged_dir(out_dir) as staging:
        pairs = [(prediction_path(src, v, f), prediction_path(staging, v, f))
                 for v in videos for f in v.frames]
        for source, target in tqdm(pairs, desc=f"import {Path(out_dir).name}", unit="frame"):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        if (Path(src) / INFERENCE_FILE).is_file():
            shutil.copyfile(Path(src) / INFERENCE_FILE, staging / INFERENCE_FILE)
        write_record(staging, "external", dataset=dataset.name, splits=list(splits), src=src)
    return len(pairs)
