"""`vss`: one subcommand per pipeline stage, each a thin layer over a library function.

Every command takes its settings as flags; with `--params params.yaml` (as dvc.yaml runs them)
what is not given comes from params: the benchmark's folder and splits (`--dataset`), and the
command's own entry (`--entry`: a baseline, a masks source, a reference method). Flags that are
not given and not in params take the library's defaults (the settings dataclasses).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

DATASETS = ["camvid", "vspw", "cityscapes"]


# --- params and datasets -----------------------------------------------------------------------

def _params(args) -> dict:
    from replication import params

    return params.load(args.params) if getattr(args, "params", None) else {}


def _benchmark(args):
    from replication import params

    p = _params(args)
    return params.benchmark(p, args.dataset) if p else None


def _dataset(args):
    from replication.data.registry import get_dataset

    bench = _benchmark(args)
    root = args.root or (bench.root if bench else Path("data") / args.dataset)
    return get_dataset(args.dataset, root)


def _splits(args, role: str) -> list[str]:
    """The splits a command works on: `--splits`, else the benchmark's for the role (params),
    else the reader's default."""
    from replication.data.registry import reader

    if getattr(args, "splits", None):
        return args.splits
    bench = _benchmark(args)
    if bench:
        return bench.splits(role)
    cls = reader(args.dataset)
    return {"train": ["train"], "eval": list(cls.eval_splits), "masks": list(cls.splits)}[role]


def _entry(args, section: str) -> dict:
    from replication import params

    return dict(params.entry(_params(args), section, args.entry)) if args.entry else {}


def _executor(args):
    """In-process, or a Ray cluster: the flags, else `executor:` in params."""
    from replication.executor import Executor
    from replication.params import from_flags

    return from_flags(Executor, _params(args).get("executor") or {}, **{
        "kind": args.executor, "address": args.ray_address, "actors": args.ray_actors,
        "cpus": args.ray_cpus, "gpus": args.ray_gpus})


# --- commands ----------------------------------------------------------------------------------

def _fetch(args) -> None:
    from replication.atomic import write_json
    from replication.data.fetch import MIRROR_ENV
    from replication.data.obtain import obtain

    bench = _benchmark(args)
    dest = args.dest or (bench.root if bench else Path("data") / args.dataset)
    sources = args.sources or (list(bench.source) if bench else [])
    if args.dataset == "camvid" and not sources and os.environ.get(MIRROR_ENV):
        sources = [os.environ[MIRROR_ENV]]
    card = obtain(args.dataset, dest, [Path(s) for s in sources],
                  link=args.link or bool(bench and bench.link), url=args.url,
                  rehash=args.rehash)
    if args.manifest:
        write_json(args.manifest, card)
    counts = ", ".join(f"{s} {c['videos']} videos / {c['frames']} frames"
                       for s, c in card["splits"].items())
    print(f"{args.dataset}: {counts}; content sha256 {card['content_sha256'][:16]}... -> {dest}")


def _evaluate(args) -> None:
    from replication.atomic import write_json
    from replication.metrics.evaluate import evaluate_dataset, evaluate_folders, headline_metrics

    options = {k: v for k, v in dict(
        boundary_ratio=args.boundary_ratio, strict_vc=args.strict_vc or None,
        vc_windows=tuple(args.vc_windows) if args.vc_windows else None,
        boundary_sweep=tuple(args.boundary_sweep) if args.boundary_sweep else None).items()
        if v is not None}
    if args.dataset:
        splits, dataset = _splits(args, "eval"), _dataset(args)
        result = evaluate_dataset(args.pred, dataset, splits, progress=not args.quiet,
                                  **options)
        if args.tc_flow and args.tc_flow != "none" and result.get("status") != "not run":
            from replication.metrics.evaluate import add_tc

            split = args.tc_split or (_benchmark(args).temporal if args.params else splits[0])
            tc = {"result": result}
            add_tc(tc, {"result": args.pred}, dataset, split, flow=args.tc_flow,
                   raft_weights=args.raft_weights, strict=args.strict_vc,
                   progress=not args.quiet)
        if result.get("status") == "not run":
            write_json(args.out, result)
            if args.metrics:
                write_json(args.metrics, {})
            print(f"{args.pred}: not run ({result['reason']}) -> {args.out}")
            return
        headline = {s: result[s] for s in splits}
    else:
        if args.gt is None or args.num_classes is None:
            raise SystemExit("vss evaluate: give --gt and --num-classes, or --dataset")
        result = evaluate_folders(args.pred, args.gt, args.num_classes,
                                  progress=not args.quiet, **options)
        headline = {"all": result}
    write_json(args.out, result)
    if args.metrics:
        write_json(args.metrics, {name: headline_metrics(r) for name, r in headline.items()})
    for name, r in headline.items():
        print(f"{name}: " + "  ".join(f"{m} {v:.4f}" for m, v in headline_metrics(r).items()
                                        if m.startswith("m"))
              + f"  ({r['frames']} frames, {r['videos']} videos) -> {args.out}")


def _score(args) -> None:
    from replication.metrics.score import score_benchmark

    params = _params(args)
    done = score_benchmark(params, _benchmark(args), args.predictions, args.out, args.metrics,
                           card=args.card, progress=not args.quiet)
    print(f"{args.dataset}: {done['scored']} methods scored, {done['kept']} unchanged, "
          f"{done['not_run']} not run -> {args.out}")


def _degrade(args) -> None:
    from replication.sanity import write_reference_predictions

    spec = _entry(args, "reference_methods")
    seed = args.seed if args.seed is not None else _params(args).get("seed", 0)
    n = write_reference_predictions(
        _dataset(args), _splits(args, "eval"), args.out,
        downscale=args.downscale if args.downscale is not None else spec.get("downscale", 1),
        jitter=args.jitter if args.jitter is not None else spec.get("jitter", 0), seed=seed)
    print(f"wrote {n} frames to {args.out}")


def _train(args) -> None:
    from baselines.train import TrainSettings, adopt, train
    from replication.atomic import write_csv
    from replication.params import from_flags

    spec = _entry(args, "baselines")
    net, flags = spec.get("net", {}), dict(spec.get("train", {}))
    if "seed" in _params(args):
        flags["seed"] = _params(args)["seed"]
    settings = from_flags(TrainSettings, flags, **{
        "iterations": args.iterations, "batch": args.batch,
        "crop": tuple(args.crop) if args.crop else None,
        "scale": tuple(args.scale) if args.scale else None, "lr": args.lr,
        "weight_decay": args.weight_decay, "seed": args.seed, "log_every": args.log_every,
        "limit_frames": args.limit_frames,
        "class_weighting": False if args.no_class_weighting else None})
    model = args.model or net.get("model")
    if model is None:
        raise ValueError("name the model: --model, or --entry of a baseline in --params")
    mit = args.mit or net.get("mit")
    given = args.adopt or spec.get("checkpoint")
    if given:
        adopt(Path(given), _dataset(args), args.out, model_name=model, mit=mit,
              trust=args.trust_checkpoint or spec.get("trust", False))
        write_csv(args.curve, [], args.curve_fields)
        print(f"adopted {given} as {model} (not trained here) -> {args.out}")
        return
    meta = train(model, _dataset(args), _splits(args, "train")[0], settings, args.out,
                 args.curve, device=args.device, mit=mit,
                 pretrained=args.pretrained or net.get("pretrained"),
                 trust=args.trust_checkpoint or spec.get("trust", False))
    print(f"trained {model} for {settings.iterations} iterations in {meta['seconds']} s "
          f"on {meta['device']}, peak RSS {meta['peak_rss_mb']} MB -> {args.out}")


def _predict(args) -> None:
    from baselines.predict import predict
    from replication.not_run import require_ran

    require_ran(args.checkpoint if args.checkpoint.is_dir() else None)
    info = predict(args.checkpoint, _dataset(args), _splits(args, "eval"), args.out,
                   device=args.device, model_name=args.model, mit=args.mit,
                   trust=args.trust_checkpoint, executor=_executor(args))
    print(f"{info['frames']} frames at {info['fps']:.2f} frames/s on {info['device']} "
          f"-> {args.out}")


def _import(args) -> None:
    from replication.external import import_predictions

    n = import_predictions(args.src, _dataset(args), _splits(args, "eval"), args.out)
    print(f"imported {n} frames from {args.src} -> {args.out}")


def _masks(args) -> None:
    from replication.atomic import write_json
    from replication.masks.sources import generate, make_source, split_videos
    from replication.masks.stats import masklet_stats

    spec = _entry(args, "masks") if args.entry else {}
    for flag in ("source", "window", "scale", "sigma", "min_size", "link_iou",
                 "points_per_side", "pred_iou_thresh", "stability_score_thresh",
                 "stability_score_offset", "max_masklets"):
        if getattr(args, flag) is not None:
            spec[flag.replace("_", "-")] = getattr(args, flag)
    workers = args.workers or spec.get("workers", 1)
    if args.sam2_checkpoint:  # a checkpoint given directly, not through a record
        from replication.masks.sam2_source import SAM2Source
        from replication.params import from_flags

        flags = {k: v for k, v in spec.items() if k not in ("source", "model", "workers")}
        source = from_flags(SAM2Source, flags, config=args.sam2_config,
                            checkpoint=args.sam2_checkpoint, device=args.device)
    else:
        source = make_source(spec, sam2_records=args.sam2_records, device=args.device)
    index, count = _shard(args.shard)
    dataset, splits = _dataset(args), _splits(args, "masks")
    done = generate(source, dataset, splits, args.out, shard=(index, count), workers=workers,
                    executor=_executor(args))
    print(f"{source.name}: {done['made']} videos made, {done['already_done']} already done"
          + (f", {done['retried']} retried on a new worker" if done.get("retried") else "")
          + f" -> {args.out}")
    if done["failed"]:
        raise ValueError(f"{len(done['failed'])} video(s) failed (the others are done; a "
                         "re-run redoes only these):\n  " + "\n  ".join(
                             f"{v}: {e}" for v, e in done["failed"].items()))
    if args.stats:
        stats = masklet_stats(args.out, split_videos(dataset, splits)[index::count])
        stats["settings"] = source.settings()
        write_json(args.stats, stats)
        print(f"{stats['masklets_per_frame']['mean']} masklets per frame, coverage "
              f"{stats['coverage']:.1%}, {stats['fps']} frames/s -> {args.stats}")


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        index, count = -1, 0
    if not 0 <= index < count:
        raise ValueError(f"--shard {text}: give I/N with 0 <= I < N (e.g. 0/4)")
    return index, count


def _classify(args) -> None:
    from replication.approaches import classify
    from replication.not_run import require_ran
    from replication.params import from_flags

    require_ran(args.masks, args.checkpoint,
                args.model if args.action == "predict" else None)
    dataset = _dataset(args)
    encoder, spec = _encoder(args, dataset)
    section = _params(args).get("classify", {})
    if args.action == "train":
        settings = from_flags(classify.Settings, section.get("train", {}), **{
            "hidden": tuple(args.hidden) if args.hidden else None, "dropout": args.dropout,
            "epochs": args.epochs, "lr": args.lr, "batch": args.batch,
            "weight_decay": args.weight_decay, "min_purity": args.min_purity,
            "class_weighting": False if args.no_class_weighting else None, "per": args.per,
            "seed": args.seed})
        info = classify.train_classifier(dataset, _splits(args, "train")[0], args.masks,
                                         encoder, spec, args.out, args.curve, settings)
        print(f"trained on {info['masklets']} masklets (skipped {info['skipped']}), train "
              f"accuracy {info['train_accuracy']:.3f} -> {args.out}")
    else:
        fill = args.fill or section.get("fill", "nearest")
        info = classify.predict_classifier(args.model / classify.MODEL_FILE, dataset,
                                           _splits(args, "eval"), args.masks, encoder, args.out,
                                           fill=fill)
        print(f"segmented {info['frames']} frames, masklet coverage {info['coverage']:.1%}, "
              f"{info['fps']:.2f} frames/s -> {args.out}")


def _encoder(args, dataset):
    """The feature encoder of `vss classify` and its description for the records."""
    from replication.approaches.features import BaselineEncoder, SAM2Encoder
    from replication.masks.sam2_source import MissingCheckpoint

    if args.features == "sam2":
        config, checkpoint = args.sam2_config, args.sam2_checkpoint
        if args.sam2_record:  # the record of `vss sam2-checkpoint` names both
            record = json.loads(args.sam2_record.read_text())
            if not record["available"]:
                raise MissingCheckpoint(record["reason"], record["fix"])
            config, checkpoint = record["config"], Path(record["checkpoint"])
        spec = {"features": "sam2", "config": config, "checkpoint": str(checkpoint)}
        return SAM2Encoder(config, checkpoint, args.device), spec
    if args.checkpoint is None:
        raise ValueError("--features baseline needs the baseline's --checkpoint")
    spec = {"features": "baseline", "checkpoint": str(args.checkpoint)}
    return BaselineEncoder(args.checkpoint, dataset.num_classes, args.device), spec


def _report(args) -> None:
    from replication.report.build import build_report

    written = build_report(args.results, args.out, _params(args), resamples=args.resamples,
                           seed=args.seed, predictions=args.predictions, masks=args.masks_root,
                           readme=args.readme)
    print(f"wrote {len(written)} files -> {args.out} (start at {args.out / 'README.md'})")


def _ci_profile(args) -> None:
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


def _make_mini(args) -> None:
    from replication.data import mini

    make = {"vspw": mini.make_vspw, "cityscapes": mini.make_cityscapes}[args.dataset]
    root = make(args.camvid, args.dest, archive=args.archive)
    print(f"{args.dataset} miniature in its official layout -> {root}")


def _sam2_checkpoint(args) -> None:
    from replication.atomic import write_json
    from replication.masks.checkpoint import obtain_checkpoint

    record = obtain_checkpoint(args.dest, args.url, args.config, sha256=args.sha256,
                               timeout=args.timeout)
    write_json(args.record, record)
    if record["available"]:
        print(f"{args.dest}: SAM2 checkpoint ok (sha256 {record['sha256']}, "
              f"{record['pinned'].split(':')[0]}) -> {args.record}")
    else:
        print(f"{args.dest}: no SAM2 checkpoint: {record['reason']}\nto fix: {record['fix']}")


def _seeds(args) -> None:
    from replication.atomic import write_json
    from replication.seeds import recipe, replicate

    start = time.perf_counter()
    headline = replicate(_dataset(args), _benchmark(args), args.seed, _params(args),
                         masks_root=args.masks, sam2_records=args.sam2_records, work=args.work,
                         device=args.device)
    write_json(args.out, {"seed": args.seed, "methods": headline,
                          "seconds": round(time.perf_counter() - start, 1),
                          "recipe": recipe(_params(args))})
    print(f"seed {args.seed}: {len(headline)} trained methods scored -> {args.out}")


def _refine(args) -> None:
    from replication.approaches.refine import refine_predictions
    from replication.not_run import require_ran

    require_ran(args.pred, args.masks)
    info = refine_predictions(args.pred, args.masks, _dataset(args), _splits(args, "eval"),
                              args.out, vote=args.vote)
    print(f"refined {info['frames']} frames ({info['masklets_per_frame']} masklets per frame) "
          f"at {info['fps_parts']['refiner']:.1f} frames/s (whole method {info['fps']:.2f}) "
          f"-> {args.out}")


# --- the parser --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vss", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch", help="fetch a benchmark into data/<name>, checked, and write "
                       "its data card")
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("--params", type=Path, help="take --dest, --from and --link from the "
                   "benchmark's entry under `benchmarks:`")
    p.add_argument("--dest", type=Path, help="where the benchmark goes (default data/<name>)")
    p.add_argument("--from", "--mirror", dest="sources", nargs="+", metavar="PATH",
                   help="camvid: a local mirror (default $VSS_CAMVID_MIRROR, else the public "
                        "download); vspw: your VSPW_480p folder or VSPW_480p.zip/.tar; "
                        "cityscapes: leftImg8bit_sequence_trainvaltest.zip and "
                        "gtFine_trainvaltest.zip, or their unpacked folders")
    p.add_argument("--link", action="store_true",
                   help="vspw, cityscapes: hard-link the files of a folder instead of copying")
    p.add_argument("--url", help="camvid: base URL of the public source")
    p.add_argument("--rehash", action="store_true",
                   help="re-check an earlier fetch by content, not only by file sizes")
    p.add_argument("--manifest", type=Path, help="write the data card (JSON) here")
    _not_run_flag(p)
    p.set_defaults(func=_fetch)

    p = sub.add_parser("evaluate", help="score a prediction folder (mIoU, mBIoU, mVC)")
    p.add_argument("--pred", type=Path, required=True, help="<pred>/<video>/<stem>.png")
    p.add_argument("--gt", type=Path, help="ground truth folder <gt>/<video>/<stem>.png")
    p.add_argument("--num-classes", type=int, help="classes 0..N-1 (255 = ignore), with --gt")
    p.add_argument("--dataset", choices=DATASETS, help="score against a dataset's splits")
    _root_args(p)
    p.add_argument("--splits", "--split", nargs="+", help="default: the benchmark's eval splits")
    p.add_argument("--out", type=Path, required=True, help="results JSON to write")
    p.add_argument("--metrics", type=Path,
                   help="also write the headline metrics alone (for `dvc metrics show`)")
    _metric_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("score", help="score every method the params make for a benchmark "
                       "(only those whose predictions changed)")
    p.add_argument("--dataset", choices=DATASETS, required=True)
    p.add_argument("--params", type=Path, required=True)
    p.add_argument("--predictions", type=Path, required=True, help="predictions/<dataset>")
    p.add_argument("--card", type=Path, help="the benchmark's data card (results/data/<name>."
                   "json): part of each method's fingerprint")
    p.add_argument("--out", type=Path, required=True, help="results folder (one JSON a method)")
    p.add_argument("--metrics", type=Path, required=True,
                   help="folder of one headline JSON a method (`dvc metrics show`)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_score)

    p = sub.add_parser("degrade", help="write the ground truth, optionally degraded, as predictions")
    _dataset_args(p, entry="a reference method (`reference_methods:`)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--downscale", type=int)
    p.add_argument("--jitter", type=int)
    p.add_argument("--seed", type=int)
    p.set_defaults(func=_degrade)

    p = sub.add_parser("train", help="train a baseline network from scratch")
    _dataset_args(p, entry="a baseline (`baselines:`): its net and train flags")
    p.add_argument("--model", help="a config in baselines/configs")
    p.add_argument("--mit", help="SegFormer backbone size b0..b5")
    p.add_argument("--iterations", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--crop", type=int, nargs=2, metavar=("H", "W"))
    p.add_argument("--scale", type=float, nargs=2, metavar=("MIN", "MAX"))
    p.add_argument("--lr", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--no-class-weighting", action="store_true")
    p.add_argument("--seed", type=int)
    p.add_argument("--log-every", type=int)
    p.add_argument("--limit-frames", type=int, help="train on the first N frames only")
    p.add_argument("--pretrained", help="start from these backbone weights (file or URL; e.g. "
                   "mmseg's ImageNet MiT for SegFormer)")
    p.add_argument("--adopt", help="do not train: take this checkpoint (e.g. a model-zoo "
                   "SegFormer for the benchmark), checked to fit --model and the classes")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="with --adopt or --pretrained: fully unpickle the file (only files you "
                        "trust)")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", type=Path, required=True, help="checkpoint folder to write")
    p.add_argument("--curve", type=Path, required=True, help="training-curve CSV to write")
    p.set_defaults(func=_train, curve_fields=["iteration", "loss", "lr", "seconds"])

    p = sub.add_parser("predict", help="segment dataset splits with a trained baseline")
    _dataset_args(p)
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file or folder")
    p.add_argument("--model", help="model of a checkpoint that is not ours (mmseg zoo)")
    p.add_argument("--mit", help="SegFormer size of such a checkpoint")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="fully unpickle a checkpoint from elsewhere (only files you trust)")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", type=Path, required=True, help="prediction folder to write")
    _executor_args(p)
    p.set_defaults(func=_predict)

    p = sub.add_parser("masks", help="class-agnostic masklets of every video, one file each")
    _dataset_args(p, entry="a masks source (`masks:`): its source and flags")
    p.add_argument("--source", choices=["oracle", "superpixel", "superpixel-flow", "sam2"])
    p.add_argument("--out", type=Path, required=True, help="folder of <video>.json.gz")
    p.add_argument("--window", type=int, help="sam2, oracle: frames per window")
    p.add_argument("--sam2-records", type=Path, default=Path("results/sam2"),
                   help="sam2: folder of the `vss sam2-checkpoint` records (a params entry "
                        "names its model)")
    p.add_argument("--sam2-config", default="configs/sam2.1/sam2.1_hiera_t.yaml",
                   help="sam2 with --sam2-checkpoint: a config of the sam2 package")
    p.add_argument("--sam2-checkpoint", type=Path, help="sam2: a checkpoint file to use")
    p.add_argument("--points-per-side", type=int, help="sam2: prompt grid")
    p.add_argument("--pred-iou-thresh", type=float)
    p.add_argument("--stability-score-thresh", type=float)
    p.add_argument("--stability-score-offset", type=float)
    p.add_argument("--max-masklets", type=int, help="sam2: keep the best N per window")
    p.add_argument("--device", default="auto")
    p.add_argument("--scale", type=float, help="superpixel: Felzenszwalb scale")
    p.add_argument("--sigma", type=float, help="superpixel: pre-smoothing")
    p.add_argument("--min-size", type=int, help="superpixel: smallest segment")
    p.add_argument("--link-iou", type=float, help="superpixel-flow: the IoU a segment needs "
                   "with a masklet's flow-warped mask to continue it (0.5)")
    p.add_argument("--shard", default="0/1", help="I/N: do every N-th video from the I-th")
    p.add_argument("--workers", type=int,
                   help="processes, one video each (weight-free sources; sam2: use shards)")
    p.add_argument("--stats", type=Path, help="also write masklet statistics (JSON) here")
    _executor_args(p)
    p.set_defaults(func=_masks)

    p = sub.add_parser("classify", help="approach 2: classify masklets from pooled features")
    actions = p.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train the masklet classifier on a split")
    predict = actions.add_parser("predict", help="segment splits with classified masklets")
    for q in (train, predict):
        _dataset_args(q)
        q.add_argument("--masks", type=Path, required=True, help="a masks folder")
        q.add_argument("--features", choices=["sam2", "baseline"], required=True,
                       help="sam2: SAM2's image encoder; baseline: a trained baseline's decoder")
        q.add_argument("--checkpoint", type=Path, help="the baseline's checkpoint (file/folder)")
        q.add_argument("--sam2-config", default="configs/sam2.1/sam2.1_hiera_t.yaml")
        q.add_argument("--sam2-checkpoint", type=Path,
                       default=Path("checkpoints/sam2.1_hiera_tiny.pt"))
        q.add_argument("--sam2-record", type=Path,
                       help="take config and checkpoint from a `vss sam2-checkpoint` record")
        q.add_argument("--device", default="auto")
        q.add_argument("--out", type=Path, required=True,
                       help="classifier folder (train) or prediction folder (predict)")
        q.set_defaults(func=_classify)
    train.add_argument("--hidden", type=int, nargs="+", help="hidden widths")
    train.add_argument("--dropout", type=float)
    train.add_argument("--epochs", type=int)
    train.add_argument("--lr", type=float)
    train.add_argument("--batch", type=int)
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--min-purity", type=float,
                       help="skip masklets whose majority class has a smaller share")
    train.add_argument("--no-class-weighting", action="store_true")
    train.add_argument("--per", choices=["masklet", "frame"],
                       help="one vector per masklet (mean over its frames) or per frame")
    train.add_argument("--seed", type=int)
    train.add_argument("--curve", type=Path, required=True, help="training-curve CSV")
    train.set_defaults(curve_fields=["epoch", "loss", "accuracy"])
    predict.add_argument("--model", type=Path, required=True, help="classifier folder")
    predict.add_argument("--fill", choices=["nearest", "ignore"],
                         help="pixels no masklet covers: nearest masklet's class, or 255")

    p = sub.add_parser("report", help="tables and figures from results/")
    p.add_argument("--params", type=Path, required=True,
                   help="which benchmarks ran (`datasets`) and their region/temporal splits")
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--predictions", type=Path, default=Path("predictions"),
                   help="qualitative panels: predictions/<dataset>/<method>")
    p.add_argument("--masks-root", type=Path, default=Path("masks"),
                   help="qualitative panels: masks/<dataset>/<source>")
    p.add_argument("--readme", type=Path,
                   help="also write the headline table into this README (between its markers)")
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
                   help="train the profile's committed models into tests/ci/")
    p.set_defaults(func=_ci_profile)

    p = sub.add_parser("make-mini", help="a miniature VSPW or Cityscapes in the official "
                       "layout, built from CamVid (for tests and CI)")
    p.add_argument("dataset", choices=["vspw", "cityscapes"])
    p.add_argument("--camvid", type=Path, required=True, help="a full CamVid folder")
    p.add_argument("--dest", type=Path, required=True)
    p.add_argument("--archive", action="store_true", help="also pack the official archives")
    p.set_defaults(func=_make_mini)

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
    p.add_argument("--masks", type=Path, required=True, help="masks/<dataset>")
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


def _root_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=Path, help="dataset folder (default: the benchmark's root "
                   "in --params, else data/<dataset>)")
    p.add_argument("--params", type=Path, help="params.yaml: defaults for what is not given")


def _dataset_args(p: argparse.ArgumentParser, entry: str | None = None) -> None:
    p.add_argument("--dataset", choices=DATASETS, required=True)
    _root_args(p)
    p.add_argument("--splits", "--split", nargs="+",
                   help="default: the benchmark's splits for this command (params), else the "
                        "dataset's own")
    if entry:
        p.add_argument("--entry", help=f"with --params: take the settings of {entry}")
    _not_run_flag(p)


def _executor_args(p: argparse.ArgumentParser) -> None:
    from replication.executor import KINDS

    p.add_argument("--executor", choices=KINDS,
                   help="where the videos are done (default: `executor:` in params, else here)")
    p.add_argument("--ray-address", "--address", dest="ray_address",
                   help="ray: `auto` (a running cluster, the default), "
                   "HOST:PORT, or `local` (start one on this machine)")
    p.add_argument("--ray-actors", type=int, help="ray: workers (default: one per GPU, else "
                   "CPUs / --ray-cpus)")
    p.add_argument("--ray-cpus", type=float,
                   help="ray: CPUs per worker, also its threads (default 1)")
    p.add_argument("--ray-gpus", type=float, help="ray: GPUs per worker (default 1 on a GPU "
                   "cluster)")


def _not_run_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--record-not-run", action="store_true",
                   help="when an input cannot be had here (a benchmark not fetched, no SAM2 "
                        "checkpoint, an input that did not run), write 'not run' outputs with "
                        "the reason and the fix instead of failing")


def _metric_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--boundary-ratio", type=float,
                   help="boundary band width as a fraction of the image diagonal (0.02)")
    p.add_argument("--vc-windows", type=int, nargs="+", help="VC window lengths (8 16)")
    p.add_argument("--boundary-sweep", type=float, nargs="+",
                   help="also mBIoU at these band ratios (the band-width curve)")
    p.add_argument("--strict-vc", action="store_true",
                   help="VC over every window, ignore pixels dropped; TC without the pixels the "
                        "flow takes outside the frame (default: VSPW's definitions)")
    p.add_argument("--tc-flow", choices=["dis", "raft", "none"],
                   help="with --dataset: also TC, the flow-warped consistency of consecutive "
                        "predictions, with this flow (DIS: weight-free; RAFT: --raft-weights)")
    p.add_argument("--tc-split", help="the split of TC: consecutive frames (default: the "
                   "benchmark's temporal split, else the first of --splits)")
    p.add_argument("--raft-weights", type=Path, help="torchvision raft_large weights for TC")


def _record_not_run(args, exc) -> None:
    """Write the outputs of a command whose input is unavailable as 'not run' records."""
    from replication.not_run import record_not_run

    curve = getattr(args, "curve", None)
    record = record_not_run(
        exc, folder=getattr(args, "out", None),
        records=tuple(p for p in (getattr(args, "stats", None), getattr(args, "manifest", None))
                      if p), curve=(curve, args.curve_fields) if curve else None,
        dataset=getattr(args, "dataset", None))
    print(f"vss {args.command}: not run ({record['reason']})\n  to fix: {record['fix']}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from replication.data.fetch import FetchError
    from replication.data.labels import LabelError
    from replication.not_run import Unavailable

    # SIGTERM (e.g. a killed `dvc repro`) unwinds like Ctrl-C, so staging folders are removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        try:
            args.func(args)
        except Unavailable as exc:
            if not getattr(args, "record_not_run", False):
                raise
            _record_not_run(args, exc)
    except Unavailable as exc:
        print(f"vss {args.command}: error: {exc}\n  to fix: {exc.fix}", file=sys.stderr)
        return 1
    except (FileNotFoundError, FetchError, LabelError, ValueError) as exc:
        print(f"vss {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0
