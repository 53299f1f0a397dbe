"""Benchmark (not a test): frames/s of the SAM2 refiner's masklets (SAM2 automatic masks on each
window's first frame + video-predictor tracking) and of the refiner vote, on CamVid val frames.

Without a real checkpoint it times a RANDOMLY INITIALISED SAM2 of the same config: the compute is
the same for a fixed number of masklets, so `--masklets` forces that count (the best N of each
window's automatic masks, with score thresholds and NMS off so that a random model proposes
enough; the output says how many were tracked). The figures
are speed only; the masks mean nothing. With `--checkpoint` it times the real model.

    .venv/bin/python benchmarks/sam2_refine_fps.py --frames 32 --window 32 --grid 16 \
        --masklets 20 50 100 [--device cuda] [--checkpoint checkpoints/sam2.1_hiera_tiny.pt]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from replication.approaches.refine import refine_video  # noqa: E402
from replication.core.device import describe_device, pick_device  # noqa: E402
from replication.data.registry import get_dataset  # noqa: E402
from replication.data.video import Video  # noqa: E402
from replication.masks.sam2.checkpoint import write_random_checkpoint  # noqa: E402
from replication.masks.sam2.source import SAM2Source  # noqa: E402


def measure(dataset, config: str, checkpoint: Path, *, frames: int = 32, window: int = 32,
            grid: int = 16, masklets: int = 50, device: str = "auto") -> dict:
    """Seconds per frame of SAM2's masklets and of the refiner's vote on the first `frames`
    frames of the val clip, with `masklets` masklets per window."""
    clip = dataset.videos("val")[0]
    video = Video(clip.name, clip.frames[:frames])
    source = SAM2Source(config, checkpoint, window=window, points_per_side=grid,
                        pred_iou_thresh=0.0, stability_score_thresh=0.0, box_nms_thresh=1.0,
                        max_masklets=masklets, device=device).load()
    start = time.perf_counter()
    vm = source.masklets(video, dataset)
    mask_seconds = time.perf_counter() - start
    preds = [dataset.load_label(f) for f in video.frames]  # any label maps: the vote's cost
    start = time.perf_counter()
    refine_video(preds, vm, dataset.num_classes)
    vote_seconds = time.perf_counter() - start
    n = len(video.frames)
    return {"config": config, "device": describe_device(pick_device(device)), "frames": n,
            "window": window, "grid": grid, "masklets_asked": masklets,
            "masklets_per_frame": round(float(np.mean([len(vm.present(t)) for t in range(n)])),
                                        2),
            "masks_seconds_per_frame": round(mask_seconds / n, 4),
            "vote_seconds_per_frame": round(vote_seconds / n, 5),
            "fps": round(n / (mask_seconds + vote_seconds), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / "data/camvid")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--grid", type=int, default=16)
    parser.add_argument("--masklets", type=int, nargs="+", default=[50])
    parser.add_argument("--config", default="configs/sam2.1/sam2.1_hiera_t.yaml")
    parser.add_argument("--checkpoint", type=Path, help="a real checkpoint (else random weights)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    dataset = get_dataset("camvid", args.root)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = args.checkpoint or write_random_checkpoint(args.config,
                                                                Path(tmp) / "random.pt")
        weights = "real checkpoint" if args.checkpoint else "RANDOM weights (speed only)"
        for count in args.masklets:
            r = measure(dataset, args.config, checkpoint, frames=args.frames, window=args.window,
                        grid=args.grid, masklets=count, device=args.device)
            print(f"SAM2 {args.config} ({weights}) on {r['device']}: {r['frames']} frames, "
                  f"window {r['window']}, grid {r['grid']}x{r['grid']}, "
                  f"{r['masklets_per_frame']} masklets per frame (asked for {count}): "
                  f"masklets {r['masks_seconds_per_frame']:.3f} s/frame, refiner vote "
                  f"{r['vote_seconds_per_frame'] * 1000:.1f} ms/frame, {r['fps']:.3f} frames/s")


if __name__ == "__main__":
    main()
