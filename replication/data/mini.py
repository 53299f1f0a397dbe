"""Miniature VSPW and Cityscapes, built from CamVid in their real layouts (for tests and CI).

Neither benchmark can be downloaded here (both need registration), so CI runs the pipeline on
miniatures that follow the official layouts to the letter: file naming, split lists, label
encodings (CamVid's classes mapped onto their VSPW / Cityscapes ids), JPEG frames for VSPW, PNG
snippets of 30 frames with one gtFine label for Cityscapes. Deterministic: the same CamVid gives
the same files. `archive=True` also packs them as the official archives are packed.

`make_vspw_sized` makes VSPW of any size up to the real benchmark's (3,536 videos, 251,633
frames), in the same layout, for the scale benchmark (benchmarks/scale.py).
"""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from replication.core.errors import OutputError, SettingsError
from replication.data.camvid import CamVid
from replication.data.cityscapes import ID_TO_TRAIN
from replication.data.images import read_image
from replication.data.labels import write_label
from replication.data.vspw import CLASSES as VSPW_CLASSES

# CamVid class -> the VSPW class it is (raw VSPW mask value = class index + 1; 0 = others)
TO_VSPW = {"Sky": "sky", "Building": "building", "Pole": "pole", "Road": "road",
           "Pavement": "path", "Tree": "tree", "SignSymbol": "billboard_or_Bulletin_Board",
           "Fence": "handrail_or_fence", "Car": "car", "Pedestrian": "person",
           "Bicyclist": "bicycle"}
# CamVid class -> Cityscapes label id (gtFine *_labelIds.png; void -> 0 "unlabeled")
TO_CITYSCAPES = {"Sky": 23, "Building": 11, "Pole": 17, "Road": 7, "Pavement": 8, "Tree": 21,
                 "SignSymbol": 20, "Fence": 13, "Car": 26, "Pedestrian": 24, "Bicyclist": 25}
# VSPW videos: (split, name, CamVid split and sequence, first frame, frames); test has no masks
VSPW_VIDEOS = [("train", "1_CamVid0001TP", "train", "0001TP", 0, 3),
               ("train", "2_CamVid0006R0", "train", "0006R0", 0, 3),
               ("val", "1001_CamVid0016E5a", "val", "0016E5", 0, 9),
               ("val", "1002_CamVid0016E5b", "val", "0016E5", 9, 9),
               ("test", "3001_CamVidSeq05VD", "test", "Seq05VD", 0, 2)]
# Cityscapes snippets of 30 frames from CamVid's 15 Hz val clip, the 20th labelled (gtFine):
# (split, city, sequence, first frame of the clip, first frame number); val's sequence 1 holds
# two snippets, as real sequences do (frankfurt_000000: 275-304, 557-586, ...)
CITYSCAPES_SNIPPETS = [("train", "cambridge", 0, 0, 0), ("val", "cambridge", 1, 30, 0),
                       ("val", "cambridge", 1, 60, 100)]
SNIPPET, LABELLED = 30, 19
# The real VSPW: videos per split and frames in all (Miao et al., CVPR 2021)
VSPW_REAL_VIDEOS, VSPW_REAL_FRAMES = (2806, 343, 387), 251_633


def _lut(mapping: dict[int, int]) -> np.ndarray:
    """CamVid class id -> raw value; everything else (255, void) -> 0 (VSPW others, Cityscapes
    unlabeled: both ignored)."""
    lut = np.zeros(256, np.uint8)
    for camvid_id, raw in mapping.items():
        lut[camvid_id] = raw
    return lut


def make_vspw(camvid_root: Path, dest: Path, archive: bool = False) -> Path:
    """A `VSPW_480p` folder (data/<video>/{origin/*.jpg, mask/*.png}, {train,val,test}.txt,
    label_num_dic_final.json) under `dest`; with `archive`, also `dest/VSPW_480p.zip`."""
    camvid = CamVid(camvid_root)
    root = _fresh(Path(dest) / "VSPW_480p")
    lut = _vspw_lut(camvid)
    lists = {"train": [], "val": [], "test": []}
    for split, name, source_split, sequence, first, count in VSPW_VIDEOS:
        video = next(v for v in camvid.videos(source_split) if v.name == sequence)
        frames = video.frames[first:first + count]
        lists[split].append(name)
        for frame in frames:
            stem = f"{int(frame.stem.rsplit('_', 1)[1].lstrip('f')):08d}"
            image = root / "data" / name / "origin" / f"{stem}.jpg"
            image.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(read_image(frame.image)).save(image, quality=95)
            if split != "test":
                write_label(root / "data" / name / "mask" / f"{stem}.png",
                            lut[camvid.load_label(frame)])
    return _finish_vspw(root, lists, Path(dest), archive)


def make_vspw_sized(camvid_root: Path, dest: Path, videos: tuple[int, int, int],
                    frames: int, frame_size: tuple[int, int] | None = None,
                    archive: bool = False) -> Path:
    """A `VSPW_480p` folder as `make_vspw`'s with `videos` (train, val, test) videos and
    `frames` frames in all, spread evenly over them (as many as 3,536 videos and 251,633
    frames, the real benchmark's counts): each video a run of consecutive CamVid frames (every
    split's, in order, from its own start), resized to `frame_size` (height, width; None:
    CamVid's). Each CamVid frame is encoded once and its bytes written wherever it is used."""
    if min(videos) < 1 or frames < sum(videos):
        raise SettingsError(f"videos {list(videos)}, frames {frames}: every split needs a video "
                            "and every video a frame (frames >= the videos in all)")
    if frame_size is not None and min(frame_size) < 8:
        raise SettingsError(f"frame size {list(frame_size)}: at least 8x8 pixels")
    camvid = CamVid(camvid_root)
    root = _fresh(Path(dest) / "VSPW_480p")
    pool = [f for split in camvid.splits for v in camvid.videos(split) for f in v.frames]
    images, masks = _encoded(camvid, pool, frame_size)
    lists = {"train": [], "val": [], "test": []}
    total, done = sum(videos), 0
    per, extra = divmod(frames, total)
    bar = tqdm(total=frames, desc="make vspw", unit="frame")
    for split, count in zip(lists, videos):
        for _ in range(count):
            name = f"{done + 1}_CamVidMade{done + 1:05d}"
            lists[split].append(name)
            start = done * 37 % len(pool)  # each video from its own place in the pool
            (root / "data" / name / "origin").mkdir(parents=True)
            if split != "test":
                (root / "data" / name / "mask").mkdir()
            for t in range(per + (done < extra)):
                k = (start + t) % len(pool)
                (root / "data" / name / "origin" / f"{t:08d}.jpg").write_bytes(images[k])
                if split != "test":
                    (root / "data" / name / "mask" / f"{t:08d}.png").write_bytes(masks[k])
                bar.update()
            done += 1
    bar.close()
    return _finish_vspw(root, lists, Path(dest), archive)


def _encoded(camvid: CamVid, pool: list, frame_size) -> tuple[list[bytes], list[bytes]]:
    """The JPEG of each frame of `pool` and the PNG of its VSPW mask, at `frame_size`."""
    lut = _vspw_lut(camvid)
    images, masks = [], []
    for frame in tqdm(pool, desc="encode camvid", unit="frame"):
        image, label = read_image(frame.image), lut[camvid.load_label(frame)]
        if frame_size is not None:
            size = (frame_size[1], frame_size[0])
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
        for array, out, kwargs in ((image, images, {"format": "JPEG", "quality": 95}),
                                   (label, masks, {"format": "PNG"})):
            buffer = io.BytesIO()
            Image.fromarray(array).save(buffer, **kwargs)
            out.append(buffer.getvalue())
    return images, masks


def _vspw_lut(camvid: CamVid) -> np.ndarray:
    return _lut({c: VSPW_CLASSES.index(TO_VSPW[name]) + 1
                 for c, name in enumerate(camvid.classes)})


def _fresh(root: Path) -> Path:
    """`root`, refused when it already holds files (it may be a user's copy)."""
    if root.exists() and any(root.iterdir()):
        raise OutputError(f"{root} already exists and is not empty; give another --dest (it "
                          "is left as it is)")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _finish_vspw(root: Path, lists: dict[str, list[str]], dest: Path, archive: bool) -> Path:
    """The split lists and the class file of a VSPW root; with `archive`, its zip."""
    for split, names in lists.items():
        (root / f"{split}.txt").write_text("".join(f"{n}\n" for n in names))
    classes = {"others": 0, **{c: i + 1 for i, c in enumerate(VSPW_CLASSES)}}
    (root / "label_num_dic_final.json").write_text(json.dumps(classes))
    if archive:
        _zip(root, dest / "VSPW_480p.zip", dest)
    return root


def make_cityscapes(camvid_root: Path, dest: Path, archive: bool = False) -> Path:
    """A Cityscapes root (leftImg8bit_sequence/ and gtFine/ of 30-frame snippets) under `dest`;
    with `archive`, also the two official zips beside it."""
    camvid = CamVid(camvid_root)
    root = _fresh(Path(dest) / "cityscapes")
    lut = _lut({c: TO_CITYSCAPES[name] for c, name in enumerate(camvid.classes)})
    assert all(TO_CITYSCAPES[n] in ID_TO_TRAIN for n in camvid.classes)
    clip = camvid.videos("val")[0].frames
    for split, city, seq, first, number in CITYSCAPES_SNIPPETS:
        for t, frame in enumerate(clip[first:first + SNIPPET]):
            stem = f"{city}_{seq:06d}_{number + t:06d}"
            image = root / "leftImg8bit_sequence" / split / city / f"{stem}_leftImg8bit.png"
            image.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(frame.image, image)
            if t == LABELLED:
                write_label(root / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png",
                            lut[camvid.load_label(frame)])
    if archive:
        _zip(root / "leftImg8bit_sequence", Path(dest) / "leftImg8bit_sequence_trainvaltest.zip",
             root)
        _zip(root / "gtFine", Path(dest) / "gtFine_trainvaltest.zip", root)
    return root


def _zip(folder: Path, path: Path, relative_to: Path) -> None:
    """Pack `folder` with member names relative to `relative_to` (fixed order and times)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(file.relative_to(relative_to)), (2026, 1, 1, 0, 0, 0))
            archive.writestr(info, file.read_bytes())
