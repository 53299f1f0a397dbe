"""Benchmark (not a test): masklet identities across windows on the CamVid val clip.

The pipeline's val masklets of each source (run `dvc repro` first) are linked across window
boundaries (replication.masks.linking, at `--link-iou`) into a temporary folder; the baseline's
val predictions are refined with the masklets as they are and as linked, and both are scored
as `vss score` scores them (mIoU, mBIoU, mVC8/16, TC; the params' metric settings), with the
paired frame bootstrap (windows for mVC) of linked minus unlinked. Prints a markdown table;
`--out` writes it with the command that made it.

    .venv/bin/python benchmarks/across_windows.py --out docs/across-windows.md
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from replication.approaches.refine import refine_predictions  # noqa: E402
from replication.data.dataset import split_videos  # noqa: E402
from replication.data.registry import get_dataset  # noqa: E402
from replication.masks.linking import link_across_windows  # noqa: E402
from replication.masks.stats import masklet_stats  # noqa: E402
from replication.masks.store import load_for_video, masklet_path, save  # noqa: E402
from replication.metrics.evaluate import add_tc, evaluate_dataset  # noqa: E402
from replication.pipeline.params import benchmark, load, metric_settings  # noqa: E402
from replication.report.bootstrap import paired_delta  # noqa: E402

METRICS = ("mIoU", "mBIoU", "mVC8", "mVC16", "TC")


def longest(masks: Path, dataset, split: str) -> int:
    """Frames of the longest masklet of `split`."""
    return max((len(m.rle) - m.rle.count(None) for _, video in split_videos(dataset, [split])
                for m in load_for_video(masks, split, video).masklets), default=0)


def linked_copy(masks: Path, dataset, split: str, out: Path, link_iou: float) -> None:
    """`out`: the masklets of `masks` on `split`, linked across their windows."""
    for _, video in split_videos(dataset, [split]):
        vm = load_for_video(masks, split, video)
        window = (vm.settings or {}).get("window")
        if window is None:
            raise SystemExit(f"{vm.path}: its source has no windows to link across")
        save(masklet_path(out, split, video.name), link_across_windows(vm, window, link_iou))


def run(args) -> str:
    params = load(REPO / "params.yaml")
    bench = benchmark(params, "camvid")
    dataset = get_dataset("camvid", REPO / bench.root)
    settings = metric_settings(params)
    split, baseline = bench.temporal, REPO / "predictions/camvid" / args.baseline
    rows = ["| source | linked | masklets | frames per masklet | longest | "
            + " | ".join(METRICS) + " |", "|---" * (5 + len(METRICS)) + "|"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for source in args.sources:
            masks = {"no": REPO / "masks/camvid" / source, "yes": tmp / f"{source}-linked"}
            linked_copy(masks["no"], dataset, split, masks["yes"], args.link_iou)
            results, stats = {}, {}
            for linked, folder in masks.items():
                pred = tmp / f"{source}-{linked}"
                refine_predictions(baseline, folder, dataset, [split], pred)
                results[linked] = evaluate_dataset(pred, dataset, [split], settings,
                                                   progress=False)
                stats[linked] = {**masklet_stats(folder, split_videos(dataset, [split])),
                                 "longest": longest(folder, dataset, split)}
            add_tc(results, {k: tmp / f"{source}-{k}" for k in masks}, dataset, split,
                   settings, progress=False)
            for linked in masks:
                cells = []
                for metric in METRICS:
                    value = results[linked][split].get(metric)
                    cell = "n/a" if value is None else f"{100 * value:.1f}"
                    if linked == "yes" and value is not None and metric != "TC":
                        low, high = paired_delta(results["no"][split], results["yes"][split],
                                                 metric, args.resamples)
                        delta = value - results["no"][split][metric]
                        cell += f" ({100 * delta:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}])"
                    elif linked == "yes" and value is not None:
                        cell += f" ({100 * (value - results['no'][split][metric]):+.1f})"
                    cells.append(cell)
                s = stats[linked]
                rows.append(f"| {source} | {linked} | {s['masklets']} | "
                            f"{s['frames_per_masklet']} | {s['longest']} | "
                            + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=["oracle", "superpixel-flow"])
    parser.add_argument("--baseline", default="fastscnn")
    parser.add_argument("--link-iou", type=float, default=0.5)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    table = run(args)
    print(table)
    if args.out:
        command = " ".join(["python", *sys.argv])
        args.out.write_text(
            "# Masklet identities across windows (CamVid val clip)\n\n"
            f"Made by `{command}` from the pipeline's masklets and `{args.baseline}` "
            "predictions. Refined with the masklets as their source made them (windows of "
            f"32 frames) and linked across window boundaries at IoU >= {args.link_iou} "
            "(replication.masks.linking). Metrics x100; in brackets the linked minus the "
            "unlinked, and its 95% paired bootstrap interval (frames; windows for mVC; TC: "
            "the difference only).\n\n" + table + "\n")


if __name__ == "__main__":
    main()
