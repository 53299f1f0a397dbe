"""Benchmark (not a test): frames/s of the refiner against a plain-loop version of its rules.

`plain_refine` below is the baseline: the refiner's rules written as plain Python/NumPy loops
(decode each mask with pycocotools, count labels inside it, paint masks largest first), with no
shared code beyond the masklet store. The benchmark runs both on the same frames and masklets
in one process, for both votes, checks that every refined pixel is identical, and prints
frames/s side by side. The tests use `plain_refine` as the refiner's independent reference.

    .venv/bin/python benchmarks/refine.py [--masks masks/camvid/superpixel] [--repeats 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from replication.approaches.refine import refine_video  # noqa: E402
from replication.data.degrade import degrade  # noqa: E402
from replication.data.registry import get_dataset  # noqa: E402
from replication.masks.store import load_for_video  # noqa: E402


def plain_refine(preds, vm, num_classes: int, vote: str = "masklet") -> list[np.ndarray]:
    """The refiner's rules in plain loops: each masklet takes the majority baseline class inside
    it (over all its frames, or per frame), 255 does not vote, ties go to the lowest class,
    masklets without votes paint nothing, larger masks are painted first (equal area: the later
    masklet on top), pixels outside every masklet keep the baseline."""
    def decode(i, t):
        return mask_utils.decode(vm.masklets[i].rle[t]).astype(bool)

    def counts(pred, mask):
        labels = pred[mask]
        return np.bincount(labels[labels != 255], minlength=num_classes)[:num_classes]

    totals = {}
    for t, pred in enumerate(preds):
        for i in vm.present(t):
            totals[i] = totals.get(i, 0) + counts(pred, decode(i, t))
    refined = []
    for t, pred in enumerate(preds):
        out = pred.copy()
        masks = [(i, decode(i, t)) for i in vm.present(t)]
        masks.sort(key=lambda im: -int(im[1].sum()))  # stable: equal areas keep their order
        for i, mask in masks:
            tally = totals[i] if vote == "masklet" else counts(pred, mask)
            if tally.any():
                out[mask] = int(np.argmax(tally))
        refined.append(out)
    return refined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / "data/camvid")
    parser.add_argument("--masks", type=Path, default=REPO / "masks/camvid/superpixel")
    parser.add_argument("--split", default="val")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dataset = get_dataset("camvid", args.root)
    rng = np.random.default_rng(0)
    work = []
    for video in dataset.videos(args.split):
        vm = load_for_video(args.masks, args.split, video)
        preds = [degrade(dataset.load_label(f), 4, 2, rng) for f in video.frames]
        work.append((preds, vm))
    frames = sum(len(p) for p, _ in work)
    masklets = np.mean([len(vm.present(t)) for _, vm in work for t in range(len(vm.frames))])
    print(f"CamVid {args.split}: {frames} frames at 360x480, {masklets:.1f} masklets per frame "
          f"({args.masks.name}), best of {args.repeats}, one process")
    for vote in ("masklet", "frame"):
        timings = {}
        for name, refine in (("vss refine", refine_video), ("plain loops", plain_refine)):
            best, outputs = float("inf"), None
            for _ in range(args.repeats):
                for _, vm in work:
                    vm._runs.clear()  # parse the RLEs again in every repeat
                start = time.perf_counter()
                outputs = [refine(preds, vm, dataset.num_classes, vote) for preds, vm in work]
                best = min(best, time.perf_counter() - start)
            timings[name] = (best, outputs)
        (fast, a), (slow, b) = timings["vss refine"], timings["plain loops"]
        same = all(np.array_equal(x, y) for va, vb in zip(a, b) for x, y in zip(va, vb))
        print(f"  vote per {vote:7s}  vss refine {frames / fast:7.1f} frames/s   plain loops "
              f"{frames / slow:6.1f} frames/s   {slow / fast:5.1f}x   pixel-identical: {same}")
        assert same


if __name__ == "__main__":
    main()
