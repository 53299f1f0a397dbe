"""`vss classify train|predict`: approach 2, masklets classified from pooled features."""
from __future__ import annotations

from pathlib import Path

from replication.approaches.classify import CURVE_FIELDS, FILLS, ClassifierSettings
from replication.cli import common
from replication.masks.sam2 import budget

HELP = "approach 2: classify masklets from pooled features"


def add_arguments(p) -> None:
    actions = p.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train the masklet classifier on a split")
    predict = actions.add_parser("predict", help="segment splits with classified masklets")
    for q in (train, predict):
        common.add_dataset(q)
        q.add_argument("--masks", type=Path, required=True, help="a masks folder")
        q.add_argument("--features", choices=["sam2", "baseline"], required=True,
                       help="sam2: SAM2's image encoder; baseline: a trained baseline's decoder")
        q.add_argument("--checkpoint", type=Path, help="the baseline's checkpoint (file/folder)")
        q.add_argument("--sam2-record", type=Path,
                       help="take config and checkpoint from a `vss sam2-checkpoint` record")
        q.add_argument("--sam2-config", help="sam2 without a record: a config of the sam2 "
                       "package (default: SAM2.1 hiera-tiny)")
        q.add_argument("--sam2-checkpoint", type=Path, help="sam2 without a record: a SAM2 "
                       "checkpoint file")
        q.add_argument("--pooled", type=Path, help="sam2: the features stored by `vss "
                       "features` (each frame encoded once for every source) instead of "
                       "encoding the frames here")
        common.add_device(q)
        common.add_settings(q, budget.CPUBudget)
        q.add_argument("--out", type=Path, required=True,
                       help="classifier folder (train) or prediction folder (predict)")
        common.add_not_run(q)
    common.add_settings(train, ClassifierSettings)
    train.add_argument("--curve", type=Path, required=True, help="training-curve CSV")
    train.set_defaults(curve_fields=CURVE_FIELDS)
    predict.add_argument("--model", type=Path, required=True, help="classifier folder")
    predict.add_argument("--fill", choices=FILLS,
                         help="pixels no masklet covers: the nearest masklet's class, or 255 "
                              "(default: `classify.fill` in params, else nearest)")


def run(args) -> None:
    from replication.approaches import classify
    from replication.approaches.features import make_encoder
    from replication.approaches.pooled import FeatureStore
    from replication.core.not_run import require_ran
    from replication.core.settings import from_flags

    require_ran(args.masks, args.checkpoint, args.pooled,
                args.model if args.action == "predict" else None)
    dataset = common.dataset(args)
    encoder = FeatureStore(args.pooled, args.features) if args.pooled else make_encoder(
        args.features, dataset.num_classes, checkpoint=args.checkpoint,
        sam2_record=args.sam2_record, sam2_config=args.sam2_config,
        sam2_checkpoint=args.sam2_checkpoint, device=args.device)
    splits = common.splits(args, "train")[:1] if args.action == "train" else common.splits(
        args, "eval")
    if hasattr(encoder, "estimate"):  # SAM2's encoder: only where it can finish
        # training is held to the whole stage's work: its features, then the eval splits'
        work = splits + (common.splits(args, "eval") if args.action == "train" else [])
        videos = [v for s in work for v in dataset.videos(s)]
        limits = budget.from_params(common.params(args), **common.given(args, budget.CPUBudget))
        budget.check(limits, args.device, lambda: encoder.estimate(videos),
                     f"SAM2 features of {len(videos)} videos")
    section = common.params(args).get("classify", {})
    if args.action == "train":
        settings = from_flags(ClassifierSettings, section.get("train", {}), "classify.train",
                              **common.given(args, ClassifierSettings))
        info = classify.train_classifier(dataset, splits[0], args.masks, encoder, args.out,
                                         args.curve, settings)
        print(f"trained on {info['masklets']} masklets (skipped {info['skipped']}), train "
              f"accuracy {info['train_accuracy']:.3f} -> {args.out}")
    else:
        fill = args.fill or section.get("fill", FILLS[0])
        info = classify.predict_classifier(args.model / classify.MODEL_FILE, dataset, splits,
                                           args.masks, encoder, args.out, fill=fill)
        print(f"segmented {info['frames']} frames, masklet coverage {info['coverage']:.1%}, "
              f"{info['fps']:.2f} frames/s -> {args.out}")
