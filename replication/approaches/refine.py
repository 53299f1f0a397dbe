"""Approach 1, SAM2 as a refiner: each masklet takes the majority class of the baseline inside it.

c_i = argmax_c sum_{(x,y,t) in m_i} [S_t(x,y) = c] over all frames of the masklet (`vote="masklet"`,
which carries temporal consistency) or per frame (`vote="frame"`, the ablation). Votes that weigh
the baseline's confidence q (its max softmax probability, which `vss predict` stores), over the
masklet's frames: `confidence` sums q per class; `decisive` does too, but a masklet overwrites
only where its winning class holds at least `tau` of the summed q, else the baseline's labels
stay; `ditta` scores each class as DiTTA weighs a masklet's class, reliability x area^0.3 x
(1 - class frequency)^0.8, read here as: reliability the mean q of the masklet's pixels of that
class, area their count, frequency the class's share of the baseline's pixels in the video.
Masklets are painted largest first (by their area in the frame), so smaller ones end on top (as
Semantic Segment Anything does; equal areas: the later masklet on top); pixels no masklet
covers keep the baseline label. Ties go to the lowest class id; baseline pixels of 255 do not
vote, and a masklet with no vote leaves its pixels as they were.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from replication.core.atomic import check_not_input, staged_dir, write_json
from replication.core.device import cpu_model
from replication.core.errors import InputError, MissingInput, SettingsError
from replication.core.not_run import mark_not_run, not_run
from replication.core.records import write_record
from replication.data.dataset import Dataset, split_videos
from replication.data.labels import read_label, write_label
from replication.data.video import (
    INFERENCE_FILE,
    check_predictions_exist,
    confidence_path,
    prediction_path,
)
from replication.masks.runs import histograms, paint
from replication.masks.store import VideoMasklets, load_for_video

VOTES = ("masklet", "frame", "confidence", "decisive", "ditta")
WEIGHTED = ("confidence", "decisive", "ditta")  # the votes that need the baseline's confidence
TAU = 0.6  # decisive: the share of the weighted vote the winning class must hold


def refine_video(preds: list[np.ndarray], vm: VideoMasklets, num_classes: int,
                 vote: str = "masklet", confidences: list[np.ndarray] | None = None,
                 tau: float = TAU) -> list[np.ndarray]:
    """Refined label maps of one video; `preds` are the baseline maps of `vm.frames`
    (`confidences`: their uint8 confidence, for the WEIGHTED votes). Works on the masklets'
    runs (replication.masks.runs): each frame's RLEs are parsed once, counted with one
    bincount, painted without decoding a mask."""
    if vote not in VOTES:
        raise InputError(f"vote must be one of {VOTES}, got {vote!r}")
    if len(preds) != len(vm.frames):
        raise InputError(f"{vm.video}: {len(preds)} baseline frames for {len(vm.frames)} "
                         "masklet frames")
    if vote in WEIGHTED and (confidences is None or len(confidences) != len(preds)):
        raise InputError(f"{vm.video}: the {vote} vote needs the baseline's confidence of "
                         "every frame")
    for pred in preds:
        if pred.shape != (vm.height, vm.width):
            raise InputError(f"{vm.video}: baseline frame {pred.shape} vs masklets "
                             f"{(vm.height, vm.width)}")
    counts = [histograms(vm.runs(t), pred, num_classes) for t, pred in enumerate(preds)]
    weighted = None
    if vote in WEIGHTED:
        weighted = [histograms(vm.runs(t), pred, num_classes, confidences[t] / 255.0)
                    for t, pred in enumerate(preds)]
    if vote != "frame":  # a masklet's votes over all its frames
        counts, weighted = (None if per_frame is None else _over_frames(vm, per_frame)
                            for per_frame in (counts, weighted))
    classes = _classes(vote, counts, weighted, preds, num_classes, tau)
    return [paint(vm.runs(t), c, pred) for t, (pred, c) in enumerate(zip(preds, classes))]


def decisive_tau(params: dict) -> float:
    """`refine.decisive-tau` of params (TAU when they do not set it), checked."""
    tau = (params.get("refine") or {}).get("decisive-tau", TAU)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not 0 < tau <= 1:
        raise SettingsError(f"refine.decisive-tau: {tau!r} must be a number in (0, 1]")
    return float(tau)


def _over_frames(vm: VideoMasklets, tallies: list[np.ndarray]) -> list[np.ndarray]:
    """Each frame's rows replaced by its masklets' sums over all their frames."""
    total = np.zeros((len(vm.masklets), tallies[0].shape[1] if tallies else 0),
                     tallies[0].dtype if tallies else np.int64)
    for t, tally in enumerate(tallies):
        total[vm.present(t)] += tally  # a masklet is present at most once per frame
    return [total[vm.present(t)] for t in range(len(tallies))]


def _classes(vote: str, counts: list, weighted: list | None, preds: list[np.ndarray],
             num_classes: int, tau: float) -> list[np.ndarray]:
    """Per frame, the class each present masklet paints (-1: it leaves the baseline)."""
    if vote == "ditta":
        valid = np.concatenate([p[p < num_classes] for p in preds])
        frequency = np.bincount(valid, minlength=num_classes) / max(valid.size, 1)
    out = []
    for t, count in enumerate(counts):
        voted = count.any(1)
        if vote in ("masklet", "frame"):
            winner = majority(count)
        elif vote == "ditta":
            reliability = np.divide(weighted[t], count, out=np.zeros(count.shape),
                                    where=count > 0)
            score = reliability * count ** 0.3 * (1 - frequency) ** 0.8
            winner = majority(np.where(count > 0, score, -np.inf))
        else:
            winner = majority(weighted[t])
            if vote == "decisive":
                share = np.divide(weighted[t].max(1), weighted[t].sum(1),
                                  out=np.zeros(len(count)), where=voted)
                voted &= share >= tau
        out.append(np.where(voted, winner, -1))
    return out


def _confidence(pred_dir: Path, video, frame) -> np.ndarray:
    path = confidence_path(pred_dir, video, frame)
    if not path.is_file():
        raise MissingInput(f"{path}: no confidence of the baseline for this frame; the "
                           "confidence votes need it, and `vss predict` writes it (re-run the "
                           "baseline's predict stage)")
    return read_label(path)


def majority(tally: np.ndarray) -> np.ndarray:
    """The winning class of each row of label counts (n, classes); ties go to the lowest id."""
    return tally.argmax(1)


def refine_predictions(pred_dir: Path, masks_dir: Path, dataset: Dataset, splits: list[str],
                       out_dir: Path, *, vote: str = "masklet", tau: float = TAU) -> dict:
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
            confidences = (None if vote not in WEIGHTED else
                           [_confidence(pred_dir, video, f) for f in video.frames])
            start = time.perf_counter()
            refined = refine_video(preds, vm, dataset.num_classes, vote, confidences, tau)
            seconds += time.perf_counter() - start
            frames += len(preds)
            masklets_seen += sum(len(vm.present(t)) for t in range(len(preds)))
            mask_seconds.append(vm.timed_seconds)
            for frame, label in zip(video.frames, refined):
                write_label(prediction_path(staging, video, frame), label)
        parts = {"baseline": _baseline_seconds(pred_dir, frames),
                 "masks": total_seconds(mask_seconds), "refiner": seconds}
        info = {"vote": vote, **({"tau": tau} if vote == "decisive" else {}),
                "masks": str(masks_dir), "baseline": str(pred_dir),
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
