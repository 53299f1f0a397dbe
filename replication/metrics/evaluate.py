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

from replication.core.errors import InputError
from replication.core.not_run import not_run
from replication.data.dataset import Dataset
from replication.data.labels import check_values, read_label
from replication.data.video import (
    INFERENCE_FILE,
    Frame,
    Video,
    check_predictions_exist,
    folder_videos,
    prediction_path,
)
from replication.metrics.evaluator import StreamingEvaluator
from replication.metrics.specs import TC_SPEC, MetricSettings


class EvaluationError(InputError):
    """Predictions or ground truth that cannot be scored; the message names the file."""


def evaluate_videos(videos: list[Video], load_gt: Callable[[Frame], np.ndarray], pred_dir: Path,
                    class_names: tuple[str, ...], settings: MetricSettings | None = None, *,
                    progress: bool = True) -> dict:
    """Stream every labelled frame of `videos` and its prediction through the evaluator (frames
    without a label, e.g. Cityscapes' unlabelled snippet frames, are not scored)."""
    pred_dir = Path(pred_dir)
    n = len(class_names)
    videos = [Video(v.name, labelled) for v in videos
              if (labelled := tuple(f for f in v.frames if f.label is not None))]
    if not videos:
        raise EvaluationError(f"{pred_dir}: the splits to score have no labelled frame (e.g. "
                              "VSPW's test split); score a labelled split")
    check_predictions_exist(videos, pred_dir)
    evaluator = StreamingEvaluator(n, settings or MetricSettings())
    total = sum(len(v.frames) for v in videos)
    with tqdm(total=total, desc=f"evaluate {pred_dir.name}", unit="frame",
              disable=not progress) as bar:
        for video in videos:
            evaluator.start_video(video.name, len(video.frames))
            for frame in video.frames:
                pred_path = prediction_path(pred_dir, video, frame)
                gt = check_values(load_gt(frame), n, frame.label)
                pred = check_values(read_label(pred_path), n, pred_path)
                try:
                    evaluator.add_frame(gt, pred, frame.stem)
                except ValueError as exc:
                    raise EvaluationError(f"{pred_path} (ground truth {frame.label}): "
                                          f"{exc}") from exc
                bar.update()
            evaluator.end_video()
    return evaluator.summary(tuple(class_names))


def evaluate_folders(pred_dir: Path, gt_dir: Path, num_classes: int,
                     settings: MetricSettings | None = None, *, progress: bool = True) -> dict:
    """Score `<pred_dir>/<video>/<stem>.png` against `<gt_dir>/<video>/<stem>.png`."""
    names = tuple(f"class_{c}" for c in range(num_classes))
    summary = evaluate_videos(folder_videos(gt_dir), lambda f: read_label(f.label), pred_dir,
                              names, settings, progress=progress)
    return {"pred": str(pred_dir), "gt": str(gt_dir), **_inference(pred_dir), **summary}


def evaluate_dataset(pred_dir: Path, dataset: Dataset, splits: list[str],
                     settings: MetricSettings | None = None, *, progress: bool = True) -> dict:
    """Score predictions of each split of a dataset; one summary per split (or the folder's
    not-run record: see replication.core.not_run)."""
    results = {"pred": str(pred_dir), "dataset": dataset.name}
    record = not_run(pred_dir)
    if record:
        return {**results, **record}
    results.update(_inference(pred_dir))
    for split in splits:
        results[split] = evaluate_videos(dataset.videos(split), dataset.load_label, pred_dir,
                                         dataset.classes, settings, progress=progress)
    return results


def add_tc(results: dict[str, dict], pred_dirs: dict[str, Path], dataset: Dataset, split: str,
           settings: MetricSettings | None = None, *, progress: bool = True) -> None:
    """Add TC (replication.metrics.tc) on `split` to the results of several prediction folders
    (one pass: each frame pair's flow is computed once), with the flow of `settings.tc_flow`;
    a flow backend that cannot run here puts its reason instead."""
    from replication.metrics.flow import FlowUnavailable, flow_backend
    from replication.metrics.tc import temporal_consistency

    settings = settings or MetricSettings()
    ran = {n: d for n, d in pred_dirs.items() if results[n].get("status") != "not run"}
    if settings.tc_flow == "none" or not ran:
        return
    for name in ran:
        results[name][split].setdefault("metrics", {})["TC"] = TC_SPEC.as_dict()
    try:
        backend = flow_backend(settings.tc_flow, settings.raft_weights)
    except FlowUnavailable as exc:
        for name in ran:
            results[name][split]["TC"] = None
            results[name][split]["tc"] = {"status": "not run", "reason": str(exc),
                                          "fix": exc.fix}
        return
    videos = dataset.videos(split)[:settings.tc_videos]
    scores = temporal_consistency(videos, ran, dataset.num_classes, backend,
                                  strict=settings.strict_vc, progress=progress)
    for name, score in scores.items():
        results[name][split]["TC"] = score["TC"]
        results[name][split]["tc"] = {"flow": settings.tc_flow, "videos": len(videos), **score}


def _inference(pred_dir: Path) -> dict:
    """The method's inference record (FPS, device), when its prediction folder has one."""
    path = Path(pred_dir) / INFERENCE_FILE
    return {"inference": json.loads(path.read_text())} if path.is_file() else {}
