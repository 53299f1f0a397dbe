"""Score prediction folders against ground truth: the library behind `vss evaluate`.

Predictions are laid out `<pred_dir>/<video>/<stem>.png` (uint8 class ids, 255 = ignore), at
ground-truth size. Ground truth is either a folder in the same layout or a dataset split.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from replication.data.dataset import Dataset
from replication.data.labels import read_label
from replication.data.video import (IGNORE, INFERENCE_FILE, Frame, Video, folder_videos,
                                    prediction_path)
from replication.metrics.evaluator import StreamingEvaluator
from replication.not_run import not_run


class EvaluationError(ValueError):
    """Predictions or ground truth that cannot be scored; the message names the file."""


def evaluate_videos(videos: list[Video], load_gt: Callable[[Frame], np.ndarray], pred_dir: Path,
                    class_names: tuple[str, ...], *, progress: bool = True, **options) -> dict:
    """Stream every labelled frame of `videos` and its prediction through the evaluator (frames
    without a label, e.g. Cityscapes' unlabelled snippet frames, are not scored); `options` are
    the StreamingEvaluator's (boundary_ratio, vc_windows, strict_vc, boundary_sweep)."""
    pred_dir = Path(pred_dir)
    n = len(class_names)
    videos = [Video(v.name, labelled) for v in videos
              if (labelled := tuple(f for f in v.frames if f.label is not None))]
    if not videos:
        raise EvaluationError(f"{pred_dir}: the splits to score have no labelled frame (e.g. "
                              "VSPW's test split); score a labelled split")
    check_predictions_exist(videos, pred_dir)
    evaluator = StreamingEvaluator(n, **options)  # its defaults are the metrics' defaults
    total = sum(len(v.frames) for v in videos)
    with tqdm(total=total, desc=f"evaluate {pred_dir.name}", unit="frame",
              disable=not progress) as bar:
        for video in videos:
            evaluator.start_video(video.name, len(video.frames))
            for frame in video.frames:
                pred_path = prediction_path(pred_dir, video, frame)
                gt = _checked(load_gt(frame), n, frame.label)
                pred = _checked(read_label(pred_path), n, pred_path)
                try:
                    evaluator.add_frame(gt, pred, frame.stem)
                except ValueError as exc:
                    raise EvaluationError(f"{pred_path} (ground truth {frame.label}): {exc}") from exc
                bar.update()
            evaluator.end_video()
    return evaluator.summary(tuple(class_names))


def evaluate_folders(pred_dir: Path, gt_dir: Path, num_classes: int, **options) -> dict:
    """Score `<pred_dir>/<video>/<stem>.png` against `<gt_dir>/<video>/<stem>.png`."""
    names = tuple(f"class_{c}" for c in range(num_classes))
    summary = evaluate_videos(folder_videos(gt_dir), lambda f: read_label(f.label), pred_dir,
                              names, **options)
    return {"pred": str(pred_dir), "gt": str(gt_dir), **_inference(pred_dir), **summary}


def evaluate_dataset(pred_dir: Path, dataset: Dataset, splits: list[str], **options) -> dict:
    """Score predictions of each split of a dataset; one summary per split (or the folder's
    not-run record: see replication.not_run)."""
    results = {"pred": str(pred_dir), "dataset": dataset.name}
    record = not_run(pred_dir)
    if record:
        return {**results, **record}
    results.update(_inference(pred_dir))
    for split in splits:
        results[split] = evaluate_videos(dataset.videos(split), dataset.load_label, pred_dir,
                                         dataset.classes, **options)
    return results


def headline_metrics(summary: dict) -> dict:
    """The scalar metrics of a summary, without per-class and per-video detail."""
    return {key: value for key, value in summary.items()
            if key.startswith(("mIoU", "mBIoU", "mVC")) or key in ("TC", "frames", "videos")}


def add_tc(results: dict[str, dict], pred_dirs: dict[str, Path], dataset: Dataset, split: str, *,
           flow: str = "dis", raft_weights: Path | None = None, strict: bool = False,
           progress: bool = True) -> None:
    """Add TC (replication.metrics.tc) on `split` to the results of several prediction folders
    (one pass: each frame pair's flow is computed once); a flow backend that cannot run here
    puts its reason instead."""
    from replication.metrics.flow import FlowUnavailable, flow_backend
    from replication.metrics.tc import temporal_consistency

    ran = {n: d for n, d in pred_dirs.items() if results[n].get("status") != "not run"}
    if flow == "none" or not ran:
        return
    try:
        backend = flow_backend(flow, raft_weights)
    except FlowUnavailable as exc:
        for name in ran:
            results[name][split]["TC"] = None
            results[name][split]["tc"] = {"status": "not run", "reason": str(exc),
                                          "fix": exc.fix}
        return
    scores = temporal_consistency(dataset.videos(split), ran, dataset.num_classes, backend,
                                  strict=strict, progress=progress)
    for name, score in scores.items():
        results[name][split]["TC"] = score["TC"]
        results[name][split]["tc"] = {"flow": flow, **score}


def _inference(pred_dir: Path) -> dict:
    """The method's inference record (FPS, device), when its prediction folder has one."""
    path = Path(pred_dir) / INFERENCE_FILE
    return {"inference": json.loads(path.read_text())} if path.is_file() else {}


def check_predictions_exist(videos: list[Video], pred_dir: Path) -> None:
    if not pred_dir.is_dir():
        raise EvaluationError(f"{pred_dir}: prediction folder not found")
    expected = ((f, prediction_path(pred_dir, v, f)) for v in videos for f in v.frames)
    missing = [(frame, path) for frame, path in expected if not path.is_file()]
    if missing:
        frame, path = missing[0]
        raise EvaluationError(
            f"{len(missing)} prediction(s) missing, e.g. {path} for ground-truth frame "
            f"{frame.label}; predictions are laid out <pred_dir>/<video>/<stem>.png")


def _checked(label: np.ndarray, num_classes: int, path: Path) -> np.ndarray:
    bad = (label >= num_classes) & (label != IGNORE)
    if bad.any():
        values = np.unique(label[bad])[:10].tolist()
        raise EvaluationError(f"{path}: label values {values} outside 0..{num_classes - 1} "
                              f"and not {IGNORE} (ignore); wrong --num-classes or an unmapped "
                              "label file?")
    return label
