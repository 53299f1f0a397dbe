"""`vss evaluate`: score a prediction folder against a dataset's splits or a label folder."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common
from replication.metrics.specs import MetricSettings

HELP = "score a prediction folder (mIoU, mBIoU, mVC, TC)"


def add_arguments(p) -> None:
    p.add_argument("--pred", type=Path, required=True, help="<pred>/<video>/<stem>.png")
    p.add_argument("--gt", type=Path, help="ground truth folder <gt>/<video>/<stem>.png")
    p.add_argument("--num-classes", type=int, help="classes 0..N-1 (255 = ignore), with --gt")
    common.add_dataset(p, required=False)
    p.add_argument("--tc-split", help="the split of TC: consecutive frames (default: the "
                   "benchmark's temporal split, else the first of --splits)")
    p.add_argument("--out", type=Path, required=True, help="results JSON to write")
    p.add_argument("--metrics", type=Path,
                   help="also write the headline metrics alone (for `dvc metrics show`)")
    p.add_argument("--counts", type=Path, help="also write the bootstrap's per-frame and "
                   "per-window units here (.npz; replication.metrics.counts)")
    common.add_settings(p, MetricSettings, note="metrics")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> None:
    from replication.core.atomic import (
        check_json_ours,
        check_not_input,
        write_json,
        write_output_json,
    )
    from replication.core.errors import SettingsError
    from replication.metrics.counts import save as save_counts
    from replication.metrics.counts import split_off
    from replication.metrics.evaluate import add_tc, evaluate_dataset, evaluate_folders
    from replication.metrics.specs import headline_metrics
    from replication.pipeline.params import metric_settings

    settings = metric_settings(common.params(args), **common.given(args, MetricSettings))
    dataset = common.dataset(args) if args.dataset else None
    check_not_input([args.out, args.metrics, args.counts],
                    [args.pred, args.gt, dataset and dataset.root])
    check_json_ours(args.out)
    if args.metrics:
        check_json_ours(args.metrics, metrics=True)
    if dataset is not None:
        splits = common.splits(args, "eval")
        result = evaluate_dataset(args.pred, dataset, splits, settings,
                                  progress=not args.quiet)
        if settings.tc_flow != "none" and result.get("status") != "not run":
            bench = common.benchmark(args)
            split = args.tc_split or (bench.temporal if bench else
                                      splits[0] if dataset.temporal else "")
            if split:
                tc = {"result": result}
                add_tc(tc, {"result": args.pred}, dataset, split, settings,
                       progress=not args.quiet)
        if result.get("status") == "not run":
            write_output_json(args.out, result, "vss evaluate")
            if args.metrics:
                write_json(args.metrics, {})
            print(f"{args.pred}: not run ({result['reason']}) -> {args.out}")
            return
        headline = {s: result[s] for s in splits}
    else:
        if args.gt is None or args.num_classes is None:
            raise SettingsError("vss evaluate: give --gt and --num-classes, or --dataset")
        result = evaluate_folders(args.pred, args.gt, args.num_classes, settings,
                                  progress=not args.quiet)
        headline = {"all": result}
    result, units = split_off(result if args.dataset else {"all": result})
    result = result if args.dataset else result["all"]
    if args.counts:
        save_counts(args.counts, units)
    write_output_json(args.out, result, "vss evaluate")
    if args.metrics:
        write_json(args.metrics, {name: headline_metrics(r) for name, r in headline.items()})
    for name, r in headline.items():
        values = headline_metrics(r)
        print(f"{name}: " + "  ".join(f"{m} {v:.4f}" for m, v in values.items()
                                        if m not in ("frames", "videos") and v is not None)
              + f"  ({r['frames']} frames, {r['videos']} videos) -> {args.out}")
