"""Approach 1, SAM2 as a refiner: each masklet takes the majority class of the baseline inside it.

c_i = argmax_c sum_{(x,y,t) in m_i} [S_t(x,y) = c] over all frames of the masklet (`vote="masklet"`,
which carries temporal consistency) or per frame (`vote="frame"`, the ablation). Masklets are
painted largest first, so smaller ones end on top (as Semantic Segment Anything does); pixels no
masklet covers keep the baseline label. Ties go to the lowest class id; baseline pixels of 255
do not vote, and a masklet with no vote leaves its pixels as they were.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from replication.atomic import write_json
from replication.data.dataset import Dataset
from replication.data.labels import read_label, write_label
from replication.data.video import IGNORE, INFERENCE_FILE, prediction_path
from replication.masks.store import VideoMasklets, load, masklet_path
from replication.metrics.evaluate import check_predictions_exist

VOTES = ("masklet", "frame")


def refine_video(preds: list[np.ndarray], vm: VideoMasklets, num_classes: int,
                 vote: str = "masklet") -> list[np.ndarray]:
    """Refined label maps of one video; `preds` are the baseline maps of `vm.frames`."""
    if vote not in VOTES:
        raise ValueError(f"vote must be one of {VOTES}, got {vote!r}")
    if len(preds) != len(vm.frames):
        raise ValueError(f"{vm.video}: {len(preds)} baseline frames for {len(vm.frames)} "
                         "masklet frames")
    # two passes that decode each frame's masks when needed: holding every decoded mask of a
    # video at once would cost n_masklets x frames x H x W bytes
    votes = np.zeros((len(vm.masklets), num_classes), np.int64)
    for t, pred in enumerate(preds):
        if pred.shape != (vm.height, vm.width):
            raise ValueError(f"{vm.video}: baseline frame {pred.shape} vs masklets "
                             f"{(vm.height, vm.width)}")
        ids, masks = vm.at_frame(t)
        np.add.at(votes, ids, _histograms(pred, masks, num_classes))
    refined = []
    for t, pred in enumerate(preds):
        ids, masks = vm.at_frame(t)
        tally = votes[ids] if vote == "masklet" else _histograms(pred, masks, num_classes)
        classes = tally.argmax(1).astype(np.uint8)
        out = pred.copy()
        for j in np.argsort(-masks.sum((1, 2)), kind="stable"):  # largest first
            if tally[j].any():
                out[masks[j]] = classes[j]
        refined.append(out)
    return refined


def _histograms(pred: np.ndarray, masks: np.ndarray, num_classes: int) -> np.ndarray:
    """(n, num_classes) label counts inside each mask: one matrix product, 255 not counted."""
    onehot = np.zeros((pred.size, num_classes), np.float32)
    valid = pred.ravel() != IGNORE
    onehot[np.flatnonzero(valid), pred.ravel()[valid]] = 1
    return np.rint(masks.reshape(len(masks), -1).astype(np.float32) @ onehot).astype(np.int64)


def refine_predictions(pred_dir: Path, masks_dir: Path, dataset: Dataset, splits: list[str],
                       out_dir: Path, *, vote: str = "masklet") -> dict:
    """Refine a baseline's prediction folder with a masklet folder, video by video."""
    seconds, frames, masklets_seen = 0.0, 0, 0
    videos = [v for s in splits for v in dataset.videos(s)]
    check_predictions_exist(videos, Path(pred_dir))
    for video in tqdm(videos, desc=f"refine {Path(out_dir).name}", unit="video"):
        vm = load(masklet_path(masks_dir, video.name))
        if vm.frames != [f.stem for f in video.frames]:
            raise ValueError(f"{masklet_path(masks_dir, video.name)}: frames differ from video "
                             f"{video.name} of {dataset.name}; re-run the masks stage")
        preds = [read_label(prediction_path(pred_dir, video, f)) for f in video.frames]
        start = time.perf_counter()
        refined = refine_video(preds, vm, dataset.num_classes, vote)
        seconds += time.perf_counter() - start
        frames += len(preds)
        masklets_seen += sum(m.rle[t] is not None for m in vm.masklets for t in range(len(preds)))
        for frame, label in zip(video.frames, refined):
            write_label(prediction_path(out_dir, video, frame), label)
    info = {"vote": vote, "masks": str(masks_dir), "baseline": str(pred_dir), "frames": frames,
            "masklets_per_frame": round(masklets_seen / frames, 2),
            "seconds": round(seconds, 3), "fps": round(frames / seconds, 3),
            "device": "cpu (numpy)",
            "timing": "the refiner alone (votes and painting); mask generation and the "
                      "baseline's inference are not included"}
    write_json(Path(out_dir) / INFERENCE_FILE, info)
    return info
