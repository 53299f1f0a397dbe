"""Cityscapes: 19 train-id classes; video snippets of 30 frames, of which gtFine labels one.

Layout (the official archives `leftImg8bit_sequence_trainvaltest.zip` and
`gtFine_trainvaltest.zip`, unpacked into one root):
`<root>/leftImg8bit_sequence/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png` (every frame of
each 30-frame snippet) and `<root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png`
(the 20th frame of each snippet; label ids mapped to train ids here, or
`..._labelTrainIds.png` from cityscapesscripts when that is what is there). Without the sequence
folder, `leftImg8bit/<split>/` (the labelled frames alone) is read. A video is one snippet: the
30 frames f-19 .. f+10 around a labelled frame f (`<city>_<seq>_<f>`), also when a sequence
holds several labelled frames (in val, frankfurt_000000 has snippets around 294, 576, 1016,
...); in the test split, without labels, a video is a run of consecutive frames. Masklets are
made and tracked over all the frames of a snippet, metrics are scored on its labelled one. mVC
is not defined here (it needs labels on consecutive frames).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from replication.core.errors import MissingInput
from replication.data.dataset import Dataset
from replication.data.labels import read_label
from replication.data.video import IGNORE, Frame, Video, natural_key

CLASSES = ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
           "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck",
           "bus", "train", "motorcycle", "bicycle")
# label id -> train id (cityscapesscripts' labels.py); every other id is ignored
ID_TO_TRAIN = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
               24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
IMAGE_SUFFIX, LABEL_SUFFIX = "_leftImg8bit.png", "_gtFine_labelIds.png"
TRAIN_ID_SUFFIX = "_gtFine_labelTrainIds.png"
BEFORE, AFTER = 19, 10  # a snippet: the labelled frame is its 20th of 30


class Cityscapes(Dataset):
    name = "cityscapes"
    classes = CLASSES
    splits = ("train", "val", "test")
    eval_splits = ("val",)
    temporal = False
    raw_to_train = np.full(256, IGNORE, np.uint8)
    raw_to_train[list(ID_TO_TRAIN)] = list(ID_TO_TRAIN.values())

    @classmethod
    def how_to_get(cls, dest: Path) -> str:
        return ("Cityscapes needs registration: download leftImg8bit_sequence_trainvaltest.zip "
                "and gtFine_trainvaltest.zip from https://www.cityscapes-dataset.com/, then "
                f"`vss fetch cityscapes --from <the two zips or their folder> --dest {dest}` "
                "(or set `source` of cityscapes under `benchmarks:` in params.yaml and run "
                "`dvc repro`)")

    def image_dir(self, split: str) -> Path:
        sequence = self.root / "leftImg8bit_sequence" / split
        return sequence if sequence.is_dir() else self.root / "leftImg8bit" / split

    def videos(self, split: str) -> list[Video]:
        self.check_split(split)
        image_dir = self.image_dir(split)
        if not image_dir.is_dir():
            raise MissingInput(f"{image_dir}: missing; a Cityscapes root holds "
                               "leftImg8bit_sequence/<split>/<city>/ (or leftImg8bit/) and "
                               "gtFine/<split>/<city>/")
        sequences: dict[str, dict[int, Frame]] = defaultdict(dict)
        for image in image_dir.glob(f"*/*{IMAGE_SUFFIX}"):
            stem = image.name[: -len(IMAGE_SUFFIX)]
            city, seq, number = stem.rsplit("_", 2)
            gt = self.root / "gtFine" / split / image.parent.name / f"{stem}{LABEL_SUFFIX}"
            labelled = split != "test" and (gt.is_file() or _train_ids(gt).is_file())
            sequences[f"{city}_{seq}"][int(number)] = Frame(stem, image, gt if labelled else None)
        if not sequences:
            raise MissingInput(f"{image_dir}: no *{IMAGE_SUFFIX} frames")
        videos = []
        for name, frames in sorted(sequences.items()):
            videos += _snippets(name, frames)
        if split != "test" and not any(f.label for v in videos for f in v.frames):
            raise MissingInput(f"{self.root / 'gtFine' / split}: no gtFine label for any "
                               f"snippet of {split}; unpack gtFine_trainvaltest.zip into the "
                               "same root")
        unlabelled = [v.name for v in videos if all(f.label is None for f in v.frames)]
        if split != "test" and unlabelled:
            raise MissingInput(f"{self.root / 'gtFine' / split}: no gtFine label for snippet "
                               f"{unlabelled[0]} ({len(unlabelled)} snippets without one); "
                               "unpack gtFine_trainvaltest.zip into the same root")
        return videos

    def load_label(self, frame: Frame) -> np.ndarray:
        if frame.label is not None and not frame.label.is_file():
            return read_label(_train_ids(frame.label))
        return super().load_label(frame)


def _train_ids(label_ids_path: Path) -> Path:
    return label_ids_path.with_name(label_ids_path.name.replace(LABEL_SUFFIX, TRAIN_ID_SUFFIX))


def _snippets(sequence: str, frames: dict[int, Frame]) -> list[Video]:
    """The snippets of one sequence: f-19 .. f+10 around each labelled frame f (named
    `<sequence>_<f>`); frames no snippet takes, and every frame of an unlabelled sequence, go
    by runs of consecutive frame numbers (named after their first frame)."""
    labelled = sorted(n for n, f in frames.items() if f.label is not None)
    videos, taken = [], set()
    for f in labelled:
        span = [n for n in range(f - BEFORE, f + AFTER + 1) if n in frames]
        taken.update(span)
        videos.append(Video(f"{sequence}_{f:06d}", tuple(frames[n] for n in span)))
    rest = sorted(n for n in frames if n not in taken)
    runs: list[list[int]] = []
    for n in rest:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    videos += [Video(f"{sequence}_{run[0]:06d}", tuple(frames[n] for n in run)) for run in runs]
    return sorted(videos, key=lambda v: natural_key(v.name))
