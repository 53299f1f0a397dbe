"""`vss masks`: class-agnostic masklets of every video of a benchmark's splits."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common
from replication.core.executor import Executor
from replication.core.settings import fields_of, key
from replication.masks import base
from replication.masks.sam2 import budget

HELP = "class-agnostic masklets of every video, one file each"


def add_arguments(p) -> None:
    common.add_dataset(p, entry="a masks source (`masks:`): its source and settings")
    p.add_argument("--source", choices=sorted(base.SOURCES),
                   help="the masklet source (default: the entry's `source`)")
    p.add_argument("--out", type=Path, required=True, help="folder of <split>/<video>.json.gz")
    shown = set()
    for name in sorted(base.SOURCES):
        cls = base.source_class(name)
        fresh = tuple(f.name for f in fields_of(cls) if f.name not in shown)
        common.add_settings(p, cls, skip=tuple(shown), note=_users(cls, fresh))
        shown.update(fresh)
    p.add_argument("--sam2-records", type=Path, default=base.Context.sam2_records,
                   help="sam2: folder of the `vss sam2-checkpoint` records, by model")
    common.add_device(p)
    p.add_argument("--shard", default="0/1", help="I/N: do every N-th video from the I-th")
    p.add_argument("--workers", type=int,
                   help="processes, one video each (weight-free sources; sam2: use the Ray "
                        "executor or shards)")
    p.add_argument("--stats", type=Path, help="also write masklet statistics (JSON) here")
    p.add_argument("--sweep", metavar="AXIS-LEVEL",
                   help="a step of the mask-quality sweep (`sweep:` in --params): the degraded "
                        "source over `sweep.source`'s masks, on the benchmark's eval splits")
    common.add_settings(p, Executor)
    common.add_settings(p, budget.CPUBudget)
    common.add_not_run(p)


def _users(cls, names) -> str:
    takers = [n for n, c in sorted(base.SOURCES.items()) if any(
        name in {f.name for f in fields_of(base.source_class(n))} for name in names)]
    return ", ".join(takers)


def run(args) -> None:
    from replication.approaches.quality import source_quality
    from replication.core.atomic import write_output_json
    from replication.core.errors import SettingsError
    from replication.data.dataset import split_videos
    from replication.masks.generate import generate
    from replication.masks.stats import masklet_stats
    from replication.pipeline.params import metric_settings

    if args.sweep:
        from replication.pipeline.params import sweep_entry

        entry = sweep_entry(common.params(args), args.dataset, args.sweep)
    else:
        entry = common.entry(args, "masks")
    if args.source:
        entry["source"] = args.source
    kind = entry.get("source")
    if kind is None:
        raise SettingsError("vss masks: name the source (--source, or --entry of a `masks:` "
                            "entry in --params)")
    cls = base.source_class(kind)
    ours = {f.name for f in fields_of(cls)}
    for name in base.SOURCES:
        extra = set(common.given(args, base.source_class(name))) - ours
        if extra:
            flags = ", ".join(sorted("--" + key(e) for e in extra))
            raise SettingsError(f"{flags}: not a setting of the {kind} source")
    entry.update({key(k): v for k, v in common.given(args, cls).items()})
    workers = args.workers or entry.get("workers", 1)
    source = base.make_source(entry, where=common.where(args, "masks"),
                              context=base.Context(args.sam2_records, args.device))
    index, count = common.shard(args.shard)
    dataset, splits = common.dataset(args), common.splits(args, "eval" if args.sweep else "masks")
    done = generate(source, dataset, splits, args.out, shard=(index, count), workers=workers,
                    executor=common.executor(args),
                    budget=budget.from_params(common.params(args),
                                              **common.given(args, budget.CPUBudget)))
    print(f"{source.name}: {done['made']} videos made, {done['already_done']} already done"
          + (f", {done['retried']} retried on a new worker" if done.get("retried") else "")
          + f" -> {args.out}")
    if done["failed"]:
        from replication.core.errors import VSSError

        raise VSSError(f"{len(done['failed'])} video(s) failed (the others are done; a re-run "
                       "redoes only these):\n  " + "\n  ".join(
                           f"{v}: {e}" for v, e in done["failed"].items()))
    if args.stats:
        videos = split_videos(dataset, splits)[index::count]
        stats = masklet_stats(args.out, videos)
        stats["settings"] = source.settings()
        ratio = metric_settings(common.params(args)).boundary_ratio
        stats["quality"] = source_quality(args.out, dataset, videos, ratio)
        write_output_json(args.stats, stats, "vss masks")
        q = stats["quality"]["overall"]
        print(f"{stats['masklets_per_frame']['mean']} masklets per frame, coverage "
              f"{stats['coverage']:.1%}, {stats['fps']} frames/s, ASA mIoU {q['asa_miou']}, "
              f"boundary recall {q['boundary_recall']} -> {args.stats}")
