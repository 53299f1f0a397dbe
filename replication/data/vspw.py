"""VSPW (Miao et al. 2021), 480p release: 124 classes, densely labelled videos at 15 fps.

Layout: `<root>/data/<video>/origin/<frame>.jpg` and `<root>/data/<video>/mask/<frame>.png`,
with `<root>/{train,val,test}.txt` listing the videos of each split (root = `VSPW_480p`).
Raw mask values: 0 (others) and 255 -> ignore, v in 1..124 -> class v - 1.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from replication.core.errors import MissingInput
from replication.data.dataset import Dataset
from replication.data.video import IGNORE, Frame, Video, natural_key

CLASSES = (
    "wall", "ceiling", "door", "stair", "ladder", "escalator", "Playground_slide",
    "handrail_or_fence", "window", "rail", "goal", "pillar", "pole", "floor", "ground", "grass",
    "sand", "athletic_field", "road", "path", "crosswalk", "building", "house", "bridge", "tower",
    "windmill", "well_or_well_lid", "other_construction", "sky", "mountain", "stone", "wood", "ice",
    "snowfield", "grandstand", "sea", "river", "lake", "waterfall", "water",
    "billboard_or_Bulletin_Board", "sculpture", "pipeline", "flag", "parasol_or_umbrella",
    "cushion_or_carpet", "tent", "roadblock", "car", "bus", "truck", "bicycle", "motorcycle",
    "wheeled_machine", "ship_or_boat", "raft", "airplane", "tyre", "traffic_light", "lamp",
    "person", "cat", "dog", "horse", "cattle", "other_animal", "tree", "flower", "other_plant",
    "toy", "ball_net", "backboard", "skateboard", "bat", "ball",
    "cupboard_or_showcase_or_storage_rack", "box", "traveling_case_or_trolley_case", "basket",
    "bag_or_package", "trash_can", "cage", "plate", "tub_or_bowl_or_pot", "bottle_or_cup",
    "barrel", "fishbowl", "bed", "pillow", "table_or_desk", "chair_or_seat", "bench", "sofa",
    "shelf", "bathtub", "gun", "commode", "roaster", "other_machine", "refrigerator",
    "washing_machine", "Microwave_oven", "fan", "curtain", "textiles", "clothes",
    "painting_or_poster", "mirror", "flower_pot_or_vase", "clock", "book", "tool", "blackboard",
    "tissue", "screen_or_television", "computer", "printer", "Mobile_phone", "keyboard",
    "other_electronic_product", "fruit", "food", "instrument", "train",
)


class VSPW(Dataset):
    name = "vspw"
    classes = CLASSES
    splits = ("train", "val", "test")
    eval_splits = ("val",)  # test masks are not public
    raw_to_train = np.arange(256, dtype=np.uint8)  # 125..254 stay, to be reported as errors
    raw_to_train[1:125] -= 1
    raw_to_train[0] = IGNORE

    @classmethod
    def how_to_get(cls, dest: Path) -> str:
        return ("VSPW needs registration: request VSPW_480p (https://www.vspwdataset.com/; "
                "download steps at https://github.com/sssdddwww2/vspw_dataset_download), then "
                f"`vss fetch vspw --from <VSPW_480p folder or archive> --dest {dest}` (or set "
                "`source` of vspw under `benchmarks:` in params.yaml and run `dvc repro`)")

    def videos(self, split: str) -> list[Video]:
        self.check_split(split)
        listing = self.root / f"{split}.txt"
        if not listing.is_file():
            raise MissingInput(f"{listing}: missing; a VSPW root (VSPW_480p) holds "
                                    "train.txt, val.txt, test.txt and data/<video>/")
        videos = []
        for name in split_list(listing):
            origin, mask = self.root / "data" / name / "origin", self.root / "data" / name / "mask"
            if not origin.is_dir():
                raise MissingInput(f"{origin}: frames of video {name} (listed in "
                                        f"{listing}) not found")
            images = sorted(origin.glob("*.jpg"), key=lambda p: natural_key(p.stem))
            frames = []
            for image in images:
                label = mask / f"{image.stem}.png"
                if split != "test" and not label.is_file():
                    raise MissingInput(f"{label}: mask missing for frame {image}")
                frames.append(Frame(image.stem, image, label if label.is_file() else None))
            if frames:
                videos.append(Video(name, tuple(frames)))
        return videos


def split_list(listing: Path) -> list[str]:
    """The video names of a split list, one a line, read whole (spaces kept; blank lines and a
    final newline are not names)."""
    names = [line.rstrip("\r") for line in Path(listing).read_text().split("\n")]
    return [name for name in names if name.strip()]
