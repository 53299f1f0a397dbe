"""Benchmark (not a test): frames/s of the SAM2 refiner's masklets (SAM2 automatic masks on each
window's first frame + video-predictor tracking) and of the refiner vote, on CamVid val frames.

Without a real checkpoint it times a RANDOMLY INITIALISED SAM2 of the same config: the compute is
the same for a fixed number of masklets, so `--masklets` forces that count (the best N of each
window's automatic masks, with score thresholds and NMS off so that a random model proposes
enough; the output says how many were tracked). The figures
are speed only; the masks mean nothing. With `--checkpoint` it times the real model.

SAM2 tracks each object on its own and shares only the image features (sam2 #382), so a frame
costs about E + n x M for n masklets: per config, E and M are fitted (least squares) to the
seconds per frame at the masklet counts measured. E includes the generator's first-frame
prompting, spread over the window's frames.

    .venv/bin/python benchmarks/sam2_refine_fps.py --frames 32 --window 32 --grid 16 \
        --masklets 20 50 100 [--configs CONFIG ...] [--device cuda] [--vos-optimized]
        [--checkpoint checkpoints/sam2.1_hiera_tiny.pt]
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
            grid: int = 16, masklets: int = 50, device: str = "auto",
            vos_optimized: bool = False) -> dict:
    """Seconds per frame of SAM2's masklets and of the refiner's vote on the first `frames`
    frames of the val clip, with `masklets` masklets per window."""
    clip = dataset.videos("val")[0]
    video = Video(clip.name, clip.frames[:frames])
    source = SAM2Source(config, checkpoint, window=window, points_per_side=grid,
                        pred_iou_thresh=0.0, stability_score_thresh=0.0, box_nms_thresh=1.0,
                        max_masklets=masklets, device=device,
                        vos_optimized=vos_optimized).load()
    start = time.perf_counter()
    vm = source.masklets(video, dataset)
    mask_seconds = time.perf_counter() - start
    preds = [dataset.load_label(f) for f in video.frames]  # any label maps: the vote's cost
    start = time.perf_counter()
    refine_video(preds, vm, dataset.num_classes)
    vote_seconds = time.perf_counter() - start
    n = len(video.frames)
    return {"config": config, "device": describe_device(pick_device(device)), "frames": n,
            "window": window, "grid": grid, "vos_optimized": vos_optimized,
            "masklets_asked": masklets,
            "masklets_per_frame": round(float(np.mean([len(vm.present(t)) for t in range(n)])),
                                        2),
            "masks_seconds_per_frame": round(mask_seconds / n, 4),
            "vote_seconds_per_frame": round(vote_seconds / n, 5),
            "fps": round(n / (mask_seconds + vote_seconds), 3)}


def fit_cost(rows: list[dict]) -> dict:
    """E (seconds per frame) and M (seconds per masklet and frame) of seconds = E + n x M,
    least squares over `rows` of `measure` (n: masklets per frame as tracked)."""
    n = np.array([r["masklets_per_frame"] for r in rows], float)
    seconds = np.array([r["masks_seconds_per_frame"] for r in rows], float)
    if len(set(n)) < 2:
        raise SystemExit("fit_cost: needs two masklet counts or more")
    m, e = np.polyfit(n, seconds, 1)
    return {"E": round(float(e), 4), "M": round(float(m), 5),
            "max_residual": round(float(np.abs(seconds - (e + m * n)).max()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / "data/camvid")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--grid", type=int, default=16)
    parser.add_argument("--masklets", type=int, nargs="+", default=[50])
    parser.add_argument("--configs", nargs="+", default=["configs/sam2.1/sam2.1_hiera_t.yaml"],
                        help="sam2 configs (model sizes), each timed and fitted")
    parser.add_argument("--checkpoint", type=Path,
                        help="a real checkpoint of the one config (else random weights)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--vos-optimized", action="store_true")
    args = parser.parse_args()

    if args.checkpoint and len(args.configs) > 1:
        raise SystemExit("--checkpoint is of one config: give one --configs")
    dataset = get_dataset("camvid", args.root)
    weights = "real checkpoint" if args.checkpoint else "RANDOM weights (speed only)"
    with tempfile.TemporaryDirectory() as tmp:
        for config in args.configs:
            checkpoint = args.checkpoint or write_random_checkpoint(config,
                                                                    Path(tmp) / "random.pt")
            rows = []
            for count in args.masklets:
                r = measure(dataset, config, checkpoint, frames=args.frames,
                            window=args.window, grid=args.grid, masklets=count,
                            device=args.device, vos_optimized=args.vos_optimized)
                rows.append(r)
                print(f"SAM2 {config} ({weights}) on {r['device']}: {r['frames']} frames, "
                      f"window {r['window']}, grid {r['grid']}x{r['grid']}, "
                      f"{r['masklets_per_frame']} masklets per frame (asked for {count}): "
                      f"masklets {r['masks_seconds_per_frame']:.3f} s/frame, refiner vote "
                      f"{r['vote_seconds_per_frame'] * 1000:.1f} ms/frame, "
                      f"{r['fps']:.3f} frames/s", flush=True)
            if len(args.masklets) > 1:
                fit = fit_cost(rows)
                print(f"{config}: a frame costs E + n x M s for n masklets: E = {fit['E']} s, "
                      f"M = {fit['M']} s (largest residual {fit['max_residual']} s)",
                      flush=True)


if __name__ == "__main__":
    main()
