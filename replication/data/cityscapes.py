"""Cityscapes: 19 train-id classes; each snippet's one finely labelled frame.

Layout: `<root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png` and
`<root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png` (the official label ids,
mapped to train ids here; `..._labelTrainIds.png` from cityscapesscripts is used when present).
A video is one snippet (`<city>_<seq>`); gtFine labels one frame of it, so mVC is undefined.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from replication.data.dataset import Dataset
from replication.data.labels import read_label
from replication.data.video import IGNORE, Frame, Video, natural_key

CLASSES = ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
           "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck",
           "bus", "train", "motorcycle", "bicycle")
# label id -> train id (cityscapesscripts' labels.py); every other id is ignored
ID_TO_TRAIN = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
               24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}


class Cityscapes(Dataset):
    name = "cityscapes"
    classes = CLASSES
    splits = ("train", "val", "test")
    raw_to_train = np.full(256, IGNORE, np.uint8)
    raw_to_train[list(ID_TO_TRAIN)] = list(ID_TO_TRAIN.values())

    def videos(self, split: str) -> list[Video]:
        self.check_split(split)
        image_dir = self.root / "leftImg8bit" / split
        if not image_dir.is_dir():
            raise FileNotFoundError(f"{image_dir}: missing; a Cityscapes root holds "
                                    "leftImg8bit/<split>/<city>/ and gtFine/<split>/<city>/")
        snippets: dict[str, list[Frame]] = defaultdict(list)
        for image in image_dir.glob("*/*_leftImg8bit.png"):
            stem = image.name[: -len("_leftImg8bit.png")]
            city, seq, _ = stem.rsplit("_", 2)
            gt = self.root / "gtFine" / split / image.parent.name / f"{stem}_gtFine_labelIds.png"
            if split != "test" and not gt.is_file() and not _train_ids(gt).is_file():
                raise FileNotFoundError(f"{gt}: label missing for frame {image}")
            snippets[f"{city}_{seq}"].append(Frame(stem, image, gt if split != "test" else None))
        if not snippets:
            raise FileNotFoundError(f"{image_dir}: no *_leftImg8bit.png frames")
        return [Video(name, tuple(sorted(frames, key=lambda f: natural_key(f.stem))))
                for name, frames in sorted(snippets.items())]

    def load_label(self, frame: Frame) -> np.ndarray:
        if frame.label is not None and not frame.label.is_file():
            return read_label(_train_ids(frame.label))
        return super().load_label(frame)


def _train_ids(label_ids_path):
    return label_ids_path.with_name(
        label_ids_path.name.replace("_gtFine_labelIds.png", "_gtFine_labelTrainIds.png"))
