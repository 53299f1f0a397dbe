"""Benchmark (not a test): frames/s of the metric engine on CamVid val, 360x480, one core.

Times `evaluate_dataset` (what `vss evaluate --dataset camvid --splits val` runs: PNG decoding
of ground truth and prediction, mIoU + mBIoU + mVC8 + mVC16 in one pass) against the plain
reference loops of tests/reference.py on the same frames, and prints both with their ratio.
Predictions are the `gt-degraded` reference method, written to a temporary folder.

    .venv/bin/python benchmarks/metrics.py [--root data/camvid] [--repeats 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from replication.data.degrade import DegradeSettings, write_reference_predictions  # noqa: E402
from replication.data.labels import read_label  # noqa: E402
from replication.data.registry import get_dataset  # noqa: E402
from replication.data.video import prediction_path  # noqa: E402
from replication.metrics.evaluate import evaluate_dataset  # noqa: E402
from tests.reference import reference_metrics  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / "data/camvid")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    dataset = get_dataset("camvid", args.root)
    videos = dataset.videos("val")
    frames = sum(len(v.frames) for v in videos)
    with tempfile.TemporaryDirectory() as tmp:
        pred_dir = Path(tmp) / "gt-degraded"
        write_reference_predictions(dataset, ["val"], pred_dir, DegradeSettings(4, 2))
        fast_times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fast = evaluate_dataset(pred_dir, dataset, ["val"], progress=False)["val"]
            fast_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        loaded = {v.name: [(dataset.load_label(f), read_label(prediction_path(pred_dir, v, f)))
                           for f in v.frames] for v in videos}
        slow = reference_metrics(loaded, dataset.num_classes)
        slow_time = time.perf_counter() - start
    fast_fps, slow_fps = frames / min(fast_times), frames / slow_time
    print(f"CamVid val: {frames} frames at 360x480, cv2 threads 1, best of {args.repeats}")
    print(f"  vss evaluate   {fast_fps:8.1f} frames/s  ({min(fast_times):.3f} s)")
    print(f"  reference      {slow_fps:8.1f} frames/s  ({slow_time:.3f} s)")
    print(f"  speed-up       {fast_fps / slow_fps:8.1f}x")
    for metric in ("mIoU", "mBIoU", "mVC8", "mVC16"):
        print(f"  {metric:6s} engine {fast[metric]:.6f}  reference {slow[metric]:.6f}  "
              f"|diff| {abs(fast[metric] - slow[metric]):.1e}")
    assert all(np.isclose(fast[m], slow[m], atol=1e-9) for m in ("mIoU", "mBIoU", "mVC8", "mVC16"))


if __name__ == "__main__":
    main()
