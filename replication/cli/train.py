"""`vss train`: a baseline network, trained (or a given checkpoint adopted)."""
from __future__ import annotations

from pathlib import Path

from baselines.train import CURVE_FIELDS, BaselineRecipe, TrainSettings
from replication.cli import common

HELP = "train a baseline network (or adopt a given checkpoint)"


def add_arguments(p) -> None:
    common.add_dataset(p, entry="a baseline (`baselines:`): its net and train flags")
    common.add_settings(p, BaselineRecipe)
    common.add_settings(p, TrainSettings)
    common.add_device(p)
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.add_argument("--curve", type=Path, required=True, help="training-curve CSV to write")
    p.add_argument("--resume", action="store_true",
                   help="continue from the last checkpoint (every --checkpoint-every "
                   "iterations) of an interrupted training with the same settings, if any")
    common.add_not_run(p)
    p.set_defaults(curve_fields=CURVE_FIELDS)


def run(args) -> None:
    from baselines.train import make_baseline

    flags = common.entry(args, "baselines")
    if "seed" in common.params(args):  # the pipeline's seed, unless the entry sets its own
        flags.setdefault("train", {}).setdefault("seed", common.params(args)["seed"])
    recipe = BaselineRecipe.from_entry(flags, common.where(args, "baselines"),
                                       **common.given(args, BaselineRecipe),
                                       **common.given(args, TrainSettings))
    meta = make_baseline(recipe, common.dataset(args), common.splits(args, "train")[0],
                         args.out, args.curve, device=args.device, resume=args.resume)
    if meta.get("rank"):
        print(f"rank {meta['rank']} of {meta['train']['processes']} finished (rank 0 writes "
              "the outputs)")
    elif recipe.checkpoint:
        print(f"adopted {recipe.checkpoint} as {recipe.model} (not trained here) -> {args.out}")
    else:
        if meta["resumed_at"]:
            print(f"resumed at iteration {meta['resumed_at']}")
        print(f"trained {recipe.model} for {recipe.train.iterations} iterations in "
              f"{meta['seconds']} s on {meta['device']}, peak RSS {meta['peak_rss_mb']} MB "
              f"-> {args.out}")
