"""Approach 1, SAM2 as a refiner: each masklet takes the majority class of the baseline inside it.

c_i = argmax_c sum_{(x,y,t) in m_i} [S_t(x,y) = c] over all frames of the masklet (`vote="masklet"`,
which carries temporal consistency) or per frame (`vote="frame"`, the ablation). Masklets are
painted largest first (by their area in the frame), so smaller ones end on top (as Semantic
Segment Anything does; equal areas: the later masklet on top); pixels no masklet covers keep
the baseline label. Ties go to the lowest class id; baseline pixels of 255 do not vote, and a
masklet with no vote leaves its pixels as they were.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from replication.core.atomic import check_not_input, staged_dir, write_json
from replication.core.device import cpu_model
from replication.core.errors import InputError
from replication.core.not_run import mark_not_run, not_run
from replication.core.records import write_record
from replication.data.dataset import Dataset, split_videos
from replication.data.labels import read_label, write_label
from replication.data.video import INFERENCE_FILE, check_predictions_exist, prediction_path
from replication.masks.runs import histograms, paint
from replication.masks.store import VideoMasklets, load_for_video

VOTES = ("masklet", "frame")


def refine_video(preds: list[np.ndarray], vm: VideoMasklets, num_classes: int,
                 vote: str = "masklet") -> list[np.ndarray]:
    """Refined label maps of one video; `preds` are the baseline maps of `vm.frames`. Works on
    the masklets' runs (replication.masks.runs): each frame's RLEs are parsed once, counted
    with one bincount, painted without decoding a mask."""
    if vote not in VOTES:
        raise InputError(f"vote must be one of {VOTES}, got {vote!r}")
    if len(preds) != len(vm.frames):
        raise InputError(f"{vm.video}: {len(preds)} baseline frames for {len(vm.frames)} "
                         "masklet frames")
    tallies = []
    for pred in preds:
        if pred.shape != (vm.height, vm.width):
            raise InputError(f"{vm.video}: baseline frame {pred.shape} vs masklets "
                             f"{(vm.height, vm.width)}")
    for t, pred in enumerate(preds):
        tallies.append(histograms(vm.runs(t), pred, num_classes))
    if vote == "masklet":  # a masklet's votes over all its frames
        votes = np.zeros((len(vm.masklets), num_classes), np.int64)
        for t, tally in enumerate(tallies):
            votes[vm.present(t)] += tally  # a masklet is present at most once per frame
        tallies = [votes[vm.present(t)] for t in range(len(preds))]
    refined = []
    for t, (pred, tally) in enumerate(zip(preds, tallies)):
        # a masklet without votes leaves its pixels as they were
        classes = np.where(tally.any(1), majority(tally), -1)
        refined.append(paint(vm.runs(t), classes, pred))
    return refined


def majority(tally: np.ndarray) -> np.ndarray:
    """The winning class of each row of label counts (n, classes); ties go to the lowest id."""
    return tally.argmax(1)


def refine_predictions(pred_dir: Path, masks_dir: Path, dataset: Dataset, splits: list[str],
                       out_dir: Path, *, vote: str = "masklet") -> dict:
    """Refine a baseline's prediction folder with a masklet folder, video by video. Writes the
    timing to `inference.json`: `fps` is the whole method (baseline inference + masklets +
    refiner, per frame), with each part beside it. Masks or baseline that did not run (see
    replication.core.not_run) make the output "not run" too, with their reason."""
    check_not_input([out_dir], [pred_dir, masks_dir, dataset.root])
    record = not_run(masks_dir) or not_run(pred_dir)
    if record:
        return mark_not_run(out_dir, record["reason"], record["fix"])
    seconds, frames, masklets_seen, mask_seconds = 0.0, 0, 0, []
    videos = split_videos(dataset, splits)
    check_predictions_exist([v for _, v in videos], Path(pred_dir))
    with staged_dir(out_dir, inputs=[pred_dir, masks_dir, dataset.root]) as staging:
        for split, video in tqdm(videos, desc=f"refine {Path(out_dir).name}", unit="video"):
            vm = load_for_video(masks_dir, split, video)
            preds = [read_label(prediction_path(pred_dir, video, f)) for f in video.frames]
            start = time.perf_counter()
            refined = refine_video(preds, vm, dataset.num_classes, vote)
            seconds += time.perf_counter() - start
            frames += len(preds)
            masklets_seen += sum(len(vm.present(t)) for t in range(len(preds)))
            mask_seconds.append(vm.timed_seconds)
            for frame, label in zip(video.frames, refined):
                write_label(prediction_path(staging, video, frame), label)
        parts = {"baseline": _baseline_seconds(pred_dir, frames),
                 "masks": total_seconds(mask_seconds), "refiner": seconds}
        info = {"vote": vote, "masks": str(masks_dir), "baseline": str(pred_dir),
                "frames": frames, "masklets_per_frame": round(masklets_seen / frames, 2),
                "device": f"cpu ({cpu_model()}, numpy)",
                **timing(frames, parts, "votes and painting (numpy, CPU)")}
        write_json(staging / INFERENCE_FILE, info)
        write_record(staging, "refine", {"baseline": Path(pred_dir).name,
                                         "source": Path(masks_dir).name, "vote": vote},
                     dataset=dataset.name, splits=list(splits), baseline=pred_dir,
                     masks=masks_dir)
    return info


def timing(frames: int, parts: dict[str, float | None], own: str) -> dict:
    """Speed record of a method made of parts (seconds each; None: untimed or made from the
    ground truth, so not counted): `fps` of the whole, `fps_parts` of each; `own` says what
    the method's own last part times."""
    timed = {k: v for k, v in parts.items() if v is not None}
    untimed = [k for k, v in parts.items() if v is None]
    return {"seconds": {k: round(v, 3) for k, v in timed.items()},
            "fps": round(frames / sum(timed.values()), 3),
            "fps_parts": {k: round(frames / v, 3) for k, v in timed.items()},
            "timing": f"per-frame time of {' + '.join(timed)}; {list(parts)[-1]}: {own}"
                      + (f"; not counted: {', '.join(untimed)} (untimed or made from the "
                         "ground truth)" if untimed else "")}


def total_seconds(seconds: list[float | None]) -> float | None:
    """The sum of the parts' seconds, None when any part is untimed."""
    return None if None in seconds else sum(seconds)


def _baseline_seconds(pred_dir: Path, frames: int) -> float | None:
    """The baseline's inference time for `frames` frames, from its inference record."""
    path = Path(pred_dir) / INFERENCE_FILE
    fps = json.loads(path.read_text()).get("fps") if path.is_file() else None
    return frames / fps if fps else None
