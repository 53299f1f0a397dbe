"""`vss features`: SAM2's image features once per video, pooled under every classifier source."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common
from replication.core.executor import Executor
from replication.masks.sam2 import budget

HELP = "SAM2 features pooled under masklets, each frame encoded once for every source"


def add_arguments(p) -> None:
    common.add_dataset(p)
    p.add_argument("--masks", type=Path, required=True,
                   help="the benchmark's masks folder (<source>/ inside, one per source)")
    p.add_argument("--sources", nargs="+",
                   help="masks sources to pool for (default: `classify.sources` in params); "
                        "sources whose masks did not run are left out")
    p.add_argument("--sam2-record", type=Path, required=True,
                   help="the model: a `vss sam2-checkpoint` record")
    common.add_device(p)
    common.add_settings(p, Executor)
    common.add_settings(p, budget.CPUBudget)
    p.add_argument("--out", type=Path, required=True,
                   help="folder of <source>/<split>/<video>.npz")
    common.add_not_run(p)


def run(args) -> None:
    import functools

    from replication.approaches.features import SAM2Encoder, make_encoder
    from replication.approaches.pooled import pending, store_features
    from replication.core.errors import MissingInput, SettingsError, VSSError
    from replication.core.not_run import not_run, require_ran
    from replication.masks.sam2.loading import checkpoint_from_record

    dataset = common.dataset(args)
    sources = args.sources or common.params(args).get("classify", {}).get("sources")
    if not sources:
        raise SettingsError("vss features: name the masks sources (--sources, or "
                            "`classify.sources` in --params)")
    for folder in (args.masks / s for s in sources):
        if not folder.is_dir():
            raise MissingInput(f"{folder}: no such masks folder; run its masks stage first")
    masks = {s: args.masks / s for s in sources if not not_run(args.masks / s)}
    if not masks:
        require_ran(*(args.masks / s for s in sources))
    splits = list(dict.fromkeys(common.splits(args, "train") + common.splits(args, "eval")))
    config, checkpoint = checkpoint_from_record(args.sam2_record)  # none: not run, and why
    spec = SAM2Encoder.describe(config, checkpoint, args.sam2_record.stem)
    todo = pending(spec, dataset, splits, masks, args.out)
    done = {"made": 0, "failed": {}}
    executor = common.executor(args)
    make = functools.partial(make_encoder, "sam2", dataset.num_classes,
                             sam2_record=args.sam2_record, device=args.device)
    if todo and executor.kind == "inprocess":  # here: held to the CPU budget, then run
        encoder = make()
        limits = budget.from_params(common.params(args), **common.given(args, budget.CPUBudget))
        budget.check(limits, args.device, lambda: encoder.estimate([v for _, v in todo]),
                     f"SAM2 features of {len(todo)} videos")
        make = lambda: encoder  # noqa: E731 (the one worker: this process)
    if todo:
        done = store_features(make, spec, dataset, todo, splits, masks, args.out,
                              executor=executor)
    print(f"{spec['name']} features for {', '.join(masks)}: {done['made']} videos made, "
          f"{len(todo) - done['made']} already done -> {args.out}")
    if done["failed"]:
        raise VSSError(f"{len(done['failed'])} video(s) failed (the others are done; a re-run "
                       "redoes only these):\n  " + "\n  ".join(
                           f"{v}: {e}" for v, e in done["failed"].items()))
