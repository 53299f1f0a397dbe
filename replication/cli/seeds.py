"""`vss seeds`: every trained method of the pipeline again with another seed."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common

HELP = "every trained method again with another seed (the training-noise spread)"


def add_arguments(p) -> None:
    common.add_dataset(p)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--masks", type=Path, required=True, help="masks/<dataset>")
    p.add_argument("--features", type=Path, required=True,
                   help="features/<dataset>: the stored SAM2 features (`vss features`), by model")
    common.add_device(p)
    p.add_argument("--work", type=Path, required=True, help="folder for models and predictions")
    p.add_argument("--out", type=Path, required=True, help="headline metrics JSON to write")
    common.add_not_run(p)


def run(args) -> None:
    import time

    from replication.core.atomic import write_output_json
    from replication.experiments.seeds import replicate
    from replication.pipeline.specs import recipe

    start = time.perf_counter()
    params = common.params(args)
    headline = replicate(common.dataset(args), common.benchmark(args), args.seed, params,
                         masks_root=args.masks, features_root=args.features, work=args.work,
                         device=args.device)
    write_output_json(args.out, {"seed": args.seed, "methods": headline,
                          "seconds": round(time.perf_counter() - start, 1),
                          "recipe": recipe(params)}, "vss seeds")
    print(f"seed {args.seed}: {len(headline)} trained methods scored -> {args.out}")


def not_run_outputs(args) -> dict:
    return {"folder": args.work, "records": (args.out,)}
